"""context_switch in gevent: ``gevent.sleep(0)`` is the yield point.

python -m gevent_impl context_switch
"""

from __future__ import annotations

import gevent

from shared.contract import Transcript
from shared.scenarios.context_switch import ContextSwitchOutcome, ContextSwitchSpec


def foo(out: Transcript) -> None:
    out.say("Running in foo")
    gevent.sleep(0)
    out.say("Explicit context switch to foo again")


def bar(out: Transcript) -> None:
    out.say("Explicit context to bar")
    gevent.sleep(0)
    out.say("Implicit context switch back to bar")


def main(out: Transcript) -> None:
    greenlets = [gevent.spawn(foo, out), gevent.spawn(bar, out)]
    gevent.joinall(greenlets, raise_error=True)


def run(spec: ContextSwitchSpec, out: Transcript) -> ContextSwitchOutcome:
    main(out)
    return ContextSwitchOutcome(lines=out.lines)
