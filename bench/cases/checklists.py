"""Case 1: pre-flight checklist PDFs.

1. The project's way (`checklist_pdf`: the fixed form laid out once, each endpoint's
   values over it, in parallel pieces joined into ONE document) against one document per
   endpoint through the same code (the naive way).
2. Against its peer, headless Chromium printing the project's own flowing checklist
   template for the same endpoints (one reused browser; the HTML built from the
   templates and the QR codes made, both inside its time), at each of the scale's sizes,
   the two sides interleaved; the best of each side's rounds counts.
3. A checklist page against WeasyPrint's own floor: a document of one-line pages
   rendered the same way (forked, time-limited, the locked fetcher), per page.
4. The memory of the largest document: what the render held, each page counted once."""

from __future__ import annotations

import time

from ..core import Result, load, mib, seconds, stopwatch


def _peak_kib() -> int:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


TARGET = 6.0  # against one document per endpoint
CHROMIUM_TARGET = {500: 1.2}  # at least this much faster than Chromium (other sizes: 1.0)
FLOOR_TARGET = 5.0  # a checklist page at most this many times the one-line page
MEMORY_LIMIT_MIB = 600  # for the largest document: all its processes' peaks together
FLOWING_SAMPLE = 50  # pages of the flowing layout timed in one document, for the record


def _ours(migration, endpoints):
    """The project's side, from the loaded endpoints to the PDF: each page's data (the
    E911 coverage query included) and the render (QR codes made in the children)."""
    from cutover.preflight.checklists import checklist_pages, checklist_pdf

    with stopwatch() as elapsed:
        pages = checklist_pages(migration, endpoints, "https://voip.example")
        rendered = checklist_pdf(migration, None, pages)
    return elapsed(), rendered


def _chromium(chromium, migration, endpoints):
    """Chromium's side, from the same start: the same pages' data, their QR codes (the
    same PNGs the flowing layout uses), the flowing template's HTML, the print."""
    from cutover.preflight.checklists import (
        checklist_html,
        checklist_pages,
        checklist_scope,
        checklist_sections,
    )

    parts = {}
    with stopwatch() as elapsed:
        start = time.perf_counter()
        pages = checklist_pages(migration, endpoints, "https://voip.example")
        parts["data"] = time.perf_counter() - start
        start = time.perf_counter()
        for page in pages:
            _ = page.qr
        parts["qr"] = time.perf_counter() - start
        start = time.perf_counter()
        html = checklist_html(migration, None,
                              checklist_sections(pages, checklist_scope(migration)))  # fmt: skip
        parts["html"] = time.perf_counter() - start
        start = time.perf_counter()
        pdf = chromium.pdf(html)
        parts["print"] = time.perf_counter() - start
    return elapsed(), parts, pdf


def _pdf_pages(pdf: bytes) -> int:
    import io

    import pikepdf

    with pikepdf.open(io.BytesIO(pdf)) as document:
        return len(document.pages)


def _floor(pages: int) -> float:
    """WeasyPrint's floor a page: `pages` one-line pages in one document, rendered as
    every PDF of the app is (forked, time-limited, the locked fetcher); seconds a page."""
    from documents.render import render

    def html(n):
        body = "".join(f'<p style="break-after: page">Page {i}</p>' for i in range(n))
        return f"<!doctype html><html><head><style>@page {{ size: Letter }}</style></head>" \
               f"<body>{body}</body></html>"  # fmt: skip

    render(html(2))  # warm-up
    with stopwatch() as elapsed:
        rendered = render(html(pages), timeout_seconds=60 + pages)
    assert rendered.pages == pages
    return elapsed() / pages


def run(scale, fixtures) -> list[Result]:
    from cutover.preflight.checklists import (
        checklist_endpoints,
        checklist_html,
        checklist_pages,
        checklist_pdf,
        checklist_scope,
        checklist_sections,
        checklist_timeout,
        checklist_workers,
    )
    from documents.render import render

    largest = max(scale.checklist_endpoints, *scale.checklist_peer_sizes)
    migration, _owner = fixtures.migration(largest)
    everyone = checklist_endpoints(migration)
    endpoints = everyone[: scale.checklist_endpoints]
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
    rows = [
        Result(
            case=f"checklist PDF, {len(pages)} endpoints",
            figure=f"1 document: {seconds(one_seconds)}, {one.pages} pages, "
            f"{one.pages / one_seconds:.1f} pages/s, {mib(one.held_kib)} held",
            baseline=f"{len(pages)} documents: {seconds(naive_seconds)}{measured}, "
            f"{len(pages) / naive_seconds:.1f} pages/s",
            ratio=ratio,
            target=f"≥ {TARGET:g}× faster",
            passed=ratio >= TARGET and one.pages == len(pages) == on_form,
            details=[
                f"{on_form} of {len(pages)} pages on the fixed form (laid out once), "
                f"{len(one.info.get('flowing', []))} on the flowing layout; rendered in "
                f"{one.children - 1 if one.children > 1 else 1} piece(s) at once "
                f"({checklist_workers()} cores), joined into one PDF",
                f"memory: {mib(one.held_kib)} held by the render, each page counted once "
                f"(this process + its {one.children} child(ren)'s own memory); the upper "
                f"bound {mib(one.processes_peak_rss_kib)}; the largest child "
                f"{mib(one.peak_rss_kib)} resident (+{mib(max(growth, 0))} over this "
                f"process now); {mib(each_peak)} at most for one page",
                f"the flowing layout, for comparison: {flowing_per_page * 1000:.0f} ms a page "
                f"({len(flowing_sample)} pages in one document); preparing the "
                f"{len(pages)} pages' data before either: {seconds(prepare_seconds)}",
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
                "processes_peak_rss_kib": one.processes_peak_rss_kib,
                "held_kib": one.held_kib,
            },
        )
    ]
    rows += _peers(scale, migration, everyone)
    return rows


