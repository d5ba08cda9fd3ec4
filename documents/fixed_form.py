"""Fixed forms: a page whose printed part is laid out ONCE and drawn under many pages of
values (the technicians' pre-flight checklists: 500 pages of the same form).

WeasyPrint's cost is per page laid out, not per document, so printing the same headings,
labels, instructions and boxes on every page costs as much as the values that differ.
Here the form is an ordinary HTML page laid out once by WeasyPrint, and the values are set
straight into the PDF (documents/typeset.py), with no layout per page:

1. The form marks where each value goes with an empty element whose id is `slot-<name>`,
   sized to hold the value (`Slot`: WeasyPrint reports where it placed it, `slots`).
2. The caller sets each value in its slot with `documents.typeset`; a value that does not
   fit its slot, or that only a shaping engine can set, is refused there and the caller
   prints that sheet another way (the checklists: their flowing layout). A value is never
   cut off.
3. `assemble` turns the form's page into a PDF form XObject and adds one page per sheet:
   "draw the form" (one stream shared by every page) and the sheet's own content. The PDF
   holds the form once; each page's content is its values and one "draw the form" call.

All of it runs in a forked rendering child (documents.render.render_parallel), under the
usual time limit and URL fetcher. docs/pdf-rendering.md has the why and the numbers."""

from __future__ import annotations

import io
from dataclasses import dataclass

import pikepdf
from pikepdf import Array, Dictionary, Name

SLOT_ID_PREFIX = "slot-"
FORM_XOBJECT_NAME = "FixedForm"
PX_TO_PT = 0.75  # CSS px to PDF points


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


def qr_overlay(matrix, slot: Slot, page_height_px: float, border: int = 2) -> bytes:
    """PDF content that draws a QR code (`matrix`: rows of 0/1 modules, segno's
    `QRCode.matrix`) filling `slot`, in black, with `border` light modules around it:
    one rectangle per run of dark modules. Vector modules are sharp at any size and cost
    far less than an image laid out on every page (docs/performance.md)."""
    size = len(matrix) + 2 * border
    module = min(slot.width, slot.height) / size * PX_TO_PT
    left = slot.left * PX_TO_PT + border * module
    top = (page_height_px - slot.top) * PX_TO_PT - border * module  # PDF y grows upwards
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


@dataclass
class Sheet:
    """One page over the form: its content (PDF operators, in points from the page's
    bottom-left corner) and its bookmark, if any (`bookmark_top`: points from the page's
    top)."""

    content: bytes
    bookmark: str = ""
    bookmark_top: float = 0.0


def assemble(form_pdf: bytes, sheets: list[Sheet], fonts) -> tuple[bytes, int]:
    """A PDF of one page per sheet over the form: `form_pdf` is the form alone, one page
    (WeasyPrint's). `fonts(pdf)` returns the font resources the sheets' content names
    (`documents.typeset.Typesetter.fonts`). Returns (the PDF, its page count).

    Every page shares one resource dictionary and one "draw the form" stream, which is
    what `documents.join` looks for to keep one copy of the form in a joined document.
    Named destinations are dropped: they are the slot ids, which nothing links to."""
    pdf = pikepdf.open(io.BytesIO(form_pdf))
    if len(pdf.pages) != 1:
        raise ValueError("the form must be one page")
    form_page = pdf.pages[0]
    box = form_page.mediabox
    height = float(box[3]) - float(box[1])
    form = form_page.as_form_xobject()
    resources = pdf.make_indirect(
        Dictionary(XObject=Dictionary({f"/{FORM_XOBJECT_NAME}": form}), Font=fonts(pdf))
    )
    draw_form = pdf.make_stream(f"q /{FORM_XOBJECT_NAME} Do Q".encode())
    for sheet in sheets:
        page = Dictionary(
            Type=Name.Page, MediaBox=Array(box), Resources=resources,
            Contents=Array([draw_form, pdf.make_stream(sheet.content)]),
        )  # fmt: skip
        pdf.pages.append(pikepdf.Page(pdf.make_indirect(page)))
    del pdf.pages[0]
    with pdf.open_outline() as outline:
        outline.root.clear()
        for index, sheet in enumerate(sheets):
            if sheet.bookmark:
                outline.root.append(
                    pikepdf.OutlineItem(sheet.bookmark, index, pikepdf.PageLocation.XYZ,
                                        left=0, top=height - sheet.bookmark_top)
                )  # fmt: skip
    names = pdf.Root.get(Name.Names)
    if names is not None and Name.Dests in names:
        del names[Name.Dests]
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue(), len(sheets)
