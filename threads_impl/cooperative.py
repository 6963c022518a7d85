"""cooperative in threads: ``time.sleep`` releases the GIL, so the other threads run.

python -m threads_impl cooperative
"""

from __future__ import annotations

import threading
import time

from shared.contract import Transcript
from shared.scenarios.cooperative import CooperativeOutcome, CooperativeSpec, outcome_from


def gr1(spec: CooperativeSpec, out: Transcript) -> None:
    out.say(f"gr1 started work: at {out.elapsed():.1f} seconds")
    time.sleep(spec.seconds(spec.block))
    out.say(f"gr1 ended work: at {out.elapsed():.1f} seconds")


def gr2(spec: CooperativeSpec, out: Transcript) -> None:
    out.say(f"gr2 started work: at {out.elapsed():.1f} seconds")
    time.sleep(spec.seconds(spec.block))
    out.say(f"gr2 ended work: at {out.elapsed():.1f} seconds")


def gr3(spec: CooperativeSpec, out: Transcript) -> None:
    out.say(f"Lets do some stuff while the tasks are blocked, at {out.elapsed():.1f} seconds")
    time.sleep(spec.seconds(spec.work))
    out.say("Done!")


def main(spec: CooperativeSpec, out: Transcript) -> None:
    threads = [threading.Thread(target=worker, args=(spec, out)) for worker in (gr1, gr2, gr3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def run(spec: CooperativeSpec, out: Transcript) -> CooperativeOutcome:
    main(spec, out)
    return outcome_from(out)
