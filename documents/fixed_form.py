"""Fixed forms: a page whose printed part is laid out ONCE and drawn under many pages of
values (the technicians' pre-flight checklists: 500 pages of the same form).

WeasyPrint's cost is per page laid out, not per document, so printing the same headings,
labels, instructions and boxes on every page costs as much as the values that differ.
Here the form is an ordinary HTML page laid out once, in the same PDF as the values:

1. The form marks where each value goes with an empty element whose id is `slot-<name>`,
   sized to hold the value (`Slot`: WeasyPrint reports where it placed it, `slots`).
2. The value pages hold only the values, absolutely positioned over those slots
   (`slot_css`), on pages with no margin, so page coordinates are slot coordinates.
3. `place` says which sheets have a value that is not where its slot is, or is wider
   or taller than it: the caller prints those another way (the checklists fall back to
   their flowing layout). A value is never cut off.
4. `underlay` (a WeasyPrint `write_pdf` finisher) turns the form's page into a PDF form
   XObject, draws it under each value page, and takes the form's own page out. The PDF
   holds the form once; each page's content is its values and one "draw the form" call.

All of it runs inside `documents.render.render_composed`, in the rendering child, under
the usual time limit and URL fetcher. docs/pdf-rendering.md has the why and the numbers."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import pydyf

SLOT_ID_PREFIX = "slot-"
# A value may be this much taller than its slot (CSS px: a quarter of a point) before it
# counts as not fitting; layout rounding is far smaller, a wrapped line far bigger.
PLACEMENT_TOLERANCE_PX = 0.35
FORM_XOBJECT_NAME = "FixedForm"


@dataclass(frozen=True)
class Slot:
    """Where a value goes: CSS px from the top-left corner of the page."""

    name: str
    left: float
    top: float
    width: float
    height: float


def slots(page) -> dict[str, Slot]:
    """The slots of a laid-out form page (a WeasyPrint `Page`), by name."""
    found = {}
    for anchor, (left, top, right, bottom) in page.anchors.items():
        if anchor.startswith(SLOT_ID_PREFIX):
            name = anchor[len(SLOT_ID_PREFIX) :]
            found[name] = Slot(name, left, top, right - left, bottom - top)
    return found


def slot_css(form_slots: dict[str, Slot]) -> str:
    """One rule per slot, `.at-<name>`, placing a value at its slot (with its width, so it
    wraps where the slot would). Slot names are the form template's ids: [a-z0-9-]."""
    return "".join(
        f".at-{slot.name}{{left:{slot.left:.3f}px;top:{slot.top:.3f}px;width:{slot.width:.3f}px}}"
        for slot in form_slots.values()
    )


VALUE_ID = re.compile(r"^v(\d+)-([a-z0-9-]+)$")
SHEET_ID = re.compile(r"^sheet-(\d+)$")


def misfits(box, slot: Slot | None) -> bool:
    """Whether a laid-out value (its anchor box: left, top, right, bottom) is not where
    its slot is, or is wider or taller than the slot. A value for a slot the form lacks
    does not fit either: it would be drawn nowhere sensible."""
    if slot is None:
        return True
    left, top, right, bottom = box
    tolerance = PLACEMENT_TOLERANCE_PX
    return (
        abs(left - slot.left) > tolerance
        or abs(top - slot.top) > tolerance
        or right - left > slot.width + tolerance
        or bottom - top > slot.height + tolerance
    )


@dataclass
class Placement:
    """Where the sheets of a value document landed (`place`)."""

    pages: dict  # sheet number -> its page
    misfits: set  # sheets with a value that does not fit its slot
    # Every page is one sheet and nothing ran from one page onto another. When False, lay
    # the document out again without the misfits: a value that reached the bottom of its
    # page was continued on the next, over another sheet's values.
    clean: bool


def place(pages, form_slots: dict[str, Slot]) -> Placement:
    """Check a laid-out value document. Each sheet (one page of values) carries the id
    `sheet-<n>`; each value the id `v<n>-<slot name>`, n its sheet's number."""
    by_sheet, bad, clean = {}, set(), True
    for page in pages:
        sheets = [int(m[1]) for anchor in page.anchors if (m := SHEET_ID.match(anchor))]
        own = sheets[0] if len(sheets) == 1 else None
        if own is None or own in by_sheet:  # a page of no sheet, or of two, or a sheet twice
            clean = False
        if own is not None:
            by_sheet.setdefault(own, page)
        for anchor, box in page.anchors.items():
            match = VALUE_ID.match(anchor)
            if match is None:
                continue
            number, name = int(match[1]), match[2]
            if number != own:
                bad.add(number)
                clean = False
            elif misfits(box, form_slots.get(name)):
                bad.add(number)
                if box[3] >= page.height - 1:  # reached the page's bottom: it may go on
                    clean = False
    return Placement(by_sheet, bad, clean)


