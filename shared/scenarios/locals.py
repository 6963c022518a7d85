"""The gevent tutorial's Thread Locals: per-task state, and what a child inherits of it."""

from __future__ import annotations

from dataclasses import dataclass, field

from shared.contract import Difference, Expected, Outcome, Scenario, Spec

#: The values the creator and the child give the two kinds of state, and what
#: reading state that was never set in this task gives.
BEFORE, AFTER, CHILD, NOTHING = "before", "after", "child", "nothing"

#: The two kinds of per-task state: a ``contextvars.ContextVar``, and an
#: attribute of a ``threading.local()`` (which gevent's patching swaps for
#: ``gevent.local.local``).
KINDS = ("contextvar", "local")


@dataclass(frozen=True, kw_only=True)
class LocalsSpec(Spec):
    pass


@dataclass(kw_only=True)
class LocalsOutcome(Outcome):
    # kind -> what the child read, when it ran, of the state its creator had set:
    # BEFORE it started the child, AFTER, or NOTHING.
    child: dict[str, str] = field(default_factory=dict)
    # kind -> what the creator read once the child had set both to CHILD.
    creator: dict[str, str] = field(default_factory=dict)
    # The same two, for the ContextVar, when the child is started in a copy of
    # the creator's context taken as it starts: {"child": ..., "creator": ...}.
    copied: dict[str, str] = field(default_factory=dict)


#: What the child reads, per model, with the model's usual way to start one.
CHILD_READS = {
    # A task runs in a copy of its creator's context, taken when it is created;
    # every task of the loop shares the one thread, and so its threading.local.
    "asyncio": {"contextvar": BEFORE, "local": AFTER},
    # A greenlet starts with an empty context, and patched threading.local is
    # per greenlet.
    "gevent": {"contextvar": NOTHING, "local": NOTHING},
    # A thread starts with an empty context (unless 3.14's
    # sys.flags.thread_inherit_context is set, as on free-threaded builds),
    # and threading.local is per thread.
    "threads": {"contextvar": NOTHING, "local": NOTHING},
}

#: What the creator reads once the child changed both: only a shared
#: threading.local lets the child's change through.
CREATOR_READS = {
    "asyncio": {"contextvar": AFTER, "local": CHILD},
    "gevent": {"contextvar": AFTER, "local": AFTER},
    "threads": {"contextvar": AFTER, "local": AFTER},
}


def expect(spec: LocalsSpec, model: str) -> Expected:
    return Expected(
        facts={
            "child": CHILD_READS[model],
            "creator": CREATOR_READS[model],
            # An explicit copy works the same everywhere: the child sees the
            # creator's value as the copy was taken, and its change stays its own.
            "copied": {"child": AFTER, "creator": AFTER},
        }
    )


PINNED_BY = "tests/scenarios/test_locals.py::"

SCENARIO = Scenario(
    name="locals",
    article="tutorial: Thread Locals",
    summary="per-task state: what a child task sees of its creator's, and what leaks back",
    idea=(
        "A creator sets a ContextVar and an attribute of a threading.local() to "
        "'before', starts a child, sets both to 'after', and lets the child run. The "
        "child reads both, then sets them to 'child'; once it is done, the creator "
        "reads them again. An asyncio task runs in a copy of its creator's context, "
        "taken when the task is created: it sees 'before', and its change stays its "
        "own. A greenlet and a thread start with an empty context and see nothing. "
        "threading.local is per thread, and so per greenlet once gevent has patched "
        "it; but every asyncio task runs in the one thread, so there it is shared: "
        "the child sees 'after', and its change leaks back to the creator. Starting "
        "the child in contextvars.copy_context() hands it the creator's values in "
        "every model."
    ),
    spec_type=LocalsSpec,
    outcome_type=LocalsOutcome,
    expect=expect,
    differences=(
        Difference(
            "a child's view of its creator's ContextVar",
            {
                "asyncio": "the value when the task was created: a task runs in a copy "
                "of its creator's context",
                "gevent": "nothing: a greenlet starts with an empty context",
                "threads": "nothing: a thread starts with an empty context (3.14+: a copy "
                "where `sys.flags.thread_inherit_context` is set, as on free-threaded builds)",
            },
            PINNED_BY + "test_contextvar_in_a_child",
        ),
        Difference(
            "`threading.local()` between a creator and its child",
            {
                "asyncio": "shared, every task runs in the one thread: the child sees the "
                "creator's latest value, and its change leaks back",
                "gevent": "patched into `gevent.local.local`, per greenlet: the child sees nothing",
                "threads": "per thread: the child sees nothing",
            },
            PINNED_BY + "test_threading_local_in_a_child",
        ),
    ),
)
