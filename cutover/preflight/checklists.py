"""The printed pre-flight checklists: one page per endpoint with its QR code, on the fixed
form laid out once per document (documents/fixed_form.py), as ONE PDF for a site or a
migration (docs/cutover-preflight.md, docs/pdf-rendering.md).

Never the SIP password: nothing here reads `Endpoint.sip_password`."""

from __future__ import annotations

import logging
import os
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from itertools import groupby

import segno
from django.conf import settings
from django.db import connections
from django.db.models import Prefetch
from django.template.loader import get_template, render_to_string
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.safestring import mark_safe

from cutover.preflight.selectors import CALLS, CHECKS, _preflight_or_none
from documents import fixed_form, typeset
from documents import join as pdf_join
from documents import render as pdf_render
from documents.fixed_form import PX_TO_PT
from documents.render import RenderedPDF
from e911.locations.selectors import coverage
from porting.models import PhoneNumber
from tenancy import clock
from tenancy.phone import shown

logger = logging.getLogger(__name__)


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


# The render's time limit grows with the document: PDF_RENDER_TIMEOUT_SECONDS plus this
# much per page (a page takes a few milliseconds on the form, about 0.15 s on the flowing
# layout: docs/performance.md), so that a whole migration's checklists are not killed at
# the single-document limit.
SECONDS_PER_PAGE = 1.0


# The HTML size limit grows the same way (a flowing page is about 7 KB of HTML; its fields
# are bounded by the models), else a migration of more than
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


# A piece lays the checklists that go on the flowing layout out in batches of at most
# this many and writes each batch to PDF before the next, so that a child holds one
# batch's layout at a time (the pages drawn on the form are not laid out at all).
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
    }


# The checklist's type (templates/cutover/_checklist_type.css), for the values drawn on
# the form: sizes and line heights in points, colours 0 to 1.
INK, MUTED, WARNING = (0x11 / 255,) * 3, (0x55 / 255,) * 3, (0x8A / 255, 0x5A / 255, 0.0)
BODY = typeset.Style(9, 11, color=INK)
TITLE = typeset.Style(15, 18, bold=True, color=INK)
SMALL = typeset.Style(7.5, 9.5, color=INK)
TINY = typeset.Style(6, 7.5, color=INK, align="center")
MARK = typeset.Style(8, 9, bold=True, color=INK, align="center")
PASS_MARK, FAIL_MARK = "\u2713", "\u2717"  # ✓ ✗


def _or_dash(value) -> str:
    return str(value) if value else "\u2014"


def checklist_title(page: ChecklistPage) -> str:
    """The page's heading, also its bookmark."""
    endpoint = page.endpoint
    title = f"Pre-flight checklist: {endpoint.display_name or endpoint.get_kind_display()}"
    return f"{title} \u00b7 x{endpoint.extension}" if endpoint.extension else title


def _e911_runs(page: ChecklistPage) -> tuple:
    """The E911 slot (templates/cutover/_checklist_e911.html): the location, or why there
    is none, then what is wrong with it on a line of its own."""
    Run = typeset.Run
    if page.location:
        first = [Run(page.location.one_line, BODY)]
        if page.location.label:
            first.append(Run(f" ({page.location.label})", BODY))
        if page.location_source:
            first.append(Run(f" \u00b7 {page.location_source}", BODY.with_(color=MUTED)))
    elif page.location_source == "exempt":
        first = [Run("Exempt (non-dialing)", BODY)]
    else:
        first = [Run("None on record", BODY.with_(color=WARNING))]
    paragraphs = [tuple(first)]
    if page.location_problem and page.location_source != "exempt":
        paragraphs.append((Run(page.location_problem, SMALL.with_(color=WARNING)),))
    return tuple(paragraphs)


