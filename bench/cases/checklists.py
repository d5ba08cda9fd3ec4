"""Case 1: pre-flight checklist PDFs for a migration's endpoints as ONE document (what the
checklist job does: the fixed form laid out once, each endpoint's values over it) against
one document per endpoint through the same code (the naive way)."""

from __future__ import annotations

from ..core import Result, seconds, stopwatch

TARGET = 6.0
FLOWING_SAMPLE = 50  # pages of the flowing layout timed in one document, for the record


def _mib(kib: int) -> str:
    return f"{kib / 1024:.0f} MiB"


def run(scale, fixtures) -> list[Result]:
    from cutover.preflight.checklists import (
        checklist_endpoints,
        checklist_html,
        checklist_pages,
        checklist_pdf,
        checklist_scope,
        checklist_sections,
        checklist_timeout,
    )
    from documents.render import render

    migration, _owner = fixtures.migration(scale.checklist_endpoints)
    endpoints = checklist_endpoints(migration)[: scale.checklist_endpoints]
    with stopwatch() as prepare_elapsed:
        pages = checklist_pages(migration, endpoints, "https://voip.example")
    prepare_seconds = prepare_elapsed()

    with stopwatch() as one_elapsed:
        one = checklist_pdf(migration, None, pages)
    one_seconds = one_elapsed()

    sample = pages[: scale.checklist_baseline_endpoints]
    each_peak = 0
    with stopwatch() as naive_elapsed:
        for page in sample:
            rendered = checklist_pdf(migration, None, [page])
            each_peak = max(each_peak, rendered.peak_rss_kib)
    # Measured on `sample`; the full run renders all of them (FULL scale: 500 of 500).
    naive_seconds = naive_elapsed() * len(pages) / len(sample)

    # The flowing layout (every page laid out in full; the fallback for values too long
    # for the form, and what every page cost before the form): for the record.
    flowing_sample = pages[: min(FLOWING_SAMPLE, len(pages))]
    sections = checklist_sections(flowing_sample, checklist_scope(migration))
    with stopwatch() as flowing_elapsed:
        render(checklist_html(migration, None, sections),
               timeout_seconds=checklist_timeout(len(sections)))  # fmt: skip
    flowing_per_page = flowing_elapsed() / len(flowing_sample)

    ratio = naive_seconds / one_seconds
    growth = one.peak_rss_kib - one.start_rss_kib
    measured = "" if len(sample) == len(pages) else f" (timed on {len(sample)}, scaled)"
    on_form = one.info.get("on_form", 0)
    return [
        Result(
            case=f"checklist PDF, {len(pages)} endpoints",
            figure=f"1 document: {seconds(one_seconds)}, {one.pages} pages, "
            f"{one.pages / one_seconds:.1f} pages/s, peak {_mib(one.peak_rss_kib)}",
            baseline=f"{len(pages)} documents: {seconds(naive_seconds)}{measured}, "
            f"{len(pages) / naive_seconds:.1f} pages/s",
            ratio=ratio,
            target=f"≥ {TARGET:g}× faster",
            passed=ratio >= TARGET and one.pages == len(pages) == on_form,
            details=[
                f"{on_form} of {len(pages)} pages on the fixed form (laid out once), "
                f"{len(one.info.get('flowing', []))} on the flowing layout",
                f"peak memory of the rendering process: {_mib(one.peak_rss_kib)} for the one "
                f"document (+{_mib(growth)} over its start), {_mib(each_peak)} at most for "
                "one page",
                f"the flowing layout, for comparison: {flowing_per_page * 1000:.0f} ms a page "
                f"({len(flowing_sample)} pages in one document); preparing the "
                f"{len(pages)} pages' data and QR codes before either: "
                f"{seconds(prepare_seconds)}",
            ],
            numbers={
                "one_seconds": one_seconds,
                "naive_seconds": naive_seconds,
                "pages": one.pages,
                "on_form": on_form,
                "flowing_seconds_per_page": flowing_per_page,
                "prepare_seconds": prepare_seconds,
                "peak_rss_kib": one.peak_rss_kib,
                "start_rss_kib": one.start_rss_kib,
            },
        )
    ]