def _peers(scale, migration, everyone) -> list[Result]:
    """Chromium at each size (interleaved rounds, the best of each side), the floor, and
    the memory of the largest document."""
    from ..chromium import CHROMIUM, Chromium, available

    if not available():
        raise RuntimeError(f"Chromium not found at {CHROMIUM}: apt-get install chromium "
                           "(make bench installs it)")  # fmt: skip
    rows, best = [], {}
    with Chromium() as chromium:
        chromium.pdf("<p>warm-up</p>")
        for size in scale.checklist_peer_sizes:
            endpoints = everyone[:size]
            ours, theirs = [], []
            for _ in range(scale.checklist_peer_rounds):
                ours.append(_ours(migration, endpoints))
                theirs.append(_chromium(chromium, migration, endpoints))
            ours_seconds, rendered = min(ours, key=lambda pair: pair[0])
            their_seconds, parts, pdf = min(theirs, key=lambda triple: triple[0])
            best[size] = (ours_seconds, rendered)
            target = CHROMIUM_TARGET.get(size, 1.0)
            ratio = their_seconds / ours_seconds
            their_pages = _pdf_pages(pdf)
            rows.append(
                Result(
                    case=f"checklist PDF against headless Chromium, {size} endpoints",
                    figure=f"project: {seconds(ours_seconds)} "
                    f"({ours_seconds / rendered.pages * 1000:.1f} ms a page), "
                    f"{rendered.pages} pages",
                    baseline=f"Chromium: {seconds(their_seconds)} "
                    f"({their_seconds / their_pages * 1000:.1f} ms a page), {their_pages} pages",
                    ratio=ratio,
                    target=f"≥ {target:g}× Chromium's speed",
                    passed=ratio >= target and rendered.pages == size,
                    details=[
                        f"{size} endpoints, best of {scale.checklist_peer_rounds} interleaved "
                        f"round(s) each; project: the pages' data + checklist_pdf "
                        f"({rendered.info.get('pieces', 1)} piece(s) at once); Chromium: the "
                        f"data {seconds(parts['data'])} + QR codes {seconds(parts['qr'])} + "
                        f"HTML {seconds(parts['html'])} + print {seconds(parts['print'])} "
                        f"(one reused browser); load average {load()}"
                    ],
                    numbers={
                        "size": size,
                        "ours_seconds": ours_seconds,
                        "chromium_seconds": their_seconds,
                        "chromium_parts": parts,
                        "rounds": scale.checklist_peer_rounds,
                        "ours_all": [o[0] for o in ours],
                        "chromium_all": [t[0] for t in theirs],
                    },
                )
            )
    size = max(best)
    ours_seconds, rendered = best[size]
    floor = _floor(scale.checklist_floor_pages)
    per_page = ours_seconds / rendered.pages
    ratio = per_page / floor
    rows.append(
        Result(
            case=f"checklist page against WeasyPrint's one-line page, {size} endpoints",
            figure=f"{per_page * 1000:.1f} ms a checklist page (wall, all of it)",
            baseline=f"{floor * 1000:.2f} ms a one-line page ({scale.checklist_floor_pages} "
            "in one document, one process)",
            ratio=ratio,
            target=f"≤ {FLOOR_TARGET:g}× the floor",
            passed=ratio <= FLOOR_TARGET,
            numbers={"per_page": per_page, "floor_per_page": floor},
        )
    )
    held = rendered.held_kib
    rows.append(
        Result(
            case=f"checklist PDF memory, {size} endpoints",
            figure=f"{mib(held)} held by the render: this process's resident memory + its "
            f"{rendered.children} children's own memory at their peaks",
            baseline=f"limit {MEMORY_LIMIT_MIB} MiB",
            ratio=None,
            target=f"< {MEMORY_LIMIT_MIB} MiB",
            passed=0 < held < MEMORY_LIMIT_MIB * 1024,
            details=[
                "each page of memory counted once, as a container's memory limit counts it: "
                "this process's resident set while it waited, plus each child's private "
                "memory (not shared with this process) at its peak, sampled every 0.25 s and "
                f"at its end (the pieces together: {mib(rendered.pieces_private_kib)}; or the join "
                "after them, whichever is more)",
                f"the upper bound, counting in each child again the pages it still shares "
                f"with this process: {mib(rendered.processes_peak_rss_kib)} (the children's "
                f"resident peaks + this process's high-water mark {mib(_peak_kib())}, "
                "which includes Chromium's side of the benchmark)",
            ],
            numbers={
                "held_kib": held,
                "processes_peak_rss_kib": rendered.processes_peak_rss_kib,
                "largest_child_kib": rendered.peak_rss_kib,
                "pieces_private_kib": rendered.pieces_private_kib,
            },
        )
    )
    return rows
