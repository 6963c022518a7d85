"""actors in threads: a ``Thread`` subclass reading a ``queue.Queue``.

    python -m threads_impl actors

The actor is a Thread whose ``run`` loops over its mailbox, a thread-safe
``queue.Queue``; a sender gets a ``concurrent.futures.Future`` with each
message and waits on ``result()``. The balance needs no lock: only the actor's
thread ever touches it. Stopping is a sentinel in the mailbox, after the last
message (3.13's ``Queue.shutdown`` would do as well, but not on 3.11 and 3.12).
"""

from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

from shared.contract import Transcript
from shared.scenarios.actors import ActorsOutcome, ActorsSpec, Deposit

STOP = None  # the sentinel: no more messages


class Actor(threading.Thread):
    """Owns a balance; handles one deposit at a time, in the order they came."""

    def __init__(self, work: float, out: Transcript) -> None:
        super().__init__(name="actor")
        self.mailbox: queue.Queue[tuple[Deposit, Future[int]] | None] = queue.Queue()
        self.balance = 0
        self.handled: list[str] = []
        self.busy = 0  # messages being handled right now
        self.most_at_once = 0
        self.work = work
        self.out = out

    def send(self, deposit: Deposit) -> Future[int]:
        """Post ``deposit``; the future the sender gets back will hold the reply."""
        reply: Future[int] = Future()
        self.mailbox.put((deposit, reply))
        return reply

    def stop(self) -> None:
        """Post the sentinel: the actor stops once it has handled what came before."""
        self.mailbox.put(STOP)

    def run(self) -> None:
        while (message := self.mailbox.get()) is not STOP:
            deposit, reply = message
            reply.set_result(self.handle(deposit))

    def handle(self, deposit: Deposit) -> int:
        self.busy += 1
        self.most_at_once = max(self.most_at_once, self.busy)
        balance = self.balance
        time.sleep(self.work)  # other threads run meanwhile; none touches the balance
        self.balance = balance + deposit.amount
        self.busy -= 1
        self.handled.append(deposit.label)
        self.out.say(f"Actor handled {deposit.label}: +{deposit.amount} = {self.balance}")
        return self.balance


def sender(
    number: int, spec: ActorsSpec, actor: Actor, out: Transcript, posted: list[threading.Event]
) -> list[int]:
    if number > 1:  # a step after the sender before it posted (ActorsSpec.step)
        posted[number - 2].wait()
        time.sleep(spec.seconds(spec.step))
    deposits = spec.deposits(number)
    out.say(f"Sender {number} posts {', '.join(deposit.label for deposit in deposits)}")
    replies = [actor.send(deposit) for deposit in deposits]
    posted[number - 1].set()
    balances = [reply.result() for reply in replies]
    out.say(f"Sender {number} got {balances}")
    return balances


def main(spec: ActorsSpec, out: Transcript, outcome: ActorsOutcome) -> None:
    actor = Actor(spec.seconds(spec.work), out)
    posted = [threading.Event() for _ in range(spec.senders)]
    began = time.perf_counter()
    actor.start()
    with ThreadPoolExecutor(spec.senders, thread_name_prefix="sender") as pool:
        sent = {
            number: pool.submit(sender, number, spec, actor, out, posted)
            for number in range(1, spec.senders + 1)
        }
    actor.stop()
    actor.join()
    outcome.timings["done"] = time.perf_counter() - began
    out.say(f"Actor stopped with {actor.balance}")
    outcome.replies = {str(number): future.result() for number, future in sent.items()}
    outcome.handled, outcome.balance = actor.handled, actor.balance
    outcome.most_at_once = actor.most_at_once


def run(spec: ActorsSpec, out: Transcript) -> ActorsOutcome:
    outcome = ActorsOutcome()
    main(spec, out, outcome)
    return outcome
