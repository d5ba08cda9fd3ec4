"""Case 1: pre-flight checklist PDFs for a migration's endpoints as ONE WeasyPrint
document (what the app does) against one document per endpoint (the naive way)."""

from __future__ import annotations

from documents.render import render

from ..core import Result, seconds, stopwatch

TARGET = 6.0


def _mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def run(scale, fixtures) -> list[Result]:
    from cutover.preflight import (
        checklist_endpoints,
        checklist_html,
        checklist_sections,
        checklist_timeout,
    )

    migration, _owner = fixtures.migration(scale.checklist_endpoints)
    base_url = "https://voip.example"
    endpoints = checklist_endpoints(migration)[: scale.checklist_endpoints]
    sections = checklist_sections(migration, endpoints, base_url)

    with stopwatch() as one_elapsed:
        one = render(
            checklist_html(migration, None, sections),
            timeout_seconds=checklist_timeout(len(sections)),
        )
    one_seconds = one_elapsed()

    sample = sections[: scale.checklist_baseline_endpoints]
    each_peak = 0
    with stopwatch() as naive_elapsed:
        for section in sample:
            rendered = render(checklist_html(migration, None, [section]))
            each_peak = max(each_peak, rendered.peak_rss_kib)
    # Measured on `sample`; the full run renders all of them (FULL scale: 500 of 500).
    naive_seconds = naive_elapsed() * len(sections) / len(sample)

    ratio = naive_seconds / one_seconds
    growth = one.peak_rss_kib - one.start_rss_kib
    measured = "" if len(sample) == len(sections) else f" (timed on {len(sample)}, scaled)"
    return [
        Result(
            case=f"checklist PDF, {len(sections)} endpoints",
            figure=f"1 document: {seconds(one_seconds)}, {one.pages} pages, "
            f"{one.pages / one_seconds:.1f} pages/s, peak {_mib(one.peak_rss_kib)}",
            baseline=f"{len(sections)} documents: {seconds(naive_seconds)}{measured}, "
            f"{len(sections) / naive_seconds:.1f} pages/s",
            ratio=ratio,
            target=f"≥ {TARGET:g}× faster",
            passed=ratio >= TARGET and one.pages == len(sections),
            details=[
                f"peak memory of the rendering process: {_mib(one.peak_rss_kib)} for the one "
                f"document (+{_mib(growth)} over its start), {_mib(each_peak)} at most for "
                "one page",
            ],
            numbers={
                "one_seconds": one_seconds,
                "naive_seconds": naive_seconds,
                "pages": one.pages,
                "peak_rss_kib": one.peak_rss_kib,
                "start_rss_kib": one.start_rss_kib,
            },
        )
    ]
