"""Refusals and the rules that give them: one kernel type for "this may not happen now,
because…", shared by every app (port-order transitions, go/no-go, E911, cutover).

A refusal names its rule by a stable code (shown small on pages, returned by the API as
`rule`), says in words what to do, and may say where that is done (`fix`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from .checks import Fix


class TransitionRefused(Exception):
    """A change was refused by a named rule; the message says what to do."""

    def __init__(self, rule: str, message: str, *, fix: Fix | None = None):
        super().__init__(message)
        self.rule = rule
        self.message = message
        self.fix = fix

    def __str__(self):
        return f"{self.message} [rule: {self.rule}]"


class TransitionConflict(Exception):
    """Someone else changed the record first (the change was computed on a stale copy):
    reload and decide again. The one conflict type: the API answers it 409 (rule
    `conflict`), pages say "Nothing changed: …", the command line exits 1."""

    DEFAULT = "Someone else changed this record at the same moment: reload and check."

    def __init__(self, message: str = ""):
        super().__init__(message or self.DEFAULT)


# SQLSTATEs of a write that lost a race for a row: serialization failure, deadlock, lock
# not available (NOWAIT). Retrying the request is the cure, so they are conflicts (409),
# not faults (500).
CONFLICT_SQLSTATES = frozenset({"40001", "40P01", "55P03"})


def as_conflict(exc: BaseException) -> TransitionConflict | None:
    """The TransitionConflict an exception stands for, or None: a TransitionConflict
    itself, django-fsm's ConcurrentTransition (a save of a stale copy whose state moved),
    or a database error that says another transaction holds or changed the row."""
    from django.db import OperationalError
    from django_fsm import ConcurrentTransition

    if isinstance(exc, TransitionConflict):
        return exc
    if isinstance(exc, ConcurrentTransition):
        conflict = TransitionConflict(
            "Someone else changed the state of this record at the same moment: reload and check."
        )
    elif isinstance(exc, OperationalError) and (
        getattr(exc.__cause__, "sqlstate", None) in CONFLICT_SQLSTATES
        or "database is locked" in str(exc)  # SQLite's busy timeout ran out
    ):
        conflict = TransitionConflict(
            "Someone else is changing this record at the same moment: try again."
        )
    else:
        return None
    conflict.__cause__ = exc
    return conflict


@dataclass(frozen=True)
class Rule:
    """A guard. `check(subject)` returns None when satisfied, otherwise the reason in
    words; `fix(subject)`, when given, says where the refusal is cleared (a `Fix`). The
    same object serves django-fsm (as a condition) and the services (to say which rule
    refused, and where to go)."""

    code: str
    check: Callable
    fix: Callable | None = None

    def __call__(self, subject) -> bool:  # django-fsm condition protocol
        return self.check(subject) is None

    def refusal(self, subject) -> TransitionRefused | None:
        message = self.check(subject)
        if not message:
            return None
        return TransitionRefused(self.code, message, fix=self.fix(subject) if self.fix else None)


class RuleRegistry:
    """Rules that apps above the declaring one add in `AppConfig.ready()` (as
    `django.core.checks.register` works): explicit, ordered, and each rule keeps its own
    code. Used as one django-fsm condition; services expand it with `rules_of()`."""

    def __init__(self, name: str):
        self.name = name
        self._rules: list[Rule] = []

    def register(self, rule: Rule) -> Rule:
        if all(existing.code != rule.code for existing in self._rules):
            self._rules.append(rule)
        return rule

    def __iter__(self) -> Iterator[Rule]:
        return iter(list(self._rules))

    def __call__(self, subject) -> bool:  # django-fsm condition protocol
        return all(rule(subject) for rule in self)

    def __repr__(self):
        return f"<RuleRegistry {self.name}: {', '.join(r.code for r in self)}>"


def rules_of(conditions: Iterable) -> Iterator[Rule]:
    """The rules in a transition's conditions, registries expanded in their order."""
    for condition in conditions:
        if isinstance(condition, RuleRegistry):
            yield from condition
        else:
            yield condition


def first_refusal(conditions: Iterable, subject) -> TransitionRefused | None:
    for rule in rules_of(conditions):
        refused = rule.refusal(subject)
        if refused:
            return refused
    return None
