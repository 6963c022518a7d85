"""actors in gevent: a ``Greenlet`` subclass reading a ``gevent.queue.Queue``.

    python -m gevent_impl actors

As in the tutorial, the actor is a Greenlet whose ``_run`` loops over its
mailbox; ``start()`` schedules it, ``join()`` waits for it. A sender gets an
``AsyncResult`` with each message and waits on ``get()``. Stopping is a
sentinel in the mailbox, after the last message.
"""

from __future__ import annotations

import time

import gevent
from gevent.event import AsyncResult, Event
from gevent.queue import Queue

from shared.contract import Transcript
from shared.scenarios.actors import ActorsOutcome, ActorsSpec, Deposit

STOP = None  # the sentinel: no more messages


class Actor(gevent.Greenlet):  # type: ignore[misc]  # gevent has no type hints
    """Owns a balance; handles one deposit at a time, in the order they came."""

    def __init__(self, work: float, out: Transcript) -> None:
        super().__init__()
        self.mailbox: Queue = Queue()
        self.balance = 0
        self.handled: list[str] = []
        self.busy = 0  # messages being handled right now
        self.most_at_once = 0
        self.work = work
        self.out = out

    def send(self, deposit: Deposit) -> AsyncResult:
        """Post ``deposit``; the AsyncResult the sender gets back will hold the reply."""
        reply = AsyncResult()
        self.mailbox.put((deposit, reply))
        return reply

    def stop(self) -> None:
        """Post the sentinel: the actor stops once it has handled what came before."""
        self.mailbox.put(STOP)

    def _run(self) -> None:
        while (message := self.mailbox.get()) is not STOP:
            deposit, reply = message
            reply.set(self.handle(deposit))

    def handle(self, deposit: Deposit) -> int:
        self.busy += 1
        self.most_at_once = max(self.most_at_once, self.busy)
        balance = self.balance
        gevent.sleep(self.work)  # a yield point: only this greenlet touches the balance
        self.balance = balance + deposit.amount
        self.busy -= 1
        self.handled.append(deposit.label)
        self.out.say(f"Actor handled {deposit.label}: +{deposit.amount} = {self.balance}")
        return self.balance


def sender(
    number: int, spec: ActorsSpec, actor: Actor, out: Transcript, posted: list[Event]
) -> list[int]:
    if number > 1:  # a step after the sender before it posted (ActorsSpec.step)
        posted[number - 2].wait()
        gevent.sleep(spec.seconds(spec.step))
    deposits = spec.deposits(number)
    out.say(f"Sender {number} posts {', '.join(deposit.label for deposit in deposits)}")
    replies = [actor.send(deposit) for deposit in deposits]
    posted[number - 1].set()
    balances = [int(reply.get()) for reply in replies]
    out.say(f"Sender {number} got {balances}")
    return balances


def main(spec: ActorsSpec, out: Transcript, outcome: ActorsOutcome) -> None:
    actor = Actor(spec.seconds(spec.work), out)
    posted = [Event() for _ in range(spec.senders)]
    began = time.perf_counter()
    actor.start()
    sent = {
        number: gevent.spawn(sender, number, spec, actor, out, posted)
        for number in range(1, spec.senders + 1)
    }
    gevent.joinall(list(sent.values()), raise_error=True)
    actor.stop()
    actor.join()
    outcome.timings["done"] = time.perf_counter() - began
    out.say(f"Actor stopped with {actor.balance}")
    outcome.replies = {str(number): greenlet.get() for number, greenlet in sent.items()}
    outcome.handled, outcome.balance = actor.handled, actor.balance
    outcome.most_at_once = actor.most_at_once


def run(spec: ActorsSpec, out: Transcript) -> ActorsOutcome:
    outcome = ActorsOutcome()
    main(spec, out, outcome)
    return outcome
