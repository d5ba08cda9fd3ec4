"""The one shape every check result takes: readiness rows, go/no-go items, E911 and
compliance items, LOA findings and refusals all say what was checked, whether it holds,
whether it blocks, why, and where to fix it, so that any page can link a blocker to the
place that clears it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime


@dataclass(frozen=True)
class Fix:
    """Where a problem is cleared: a page (`url`), or a named action on the page that
    shows the item (`action`, e.g. "prepare-loa"), with the words of the link."""

    label: str
    url: str = ""
    action: str = ""

    def __bool__(self) -> bool:
        return bool(self.url or self.action)


class Severity:
    BLOCKER = "blocker"
    WARNING = "warning"
    OK = "ok"
    NOT_REQUIRED = "not required"


@dataclass
class Item:
    """One check: what it is, whether it is satisfied, whether it blocks, and why.

    `required` is False for items that do not apply (then `ok` is True and `reason` says
    why not); `who`/`when` name whoever recorded the evidence; `fix` says where the item
    is cleared."""

    code: str
    title: str
    ok: bool
    blocking: bool = True
    detail: str = ""
    evidence: str = ""
    required: bool = True
    reason: str = ""
    who: str = ""
    when: datetime | date | None = None
    subject: str = ""  # e.g. the number an attestation item is about
    fix: Fix | None = None

    @property
    def status(self) -> str:
        if not self.required:
            return "not required"
        return "ok" if self.ok else "missing"

    @property
    def severity(self) -> str:
        if not self.required:
            return Severity.NOT_REQUIRED
        if self.ok:
            return Severity.OK
        return Severity.BLOCKER if self.blocking else Severity.WARNING

    @property
    def message(self) -> str:
        return self.detail or self.reason or self.evidence