def _object(pdf, reference):
    """The pydyf object a reference (b"12 0 R") points at."""
    return pdf.objects[int(reference.split()[0])]


def qr_overlay(matrix, slot: Slot, page_height_px: float, border: int = 2) -> bytes:
    """PDF content that draws a QR code (`matrix`: rows of 0/1 modules, segno's
    `QRCode.matrix`) filling `slot`, in black, with `border` light modules around it:
    one rectangle per run of dark modules. Vector modules are sharp at any size and cost
    far less than an image laid out on every page (docs/performance.md)."""
    size = len(matrix) + 2 * border
    module = min(slot.width, slot.height) / size * 0.75  # CSS px to PDF points
    left = slot.left * 0.75 + border * module
    top = (page_height_px - slot.top) * 0.75 - border * module  # PDF y grows upwards
    out = [b"q 0 0 0 rg"]
    for row_number, row in enumerate(matrix):
        y = top - (row_number + 1) * module
        column, width = 0, len(row)
        while column < width:
            if not row[column]:
                column += 1
                continue
            start = column
            while column < width and row[column]:
                column += 1
            out.append(
                f"{left + start * module:.3f} {y:.3f} {(column - start) * module:.3f} "
                f"{module:.3f} re".encode()
            )
    out.append(b"f Q")
    return b"\n".join(out)


def underlay(form_index: int, onto: Iterable[int], overlays: dict | None = None):
    """A `write_pdf` finisher: draw page `form_index` under each page in `onto` (indexes
    into the written document's pages), then remove page `form_index` from the page tree.
    `overlays` ({page index: PDF content bytes}, e.g. `qr_overlay`) are drawn on their
    pages (over the form, under the page's own content), in PDF points from the page's
    bottom-left corner.

    WeasyPrint writes every page with one shared resource dictionary (fonts, images), so
    the form's content stream becomes a form XObject using those same resources. Named
    destinations are dropped: they are the slot and value ids, which nothing links to."""
    onto = list(onto)

    def finish(_document, pdf):
        kids = pdf.pages["Kids"]
        numbers = list(kids[::3])
        form_page = pdf.objects[numbers[form_index]]
        content = _object(pdf, form_page["Contents"])
        resources = _object(pdf, form_page["Resources"])
        # The form's resources: the document's, as they are before the form joins them
        # (so that the form does not list itself).
        form_resources = pydyf.Dictionary(
            {**resources, "XObject": pydyf.Dictionary(resources["XObject"])}
        )
        pdf.add_object(form_resources)
        content.extra.update(
            {
                "Type": "/XObject",
                "Subtype": "/Form",
                "BBox": form_page["MediaBox"],
                "Resources": form_resources.reference,
            }
        )
        resources["XObject"][FORM_XOBJECT_NAME] = content.reference
        draw_form = pydyf.Stream(compress=content.compress)
        draw_form.push_state()
        draw_form.draw_x_object(FORM_XOBJECT_NAME)
        draw_form.pop_state()
        pdf.add_object(draw_form)
        for index in onto:
            page = pdf.objects[numbers[index]]
            page["Contents"] = pydyf.Array([draw_form.reference, page["Contents"]])
        for index, content in (overlays or {}).items():
            # At the start of the page's own content, before its first operator changes
            # the coordinate system for the rest of the page.
            contents = pdf.objects[numbers[index]]["Contents"]
            own = contents[-1] if isinstance(contents, pydyf.Array) else contents
            _object(pdf, own).stream.insert(0, content)
        del kids[3 * form_index : 3 * form_index + 3]
        pdf.pages["Count"] -= 1
        # The form's page object stays in the file (object numbers are positions), out of
        # the page tree and emptied.
        form_page.clear()
        names = pdf.catalog.get("Names")
        if names is not None:
            names.pop("Dests", None)

    return finish
