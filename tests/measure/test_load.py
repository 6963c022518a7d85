"""The open-loop generator and the load experiment: the correction, the counts, the figures.

The runs are declared as one batch, so that they start in the background with
the suite's other runs: each is a few seconds of waiting on sockets.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from shared import documents
from shared.cli.main import main
from shared.harness.services import Services
from shared.measure.deploy import DEPLOYMENTS
from shared.measure.load import experiment
from shared.measure.load.document import DeploymentFigures, Plan, TargetDocument
from shared.measure.load.trivial import open_trivial
from tests.support.batches import Batches, heavy_batch
from tests.support.figures import ordered

#: Two rates over the threads defaults' cap (one thread, D = 50 ms: at most 20
#: answers per second) and well under any other deployment's.
TINY = Plan("tiny", rates=(30, 60), duration=1.0, warmup=0.2, wrk_seconds=0, timeout=3.0,
            chart_rate=30)  # fmt: skip
TINY_DEPLOYMENTS = ("asyncio tuned", "threads defaults")


def tiny(services: Services) -> dict[str, experiment.Result]:
    def one(name: str) -> experiment.Result:
        return experiment.run_deployment(
            DEPLOYMENTS[name], TINY, services.url, services.pid, use_wrk=False
        )

    with ThreadPoolExecutor(len(TINY_DEPLOYMENTS)) as pool:
        return dict(zip(TINY_DEPLOYMENTS, pool.map(one, TINY_DEPLOYMENTS), strict=True))


@dataclass
class Ran:
    """The generator's runs, and the tiny experiment's deployments by name."""

    tiny: dict[str, experiment.Result]


@heavy_batch
def load_runs(services: Services) -> Ran:
    return Ran(tiny(services))


@pytest.fixture(scope="module")
def runs(batches: Batches) -> Ran:
    return batches[load_runs]


# The tiny experiment: every step's latency includes the upstream's D, its
# percentiles are ordered, and what is offered below saturation is answered.
@pytest.mark.parametrize("name", TINY_DEPLOYMENTS)
def test_experiment_steps_are_sane(runs: Ran, name: str) -> None:
    result = runs.tiny[name]
    assert not result.error and result.steps
    for step in result.steps:
        latency = step.load.latency_ms
        assert latency.p50 is not None and latency.p50 >= TINY.delay * 1000
        assert ordered(latency)
        cpu = step.cpu_pct
        shares = (cpu.generator, cpu.upstream, cpu.worker, cpu.others)
        assert all(v is not None and v >= 0 for v in shares) and cpu.holder is None
        if not step.saturated:  # the whole schedule was sent and answered
            sent = step.rate * TINY.duration
            assert step.load.sent == sent and step.load.ok == sent
    figures = result.figures(TINY.delay)
    assert figures.knee in (None, *TINY.rates)
    # JSON and back, as a figures file keeps it.
    data = json.loads(json.dumps(documents.to_json(figures)))
    assert documents.from_json(DeploymentFigures, data) == figures


# The defaults' caps differ per model: gthread's one thread serves one request at a
# time, so the threads defaults answer at most 1 / D = 20 per second and saturate
# at the first step; asyncio has no such cap: at 30 offered it answers more than 20.
def test_each_model_saturates_where_its_limits_say(runs: Ran) -> None:
    threads, asyncio = runs.tiny["threads defaults"], runs.tiny["asyncio tuned"]
    assert [s.rate for s in threads.steps] == [30]
    assert threads.steps[0].saturated and threads.knee(TINY.delay) is None
    saturation = threads.saturation()
    assert saturation is not None and saturation <= 20.5
    assert asyncio.steps[0].rate == 30 and asyncio.steps[0].load.throughput > 20.5


# `load --target` measures any URL, and writes its figures as JSON.
def test_cli_target(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out_file = tmp_path / "load.json"
    with open_trivial() as url:
        status = main(["load", "--target", url, "--rate", "100", "--duration", "0.5",
                       "--json", str(out_file)])  # fmt: skip
    out, err = capsys.readouterr()
    load = documents.read(out_file, TargetDocument).load
    assert status == (0 if load.trusted else 1)
    assert load.sent == 50 and load.ok == 50
    assert "latency, ms" in out and "p99" in out and err == ""
    assert all(len(line) <= 80 for line in out.splitlines())


# Bad input: one line, exit status 2, nothing run.
@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["load", "--rate", "10"], "--rate goes with --target"),
        (["load", "--target", "http://127.0.0.1:9/"], "--target needs --rate"),
        (["load", "--target", "https://127.0.0.1/", "--rate", "1"], "not an http:// URL"),
        (["load", "--models", "twisted"], "unknown model twisted"),
        (["load", "--configs", "fast"], "configurations are defaults and tuned"),
        (["load", "--target", "http://127.0.0.1:9/", "--rate", "-3"], "positive number"),
        (["load", "--quick", "--json", "/nonexistent/load.json"], "cannot write"),
        (["load", "--quick", "--charts", "README.md/charts"], "cannot write charts"),
    ],
)
def test_bad_input(capsys: pytest.CaptureFixture[str], argv: list[str], says: str) -> None:
    status = main(argv)
    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and says in err
