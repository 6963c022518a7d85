"""actors in asyncio: a task reading an ``asyncio.Queue``, a ``Future`` per reply.

    python -m asyncio_impl actors

The actor is a plain class whose ``run`` coroutine is started as a task; a
sender gets a future of the loop with each message, and awaits it. Stopping
is a sentinel in the mailbox, after the last message (3.13's
``Queue.shutdown`` would do as well, but not on 3.11 and 3.12).
"""

from __future__ import annotations

import asyncio
import time

from shared.contract import Transcript
from shared.scenarios.actors import ActorsOutcome, ActorsSpec, Deposit

STOP = None  # the sentinel: no more messages


class Actor:
    """Owns a balance; handles one deposit at a time, in the order they came."""

    def __init__(self, work: float, out: Transcript) -> None:
        self.mailbox: asyncio.Queue[tuple[Deposit, asyncio.Future[int]] | None] = asyncio.Queue()
        self.balance = 0
        self.handled: list[str] = []
        self.busy = 0  # messages being handled right now
        self.most_at_once = 0
        self.work = work
        self.out = out

    def send(self, deposit: Deposit) -> asyncio.Future[int]:
        """Post ``deposit``; the future the sender gets back will hold the reply."""
        reply: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self.mailbox.put_nowait((deposit, reply))
        return reply

    def stop(self) -> None:
        """Post the sentinel: the actor stops once it has handled what came before."""
        self.mailbox.put_nowait(STOP)

    async def run(self) -> None:
        while (message := await self.mailbox.get()) is not STOP:
            deposit, reply = message
            reply.set_result(await self.handle(deposit))

    async def handle(self, deposit: Deposit) -> int:
        self.busy += 1
        self.most_at_once = max(self.most_at_once, self.busy)
        balance = self.balance
        await asyncio.sleep(self.work)  # a yield point: only this task touches the balance
        self.balance = balance + deposit.amount
        self.busy -= 1
        self.handled.append(deposit.label)
        self.out.say(f"Actor handled {deposit.label}: +{deposit.amount} = {self.balance}")
        return self.balance


async def sender(
    number: int, spec: ActorsSpec, actor: Actor, out: Transcript, posted: list[asyncio.Event]
) -> list[int]:
    if number > 1:  # a step after the sender before it posted (ActorsSpec.step)
        await posted[number - 2].wait()
        await asyncio.sleep(spec.seconds(spec.step))
    deposits = spec.deposits(number)
    out.say(f"Sender {number} posts {', '.join(deposit.label for deposit in deposits)}")
    replies = [actor.send(deposit) for deposit in deposits]
    posted[number - 1].set()
    balances = [await reply for reply in replies]
    out.say(f"Sender {number} got {balances}")
    return balances


async def main(spec: ActorsSpec, out: Transcript, outcome: ActorsOutcome) -> None:
    actor = Actor(spec.seconds(spec.work), out)
    posted = [asyncio.Event() for _ in range(spec.senders)]
    began = time.perf_counter()
    async with asyncio.TaskGroup() as tasks:
        tasks.create_task(actor.run())
        async with asyncio.TaskGroup() as senders:
            sent = {
                number: senders.create_task(sender(number, spec, actor, out, posted))
                for number in range(1, spec.senders + 1)
            }
        actor.stop()
    outcome.timings["done"] = time.perf_counter() - began
    out.say(f"Actor stopped with {actor.balance}")
    outcome.replies = {str(number): task.result() for number, task in sent.items()}
    outcome.handled, outcome.balance = actor.handled, actor.balance
    outcome.most_at_once = actor.most_at_once


def run(spec: ActorsSpec, out: Transcript) -> ActorsOutcome:
    outcome = ActorsOutcome()
    asyncio.run(main(spec, out, outcome))
    return outcome
