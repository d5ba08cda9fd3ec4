"""Text helpers shared by the pages, refusals and reports."""

from __future__ import annotations


def listed(things, limit: int, *, separator: str = "; ", total: int | None = None) -> str:
    """The first `limit` things, each without a trailing period (the caller ends the
    sentence), and "(+N more)" for the rest: of `total` when the caller loaded only the
    first few (a count from the database), else of all `things`."""
    things = list(things)
    total = len(things) if total is None else total
    shown = separator.join(str(t).rstrip(".") for t in things[:limit])
    return shown + (f" (+{total - limit} more)" if total > limit else "")