def checklist_values(page: ChecklistPage, index: int, count: int) -> list[typeset.Value]:
    """What the fixed form's slots print for one checklist: the same as the flowing
    layout's page (preflight_pdf_page.html), value by value. Never the SIP password."""
    Value, Run = typeset.Value, typeset.Run
    endpoint, site, preflight = page.endpoint, page.site, page.preflight
    values = [
        Value.text("title", checklist_title(page), TITLE),
        Value.text("where", f"{site.name} \u00b7 {site.address_display}",
                   BODY.with_(color=MUTED)),
        Value.text("url", page.url, TINY),
        Value.text("site", site.name, BODY),
        Value.text("user", _or_dash(endpoint.display_name)
                   + (f" \u00b7 {endpoint.user_email}" if endpoint.user_email else ""), BODY),
        Value.text("extension", _or_dash(endpoint.extension), BODY),
        Value.text("dids", ", ".join(shown(n.number) for n in page.numbers) or "\u2014", BODY),
        Value.text("mac", _or_dash(endpoint.mac_address), BODY),
        Value.text("model", f"{_or_dash(endpoint.make)} {endpoint.model} "
                   f"({endpoint.get_kind_display()})", BODY),
        Value.text("firmware", _or_dash(endpoint.firmware), BODY),
        Value("e911", BODY, _e911_runs(page)),
        Value.text("footer", f"Checklist {index} of {count}", SMALL.with_(color=MUTED)),
    ]  # fmt: skip
    if preflight:
        runs = [Run("Recorded status: ", SMALL),
                Run(preflight.get_status_display(), SMALL.with_(bold=True))]  # fmt: skip
        if preflight.signed_at:
            signed = dateformat.format(timezone.localtime(preflight.signed_at), "Y-m-d")
            runs.append(Run(f", signed by {_or_dash(preflight.signed_by)} {signed}", SMALL))
        values.append(Value("status", SMALL, (tuple(runs),)))
    for check, recorded in page.checks:
        if recorded.get("ok") is True:
            values.append(Value.text(f"{check.code}-pass", PASS_MARK, MARK))
        elif recorded.get("ok") is False:
            values.append(Value.text(f"{check.code}-fail", FAIL_MARK, MARK))
        if recorded.get("note"):
            values.append(Value.text(f"{check.code}-note", str(recorded["note"]), SMALL))
    for number, call in enumerate(page.calls, start=1):
        if call.get("line"):
            values.append(Value.text(f"call{number}-line", shown(call["line"]), BODY))
        if call.get("result") == "pass":
            values.append(Value.text(f"call{number}-pass", PASS_MARK, MARK))
        elif call.get("result") == "fail":
            values.append(Value.text(f"call{number}-fail", FAIL_MARK, MARK))
    return values


def _draw_sheet(typesetter, page, index, count, form_slots, page_height_px):
    """The checklist `page` as a sheet over the form, or None when a value does not fit
    its slot or cannot be set without a shaping engine (documents/typeset.py): that
    checklist prints on the flowing layout instead."""
    placed = []
    for value in checklist_values(page, index, count):
        slot = form_slots.get(value.slot)
        if slot is None:
            return None
        segments = typesetter.set(value, slot.width * PX_TO_PT, slot.height * PX_TO_PT)
        if segments is None:
            return None
        placed.append((slot, segments))
    height = page_height_px * PX_TO_PT
    content = [fixed_form.qr_overlay(qr_code(page.url).matrix, form_slots["qr"], page_height_px)]
    for slot, segments in placed:
        content.append(
            typesetter.draw(segments, slot.left * PX_TO_PT, height - slot.top * PX_TO_PT)
        )
    return fixed_form.Sheet(
        content=b"\n".join(content), bookmark=checklist_title(page),
        bookmark_top=form_slots["title"].top * PX_TO_PT,
    )  # fmt: skip


def checklist_faces() -> dict | None:
    """{bold: Face} from CHECKLIST_FONT_FILES (regular, bold), read once per process;
    None (logged) when one cannot be read."""
    files = settings.CHECKLIST_FONT_FILES
    try:
        return {bold: typeset.face(str(files[bold])) for bold in (False, True)}
    except Exception:  # a missing or broken font file: print the flowing layout
        logger.warning("checklist fonts unreadable (%s): flowing layout only", files,
                       exc_info=True)  # fmt: skip
        return None


