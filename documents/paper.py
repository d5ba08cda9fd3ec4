"""The paper a printed report is laid out for: A4 or US Letter.

A report's PDF link takes `?paper=a4` or `?paper=letter`; without it the report uses
`PDF_PAPER_SIZE` (default `letter`: the app's customers are in the US, where E911
applies). See docs/pdf-rendering.md."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import BadRequest, ImproperlyConfigured


@dataclass(frozen=True)
class Paper:
    key: str  # the `?paper=` value
    label: str  # what a link says
    css_size: str  # the `@page { size: … }` value


PAPERS = {
    "a4": Paper("a4", "A4", "A4"),
    "letter": Paper("letter", "Letter", "letter"),
}


def default_paper() -> Paper:
    key = str(getattr(settings, "PDF_PAPER_SIZE", "letter")).strip().lower()
    if key not in PAPERS:
        raise ImproperlyConfigured(f"PDF_PAPER_SIZE must be a4 or letter, not {key!r}.")
    return PAPERS[key]


def paper_for(request) -> Paper:
    """The paper asked for by `?paper=` (any case), else the default. Another value is a
    400: a PDF silently printed on the wrong paper would be worse."""
    asked = request.GET.get("paper", "").strip().lower()
    if not asked:
        return default_paper()
    if asked not in PAPERS:
        raise BadRequest("paper must be a4 or letter.")
    return PAPERS[asked]
