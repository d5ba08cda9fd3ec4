"""The printed pre-flight checklists: one page per endpoint with its QR code, on the fixed
form laid out once per document (documents/fixed_form.py), as ONE PDF for a site or a
migration (docs/cutover-preflight.md, docs/pdf-rendering.md).

Never the SIP password: nothing here reads `Endpoint.sip_password`."""

from __future__ import annotations

import os
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

import segno
from django.conf import settings
from django.db import connections
from django.db.models import Prefetch
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from cutover.preflight.selectors import CALLS, CHECKS, _preflight_or_none
from documents import fixed_form
from documents import join as pdf_join
from documents import render as pdf_render
from documents.render import RenderedPDF
from e911.locations.selectors import coverage
from porting.models import PhoneNumber
from tenancy import clock


def form_url(endpoint, base_url: str) -> str:
    path = reverse("endpoint-preflight", args=[endpoint.organization.slug, endpoint.pk])
    return base_url.rstrip("/") + path


def qr_code(url: str):
    """The QR code of `url` (segno's, error correction M, its best mask chosen)."""
    return segno.make(url, error="m", micro=False)


def qr_data_uri(url: str) -> str:
    """The QR code of `url` as a PNG data: URI, one pixel per module (the renderer takes
    data: URIs and static files only), for the flowing layout. Printed with
    `image-rendering: pixelated`, so the modules stay sharp at any size. (On the fixed
    form the code is drawn as vector modules instead: `fixed_form.qr_overlay`.)"""
    return qr_code(url).png_data_uri(scale=1, border=2)


@dataclass
class ChecklistPage:
    endpoint: object
    site: object
    numbers: list
    location: object  # DispatchableLocation | None
    location_source: str
    location_problem: str
    preflight: object  # Preflight | None
    url: str
    checks: list  # [(Check, {"ok":..., "note":...})]
    calls: list  # CALLS dicts {"line", "result"} (blank when not recorded)
    _qr: str = field(default="", repr=False)

    @property
    def qr(self) -> str:
        """The QR code as a PNG data: URI, made on first use: in the rendering child, and
        only for a page printed on the flowing layout (segno choosing the mask is about
        5 ms a code: docs/performance.md)."""
        if not self._qr:
            self._qr = qr_data_uri(self.url)
        return self._qr


def checklist_endpoints(migration, site=None):
    """The endpoints to print, with their DIDs and checklist, in a fixed number of queries.
    The SIP password is not even loaded."""
    queryset = (
        migration.endpoints.select_related(
            "organization", "site", "preflight", "preflight__signed_by"
        )
        .defer("sip_password")
        .prefetch_related(Prefetch("numbers", queryset=PhoneNumber.objects.order_by("number")))
        .order_by("site__name", "extension", "pk")
    )
    if site is not None:
        queryset = queryset.filter(site=site)
    return list(queryset)


def checklist_page(endpoint, coverage_row, base_url: str) -> ChecklistPage:
    preflight = _preflight_or_none(endpoint)
    recorded_checks = preflight.checks if preflight else {}
    recorded_calls = list(preflight.test_calls) if preflight else []
    calls = [
        recorded_calls[i] if i < len(recorded_calls) else {"line": "", "result": ""}
        for i in range(CALLS)
    ]
    url = form_url(endpoint, base_url)
    return ChecklistPage(
        endpoint=endpoint,
        site=endpoint.site,
        numbers=list(endpoint.numbers.all()),
        location=coverage_row.location if coverage_row else None,
        location_source=coverage_row.source if coverage_row else "",
        location_problem=coverage_row.problem if coverage_row else "",
        preflight=preflight,
        url=url,
        checks=[(check, recorded_checks.get(check.code, {})) for check in CHECKS],
        calls=calls,
    )


PAGE_TEMPLATE = "cutover/preflight_pdf_page.html"


DOCUMENT_TEMPLATE = "cutover/preflight_pdf.html"


