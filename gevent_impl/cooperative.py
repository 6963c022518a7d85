"""cooperative in gevent: ``gevent.sleep`` gives control away (so would any patched I/O).

python -m gevent_impl cooperative
"""

from __future__ import annotations

import gevent

from shared.contract import Transcript
from shared.scenarios.cooperative import CooperativeOutcome, CooperativeSpec, outcome_from


def gr1(spec: CooperativeSpec, out: Transcript) -> None:
    out.say(f"gr1 started work: at {out.elapsed():.1f} seconds")
    gevent.sleep(spec.seconds(spec.block))
    out.say(f"gr1 ended work: at {out.elapsed():.1f} seconds")


def gr2(spec: CooperativeSpec, out: Transcript) -> None:
    out.say(f"gr2 started work: at {out.elapsed():.1f} seconds")
    gevent.sleep(spec.seconds(spec.block))
    out.say(f"gr2 ended work: at {out.elapsed():.1f} seconds")


def gr3(spec: CooperativeSpec, out: Transcript) -> None:
    out.say(f"Lets do some stuff while the tasks are blocked, at {out.elapsed():.1f} seconds")
    gevent.sleep(spec.seconds(spec.work))
    out.say("Done!")


def main(spec: CooperativeSpec, out: Transcript) -> None:
    greenlets = [gevent.spawn(worker, spec, out) for worker in (gr1, gr2, gr3)]
    gevent.joinall(greenlets, raise_error=True)


def run(spec: CooperativeSpec, out: Transcript) -> CooperativeOutcome:
    main(spec, out)
    return outcome_from(out)
