"""Fixtures shared by the suite.

``model`` is parametrized over the three models, in the manner of anyio's
``anyio_backend``: a test that takes it runs once per model. ``demo_runs`` runs
every scenario in every model once per session, all in parallel, so the many
tests that read the runs share one batch of interpreters.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared import runner, scenarios
from shared.contract import DEMO_SCALE, MODELS
from shared.services import Services, open_services

Runs = dict[tuple[str, str], runner.Run]


@pytest.fixture(params=MODELS)
def model(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(params=list(scenarios.CATALOGUE))
def scenario(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def services() -> Iterator[Services]:
    with open_services() as running:
        yield running


@pytest.fixture(scope="session")
def demo_runs(services: Services) -> Runs:
    jobs = runner.jobs_for(scenarios.CATALOGUE, MODELS, services, scale=DEMO_SCALE)
    return {(run.job.scenario, run.job.model): run for run in runner.run_all(jobs)}
