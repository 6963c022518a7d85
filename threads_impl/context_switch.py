"""context_switch in threads: the turn is passed explicitly.

    python -m threads_impl context_switch

Threads are preempted wherever the interpreter decides, and ``time.sleep(0)``
promises no switch at all, so nothing makes foo and bar alternate on their own.
To print the article's lines in its order, each thread waits for its turn and
hands it on where the other models yield: cooperation has to be built by hand.
"""

from __future__ import annotations

import threading

from shared.contract import Transcript
from shared.scenarios.context_switch import ContextSwitchOutcome, ContextSwitchSpec


class _Turns:
    """A baton passed round-robin between the threads: only its holder runs."""

    def __init__(self, players: int) -> None:
        self._players = players
        self._turn = 0
        self._finished: set[int] = set()
        self._changed = threading.Condition()

    def wait(self, me: int) -> None:
        with self._changed:
            self._changed.wait_for(lambda: self._turn == me)

    def pass_on(self, me: int, *, finished: bool = False) -> None:
        with self._changed:
            if finished:
                self._finished.add(me)
            # Skip whoever is done; with nobody left the baton stays put.
            for step in range(1, self._players + 1):
                nxt = (me + step) % self._players
                if nxt not in self._finished:
                    self._turn = nxt
                    break
            self._changed.notify_all()

    def yield_turn(self, me: int) -> None:
        self.pass_on(me)
        self.wait(me)


def foo(out: Transcript, turns: _Turns) -> None:
    turns.wait(0)
    out.say("Running in foo")
    turns.yield_turn(0)
    out.say("Explicit context switch to foo again")
    turns.pass_on(0, finished=True)


def bar(out: Transcript, turns: _Turns) -> None:
    turns.wait(1)
    out.say("Explicit context to bar")
    turns.yield_turn(1)
    out.say("Implicit context switch back to bar")
    turns.pass_on(1, finished=True)


def main(out: Transcript) -> None:
    turns = _Turns(players=2)
    threads = [
        threading.Thread(target=foo, args=(out, turns)),
        threading.Thread(target=bar, args=(out, turns)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def run(spec: ContextSwitchSpec, out: Transcript) -> ContextSwitchOutcome:
    main(out)
    return ContextSwitchOutcome(lines=out.lines)
