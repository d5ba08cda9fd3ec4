"""Text helpers shared by the pages, refusals and reports."""

from __future__ import annotations


def listed(things, limit: int | None, *, separator: str = "; ", total: int | None = None) -> str:
    """The first `limit` things (None: all of them, as a printed record needs), each
    without a trailing period (the caller ends the sentence), and "(+N more)" for the
    rest: of `total` when the caller loaded only the first few (a count from the
    database), else of all `things`."""
    things = list(things)
    total = len(things) if total is None else total
    shown = things if limit is None else things[:limit]
    text = separator.join(str(t).rstrip(".") for t in shown)
    return text + (f" (+{total - len(shown)} more)" if total > len(shown) else "")