def checklist_pdf(
    migration, site, pages: list[ChecklistPage], *, job=None, workers: int | None = None
) -> RenderedPDF:
    """The checklists of `pages` as ONE PDF: the fixed form laid out once, each endpoint's
    values drawn on a page of their own over it (documents/fixed_form.py,
    documents/typeset.py). An endpoint whose values do not fit the form's slots is printed
    on the flowing layout instead, whole, in its place. Its `info` says how many went
    which way (docs/cutover-preflight.md).

    The pages are rendered in `workers` pieces (default: one per core, each of at least
    `MIN_PAGES_PER_PIECE` pages; one below `PARALLEL_MIN_PAGES` pages) at the same time,
    each in a forked child, and joined into one PDF in one more; the form and its "draw
    the form" stream are stored once. The same time limit covers it all."""
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
    max_html_bytes = checklist_max_html_bytes(count)
    for name in (PAGE_TEMPLATE, DOCUMENT_TEMPLATE):
        get_template(name)  # compiled here once, not in every child
    faces = checklist_faces()  # read here once, inherited by every child

    def prepare(layout):
        """Lay the form out (once per child): the form alone as a PDF, and its slots."""
        form = layout(form_html, max_html_bytes=max_html_bytes)
        form_page = form.pages[0] if len(form.pages) == 1 else None
        if form_page is None or form_page.bookmarks or form_page.links:
            raise pdf_render.RenderFailed(
                "the checklist form must be one page with no bookmarks or links"
            )
        slots = fixed_form.slots(form_page)
        if "qr" not in slots or "title" not in slots:
            raise pdf_render.RenderFailed(
                "the checklist form has no slot for the QR code or the title"
            )
        return form.write_pdf(), slots, form_page.height

    def piece(numbers):
        def compose(layout, emit):
            form_pdf, slots, page_height = prepare(layout)
            typesetter = typeset.Typesetter(faces) if faces else None
            sheets = {}
            with _no_database():
                for n in numbers if typesetter else ():
                    sheet = _draw_sheet(typesetter, pages[n - 1], n, count, slots, page_height)
                    if sheet is not None:
                        sheets[n] = sheet
            flowing_pages = 0
            for on_form, run in groupby(numbers, key=lambda n: n in sheets):
                run = list(run)
                if on_form:
                    pdf, drawn = fixed_form.assemble(
                        form_pdf, [sheets[n] for n in run], typesetter.fonts
                    )
                    emit(pdf, pages_in_pdf=drawn)
                    continue
                for start in range(0, len(run), PAGES_PER_BATCH):
                    document = _flowing_document(
                        layout, migration, site, pages, scope, run[start : start + PAGES_PER_BATCH],
                        job, generated_at, max_html_bytes,
                    )  # fmt: skip
                    flowing_pages += len(document.pages)
                    emit(document)
                    del document  # the next batch's layout replaces this one's
            return {
                "on_form": len(sheets), "flowing_pages": flowing_pages,
                "flowing": [pages[n - 1].endpoint.pk for n in numbers if n not in sheets],
            }  # fmt: skip

        return compose

    everyone = list(range(1, count + 1))
    if workers is None:
        workers = min(checklist_workers(), max(1, count // MIN_PAGES_PER_PIECE))
    if count < PARALLEL_MIN_PAGES:
        workers = 1
    workers = max(1, workers)

    def join(pdfs, infos):
        pdf, joined_pages = pdf_join.join(pdfs)
        return pdf, joined_pages, {**_merge_info(infos), "pieces": len(infos),
                                   "batches": len(pdfs)}  # fmt: skip

    return pdf_render.render_parallel(
        [piece(numbers) for numbers in _chunks(everyone, workers)], join,
        timeout_seconds=timeout,
    )  # fmt: skip


def _flowing_document(layout, migration, site, pages, scope, numbers, job, generated_at,
                      max_html_bytes):  # fmt: skip
    """The checklists `numbers` laid out on the flowing layout, as one document. Runs in
    the rendering child: the pages' data is loaded already, and the database is refused (a
    query from a forked child would share the parent's connection)."""
    with _no_database():
        sections = checklist_sections(pages, scope, numbers)
        html = checklist_html(migration, site, sections, job=job, generated_at=generated_at)
    return layout(html, max_html_bytes=max_html_bytes)


@contextmanager
def _no_database():
    def refuse(*_args, **_kwargs):
        raise RuntimeError("no database access while rendering a PDF (forked child)")

    with ExitStack() as stack:
        for connection in connections.all(initialized_only=True):
            stack.enter_context(connection.execute_wrapper(refuse))
        yield