FORM_TEMPLATE = "cutover/checklist_form.html"


VALUES_TEMPLATE = "cutover/checklist_values.html"


VALUES_DOCUMENT_TEMPLATE = "cutover/checklist_values_document.html"


SHEETS_PLACEHOLDER = "<!-- the sheets -->"


STYLE_END = "</style>"


# The render's time limit grows with the document: PDF_RENDER_TIMEOUT_SECONDS plus this
# much per page (a page takes well under 0.1 s on the form, about 0.25 s on the flowing
# layout: docs/performance.md), so that a whole migration's checklists are not killed at
# the single-document limit.
SECONDS_PER_PAGE = 1.0


# The HTML size limit grows the same way (a flowing page is about 7 KB of HTML, a value
# page about 2 KB; their fields are bounded by the models), else a migration of more than
# about 700 endpoints would be refused at the single-document PDF_MAX_HTML_BYTES.
HTML_BYTES_PER_PAGE = 16 * 1024


def checklist_timeout(pages: int) -> float:
    return float(settings.PDF_RENDER_TIMEOUT_SECONDS) + SECONDS_PER_PAGE * pages


def checklist_max_html_bytes(pages: int) -> int:
    return int(settings.PDF_MAX_HTML_BYTES) + HTML_BYTES_PER_PAGE * pages


def checklist_scope(migration, site=None) -> str:
    return site.name if site is not None else migration.name


def checklist_pages(migration, endpoints, base_url: str, on_page=None) -> list[ChecklistPage]:
    """What each endpoint's checklist page prints. `on_page(index)` is called after each,
    for progress."""
    rows = {row.endpoint_id: row for row in coverage(migration, load="missing").rows}
    pages = []
    for index, endpoint in enumerate(endpoints, start=1):
        pages.append(checklist_page(endpoint, rows.get(endpoint.pk), base_url))
        if on_page is not None:
            on_page(index)
    return pages


def checklist_sections(pages: list[ChecklistPage], scope: str, numbers=None) -> list[str]:
    """The flowing layout's HTML section of each page (all, or the 1-based `numbers`):
    the page grows to fit whatever it holds."""
    numbers = range(1, len(pages) + 1) if numbers is None else numbers
    context = {"count": len(pages), "scope": scope}
    return [
        render_to_string(PAGE_TEMPLATE, {**context, "page": pages[n - 1], "index": n})
        for n in numbers
    ]


def checklist_html(migration, site, sections: list[str], *, job=None, generated_at=None) -> str:
    """The flowing layout's whole document around `sections`, one WeasyPrint pass."""
    return render_to_string(
        DOCUMENT_TEMPLATE,
        {
            "job": job, "migration": migration, "site": site,
            "pages": mark_safe("".join(sections)),  # noqa: S308 (rendered by templates)
            "count": len(sections), "generated_at": generated_at or clock.now(),
        },
    )  # fmt: skip


# Documents of at least this many pages are rendered in parallel: one piece per core, each
# in a forked child of its own, joined into one PDF (documents/join.py). Below it, one
# child: the form laid out once per piece and the join are not worth it.
PARALLEL_MIN_PAGES = 60


# A piece lays its pages out in batches of at most this many and writes each batch to PDF
# before the next, so that a child holds one batch's layout at a time (memory: about
# 0.3 MiB a value page laid out; docs/performance.md).
PAGES_PER_BATCH = 100


# ... and each piece has at least this many pages (the form is laid out once per piece).
MIN_PAGES_PER_PIECE = 30


