"""Join PDFs rendered in pieces into one (`documents.render.render_parallel`), with
pikepdf (qpdf): the pages in order, the bookmarks of every piece pointing at the same
pages in the whole, the first piece's document information, and the fixed form
(documents/fixed_form.py) stored ONCE: each piece drew its own copy of the form; in the
whole, every page draws the first piece's copy and the others are left out of the file.

Runs in a forked child under the render's time limit, like the rendering itself: the
pieces come from processes that laid out untrusted values, so not even qpdf parses them
in the web or Celery process."""

from __future__ import annotations

import io

import pikepdf
from pikepdf import Name

from .fixed_form import FORM_XOBJECT_NAME


def _outline_items(pdf: pikepdf.Pdf, items, page_numbers: dict) -> list[dict]:
    """A piece's bookmarks as plain data: title, page index in the piece, where on the
    page (/XYZ left top), and their children."""
    found = []
    for item in items:
        destination = item.destination
        if isinstance(destination, pikepdf.Array) and len(destination) >= 1:
            page = page_numbers.get(destination[0].objgen)
            left = float(destination[2]) if len(destination) > 3 else None
            top = float(destination[3]) if len(destination) > 3 else None
        else:
            page, left, top = None, None, None
        found.append(
            {"title": str(item.title), "page": page, "left": left, "top": top,
             "children": _outline_items(pdf, item.children, page_numbers)}
        )  # fmt: skip
    return found


def _add_outline(items, into: list, offset: int) -> None:
    for item in items:
        if item["page"] is None:
            new = pikepdf.OutlineItem(item["title"])
        else:
            new = pikepdf.OutlineItem(
                item["title"], item["page"] + offset, pikepdf.PageLocation.XYZ,
                left=item["left"], top=item["top"],
            )  # fmt: skip
        _add_outline(item["children"], new.children, offset)
        into.append(new)


def join(pdfs: list[bytes], *, shared_xobject: str = FORM_XOBJECT_NAME) -> tuple[bytes, int]:
    """The PDFs `pdfs` as one: (its bytes, its page count). Pages that draw the form
    XObject `shared_xobject` all draw the first copy of it (and its "draw the form"
    content stream); the other copies are no longer referenced and are not written."""
    out = pikepdf.new()
    key = Name("/" + shared_xobject)
    outline, pieces, shared, draw = [], [], None, None
    for number, data in enumerate(pdfs):
        piece = pikepdf.open(io.BytesIO(data))
        pieces.append(piece)  # open until saved: qpdf copies stream data when writing
        if number == 0:
            for name, value in piece.docinfo.items():
                out.docinfo[name] = value
            if Name.Lang in piece.Root:
                out.Root.Lang = piece.Root.Lang
        page_numbers = {page.obj.objgen: i for i, page in enumerate(piece.pages)}
        with piece.open_outline() as piece_outline:
            items = _outline_items(piece, piece_outline.root, page_numbers)
        offset = len(out.pages)
        out.pages.extend(piece.pages)
        piece_draw = None  # this piece's "draw the form" stream, as copied into `out`
        for page in out.pages[offset:]:
            xobjects = page.obj.get(Name.Resources, {}).get(Name.XObject)
            if xobjects is None or key not in xobjects:
                continue
            if shared is None:
                shared = xobjects[key]
            elif xobjects[key].objgen != shared.objgen:
                xobjects[key] = shared  # (the piece's pages share one resource dictionary)
            contents = page.obj.get(Name.Contents)
            if not isinstance(contents, pikepdf.Array) or not len(contents):
                continue  # a page that does not draw the form
            if piece_draw is None:
                piece_draw = contents[0] if _draws(contents[0], key) else False
            if draw is None:
                draw = piece_draw or None
            elif piece_draw and contents[0].objgen == piece_draw.objgen:
                contents[0] = draw
        _add_outline(items, outline, offset)
    with out.open_outline() as out_outline:
        out_outline.root.extend(outline)
    buffer = io.BytesIO()
    out.save(buffer)
    for piece in pieces:
        piece.close()
    return buffer.getvalue(), len(out.pages)


def _draws(stream, key) -> bool:
    """Whether a content stream only draws the XObject `key` (fixed_form.assemble's)."""
    try:
        return stream.read_bytes().split() == [b"q", bytes(key), b"Do", b"Q"]
    except pikepdf.PdfError:
        return False
