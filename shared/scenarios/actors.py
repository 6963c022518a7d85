"""The gevent tutorial's Actors: one owner of the state, a mailbox, a reply to each sender."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.contract import Expected, Outcome, Scenario, Spec, at_least


@dataclass(frozen=True)
class Deposit:
    """A message to the actor: add ``amount`` to the balance, reply with the new one."""

    sender: int
    number: int  # its place among the sender's messages, from 1
    amount: int

    @property
    def label(self) -> str:
        return f"{self.sender}.{self.number}"


@dataclass(frozen=True, kw_only=True)
class ActorsSpec(Spec):
    senders: int = 3
    messages: int = 3  # each sender's, sent at once
    # Seconds from one sender's posting to the next sender's. Each sender waits
    # for the one before it to have posted, then this step, rather than for a
    # set time: the mailbox gets the messages in sender order by construction,
    # however late a busy machine wakes a sender.
    step: float = 0.2
    # Seconds the actor takes over each message, with a yield point in the
    # middle: longer than a sender's step over its messages, so the mailbox fills.
    work: float = 0.1

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.senders < 1 or self.messages < 1:
            raise ValueError("it takes at least one sender with one message")
        if self.step <= 0:
            raise ValueError(f"step must be positive, not {self.step!r}")

    def deposits(self, sender: int) -> list[Deposit]:
        """What ``sender`` (from 1) sends: distinct amounts, so each reply tells its place."""
        return [
            Deposit(sender, number, 10 * sender + number) for number in range(1, self.messages + 1)
        ]

    def send_at(self, sender: int) -> float:
        """Seconds from the start at which ``sender`` (from 1) posts, at the earliest."""
        return self.seconds(self.step) * (sender - 1)

    def finished_at(self) -> float:
        """Seconds from the start at which the actor, taking one message at a time, is done."""
        clock = 0.0
        for sender in range(1, self.senders + 1):
            for _ in self.deposits(sender):
                clock = max(clock, self.send_at(sender)) + self.seconds(self.work)
        return clock


@dataclass(kw_only=True)
class ActorsOutcome(Outcome):
    handled: list[str] = field(default_factory=list)  # message labels, in the order handled
    replies: dict[str, list[int]] = field(default_factory=dict)  # sender -> the balances replied
    balance: int = 0  # the actor's own, once it stopped
    most_at_once: int = 0  # the most messages the actor was handling at one moment


def expect(spec: ActorsSpec, model: str) -> Expected:
    handled: list[str] = []
    replies: dict[str, list[int]] = {}
    balance = 0
    for sender in range(1, spec.senders + 1):
        replies[str(sender)] = []
        for deposit in spec.deposits(sender):
            balance += deposit.amount
            handled.append(deposit.label)
            replies[str(sender)].append(balance)
    finished = spec.finished_at()
    return Expected(
        facts={"handled": handled, "replies": replies, "balance": balance, "most_at_once": 1},
        bounds={
            # One message at a time: handled at once, they would all be done
            # one ``work`` after the last ones were sent, well before ``finished``.
            "done": at_least(finished, below=2 * finished),
        },
    )


SCENARIO = Scenario(
    name="actors",
    article="tutorial: Actors",
    summary="an actor owns its state, handles its mailbox one message at a time, replies",
    idea=(
        "An actor is a task that owns some state (here a balance) and changes it only "
        "by handling the messages in its mailbox, one at a time, in the order they "
        "came, replying to each sender through a future. Nobody else touches the "
        "state, so it needs no lock, even though the actor passes a yield point in "
        "the middle of each message. Three senders each post three deposits at once, "
        "one sender a little after the other, faster than the actor can handle them: "
        "the mailbox holds the rest. Every model gives the same order, the same "
        "replies and the same final balance: an asyncio.Queue and a Future, a gevent "
        "Greenlet subclass with a gevent.queue.Queue and an AsyncResult, a thread with "
        "a queue.Queue and a concurrent.futures.Future."
    ),
    spec_type=ActorsSpec,
    outcome_type=ActorsOutcome,
    expect=expect,
)