def checklist_workers() -> int:
    """How many pieces a large document is rendered in: one per core this process may
    run on (its CPU affinity where the system tells it, else `os.cpu_count()`)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, cores)


def _chunks(numbers: list[int], parts: int) -> list[list[int]]:
    """`numbers` in `parts` runs of consecutive numbers, as equal as can be."""
    size, extra = divmod(len(numbers), parts)
    out, start = [], 0
    for part in range(parts):
        end = start + size + (1 if part < extra else 0)
        if end > start:
            out.append(numbers[start:end])
        start = end
    return out


def _merge_info(infos: list[dict]) -> dict:
    return {
        "on_form": sum(i["on_form"] for i in infos),
        "flowing": [pk for i in infos for pk in i["flowing"]],
        "flowing_pages": sum(i["flowing_pages"] for i in infos),
        "laid_out_again": any(i["laid_out_again"] for i in infos),
    }


def checklist_pdf(
    migration, site, pages: list[ChecklistPage], *, job=None, workers: int | None = None
) -> RenderedPDF:
    """The checklists of `pages` as ONE PDF: the fixed form laid out once, each endpoint's
    values on a page of their own over it (documents/fixed_form.py). An endpoint whose
    values do not fit the form's slots is printed on the flowing layout instead, whole,
    in its place. Its `info` says how many went which way (docs/cutover-preflight.md).

    From `PARALLEL_MIN_PAGES` pages on, the pages are rendered in `workers` pieces
    (default: one per core, each of at least `MIN_PAGES_PER_PIECE` pages) at the same
    time, each in a forked child, and joined into one PDF in one more; the form is still
    stored once. The same time limit covers it all."""
    scope = checklist_scope(migration, site)
    count = len(pages)
    generated_at = clock.now()
    timeout = checklist_timeout(count)
    if not count:
        return pdf_render.render(checklist_html(migration, site, [], job=job),
                                 timeout_seconds=timeout)  # fmt: skip
    form_html = render_to_string(
        FORM_TEMPLATE,
        {"scope": scope, "checks": CHECKS, "calls": range(1, CALLS + 1),
         "generated_at": generated_at},
    )  # fmt: skip
    # The document around the sheets, split where they go; the slot rules go before the
    # first "</style>", which no value can produce (autoescaping turns "<" into "&lt;").
    head, _, tail = render_to_string(VALUES_DOCUMENT_TEMPLATE, {"scope": scope}).partition(
        SHEETS_PLACEHOLDER
    )
    if STYLE_END not in head or not tail:
        raise pdf_render.RenderFailed(f"{VALUES_DOCUMENT_TEMPLATE}: no <style> or sheets")
    max_html_bytes = checklist_max_html_bytes(count)
    for name in (VALUES_TEMPLATE, PAGE_TEMPLATE, DOCUMENT_TEMPLATE):
        get_template(name)  # compiled here once, not in every child
    context = {"count": count, "scope": scope}

    def prepare(layout):
        """Lay the form out (once per child): the form's page and its slots."""

        def lay_out(html):
            return layout(html, max_html_bytes=max_html_bytes)

        form = lay_out(form_html)
        form_page = form.pages[0] if len(form.pages) == 1 else None
        if form_page is None or form_page.bookmarks or form_page.links:
            raise pdf_render.RenderFailed(
                "the checklist form must be one page with no bookmarks or links"
            )
        slots = fixed_form.slots(form_page)
        if "qr" not in slots:
            raise pdf_render.RenderFailed("the checklist form has no slot for the QR code")
        styled_head = head.replace(STYLE_END, fixed_form.slot_css(slots) + STYLE_END, 1)
        return lay_out, form, form_page, slots, styled_head

    def compose_batch(prepared, numbers):
        """The checklists `numbers` (1-based, consecutive) as one document over the form."""
        lay_out, form, form_page, slots, styled_head = prepared
        with _no_database():
            sheets = {
                n: render_to_string(VALUES_TEMPLATE, {**context, "page": pages[n - 1], "index": n})
                for n in numbers
            }

        def lay_out_values(chosen):
            html = styled_head + "".join(sheets[n] for n in chosen) + tail
            return fixed_form.place(lay_out(html).pages, slots)

        placement = lay_out_values(numbers)
        too_big, spilled = placement.misfits, not placement.clean
        if spilled:
            # A value ran off the bottom of its page onto the next sheet: lay the sheets
            # out again without the ones that do not fit.
            fitting = [n for n in numbers if n not in too_big]
            nothing = fixed_form.Placement(pages={}, misfits=set(), clean=True)
            placement = lay_out_values(fitting) if fitting else nothing
            if not placement.clean or placement.misfits:
                raise pdf_render.RenderFailed(
                    "checklist value pages did not come out one page per checklist, twice"
                )
        if set(placement.pages) | too_big != set(numbers):
            raise pdf_render.RenderFailed("checklist sheets missing from the value pages")
        flowing = _flowing_pages(
            lay_out, migration, site, pages, scope, sorted(too_big), job, generated_at
        )
        out, onto, overlays = [form_page], [], {}
        for n in numbers:
            if n in too_big:
                out.extend(flowing[n])
            else:
                page = placement.pages[n]
                onto.append(len(out))
                # Indexes once the form's page is taken out (the finisher adds it first).
                overlays[len(out)] = fixed_form.qr_overlay(
                    qr_code(pages[n - 1].url).matrix, slots["qr"], page.height
                )
                out.append(page)
        info = {
            "on_form": len(onto),
            "flowing": [pages[n - 1].endpoint.pk for n in sorted(too_big)],
            "flowing_pages": sum(len(p) for p in flowing.values()),
            "laid_out_again": spilled,
        }
        return form.copy(out), fixed_form.underlay(0, onto, overlays), info

    everyone = list(range(1, count + 1))
    if workers is None:
        workers = min(checklist_workers(), max(1, count // MIN_PAGES_PER_PIECE))
    workers = max(1, workers)
    if workers < 2 or count < PARALLEL_MIN_PAGES:

        def compose(layout):
            return compose_batch(prepare(layout), everyone)

        return pdf_render.render_composed(compose, timeout_seconds=timeout)

    def piece(numbers):
        def compose(layout, emit):
            prepared, infos = prepare(layout), []
            for start in range(0, len(numbers), PAGES_PER_BATCH):
                document, finisher, info = compose_batch(
                    prepared, numbers[start : start + PAGES_PER_BATCH]
                )
                emit(document, finisher)
                infos.append(info)
                del document  # the next batch's layout replaces this one's
            return _merge_info(infos)

        return compose

    def join(pdfs, infos):
        pdf, joined_pages = pdf_join.join(pdfs)
        return pdf, joined_pages, {**_merge_info(infos), "pieces": len(infos),
                                   "batches": len(pdfs)}  # fmt: skip

    return pdf_render.render_parallel(
        [piece(numbers) for numbers in _chunks(everyone, workers)], join,
        timeout_seconds=timeout,
    )  # fmt: skip


def _flowing_pages(layout, migration, site, pages, scope, numbers, job, generated_at):
    """Lay out the checklists `numbers` on the flowing layout; their pages, by number.
    Runs in the rendering child: the pages' data is loaded already, and the database is
    refused (a query from a forked child would share the parent's connection)."""
    if not numbers:
        return {}
    with _no_database():
        sections = checklist_sections(pages, scope, numbers)
        html = checklist_html(migration, site, sections, job=job, generated_at=generated_at)
    by_number, current = {}, None
    for page in layout(html).pages:
        starts = [a for a in page.anchors if a.startswith("checklist-")]
        if starts:
            current = int(starts[0].removeprefix("checklist-"))
        by_number.setdefault(current, []).append(page)
    return by_number


@contextmanager
def _no_database():
    def refuse(*_args, **_kwargs):
        raise RuntimeError("no database access while rendering a PDF (forked child)")

    with ExitStack() as stack:
        for connection in connections.all(initialized_only=True):
            stack.enter_context(connection.execute_wrapper(refuse))
        yield
