"""A PDF rendered in pieces at once (documents.render.render_parallel) and joined into one
(documents.join): the pages in order, every piece's bookmarks on the right page of the
whole, the fixed form stored once, the first piece's document information; one time limit
for all of it, every child killed at the limit; a failed piece fails the render. No
database: the pieces run in forked children, like every render."""

import io
import os
import subprocess
import time

import pikepdf
import pytest

from documents import fixed_form, join, typeset
from documents.render import RenderFailed, RenderTimeout, render_parallel

FORM = """<!doctype html><html><head><title>Door cards</title><style>
@page { size: A6; margin: 10mm; }
body { font: 10pt/12pt "DejaVu Sans"; margin: 0; }
.slot { height: 12pt; border-bottom: 1px solid #000; }
</style></head><body>
<p>Name</p><div class="slot" id="slot-name"></div>
<div style="width: 30mm; height: 30mm" id="slot-qr"></div>
</body></html>"""
FONTS = {
    False: "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    True: "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
}


def _piece(numbers, per_batch=2):
    """A piece: the form laid out once, its sheets (a name set in its slot and a QR code)
    drawn over it in batches of `per_batch`, each batch one PDF (as the checklists do with
    runs of sheets between the checklists on the flowing layout)."""

    def compose(layout, emit):
        form = layout(FORM)
        form_page = form.pages[0]
        slots = fixed_form.slots(form_page)
        form_pdf = form.write_pdf()
        typesetter = typeset.Typesetter({bold: typeset.face(FONTS[bold]) for bold in FONTS})
        name = slots["name"]
        height = form_page.height * 0.75
        sheets = []
        for n in numbers:
            value = typeset.Value.text("name", f"Card {n}", typeset.Style(10, 12))
            segments = typesetter.set(value, name.width * 0.75, name.height * 0.75)
            drawn = typesetter.draw(segments, name.left * 0.75, height - name.top * 0.75)
            qr = fixed_form.qr_overlay(_matrix(f"card-{n}"), slots["qr"], form_page.height)
            sheets.append(fixed_form.Sheet(qr + b"\n" + drawn, bookmark=f"Card {n}"))
        for start in range(0, len(sheets), per_batch):
            pdf, pages = fixed_form.assemble(
                form_pdf, sheets[start : start + per_batch], typesetter.fonts
            )
            emit(pdf, pages_in_pdf=pages)
        return {"cards": list(numbers)}

    return compose


def _matrix(text):
    import segno

    return segno.make(text, error="m", micro=False).matrix


def _join(pdfs, infos):
    pdf, pages = join.join(pdfs)
    return pdf, pages, {"cards": [n for info in infos for n in info["cards"]], "parts": len(pdfs)}


def _texts(data: bytes, tmp_path) -> list[str]:
    path = tmp_path / "joined.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout  # fmt: skip
    return [page for page in text.split("\f") if page.strip()]


def test_pieces_are_joined_in_order_with_their_bookmarks_and_one_form(tmp_path):
    rendered = render_parallel([_piece([1, 2, 3]), _piece([4, 5])], _join)
    assert rendered.pages == 5
    assert rendered.info == {"cards": [1, 2, 3, 4, 5], "parts": 3}  # batches: 2 + 1
    assert rendered.children == 3  # two pieces and the join
    texts = _texts(rendered.pdf, tmp_path)
    assert [t.split("Card ")[1].split()[0] for t in texts] == ["1", "2", "3", "4", "5"]
    assert all("Name" in t for t in texts)  # the form under every page
    with pikepdf.open(io.BytesIO(rendered.pdf)) as pdf:
        pages = list(pdf.pages)
        # One form XObject in the whole file, drawn by one shared content stream.
        forms = {page.Resources.XObject.FixedForm.objgen for page in pages}
        draws = {page.Contents[0].objgen for page in pages}
        assert len(forms) == 1 and len(draws) == 1
        stored = [o for o in pdf.objects if isinstance(o, pikepdf.Stream)
                  and o.get("/Subtype") == "/Form"]  # fmt: skip
        assert len(stored) == 1
        # Each bookmark points at its own card's page, across the pieces.
        with pdf.open_outline() as outline:
            marks = [(str(item.title), item.destination[0].objgen) for item in outline.root]
        assert marks == [(f"Card {n}", pages[n - 1].obj.objgen) for n in range(1, 6)]
        assert str(pdf.docinfo["/Title"]) == "Door cards"
        assert "/PageLabels" not in pdf.Root  # as a single render: none
    # The QR code on each page reads back as its own card.
    import zxingcpp
    from PIL import Image

    path = tmp_path / "joined.pdf"
    path.write_bytes(rendered.pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "150", str(path), str(tmp_path / "card")],
                   check=True)  # fmt: skip
    codes = [
        [code.text for code in zxingcpp.read_barcodes(Image.open(png))]
        for png in sorted(tmp_path.glob("card-*.png"))
    ]
    assert codes == [[f"card-{n}"] for n in range(1, 6)]


def test_memory_counts_the_pieces_together_and_this_process():
    rendered = render_parallel([_piece([1]), _piece([2])], _join)
    assert rendered.peak_rss_kib > 0
    assert rendered.processes_peak_rss_kib > rendered.peak_rss_kib
    assert 0 < rendered.held_kib <= rendered.processes_peak_rss_kib


def test_a_pieces_passing_peak_of_private_memory_is_counted():
    def hungry(layout, emit):
        block = b"\x01" * (96 * 1024 * 1024)  # written, so resident: private to the child
        time.sleep(0.6)  # held for a few samples, then let go before the piece ends
        del block
        return _piece([1])(layout, emit)

    plain = render_parallel([_piece([1]), _piece([2])], _join)
    rendered = render_parallel([hungry, _piece([2])], _join)
    # Gone by the time the piece ended, the 96 MiB are still its peak (sampled).
    assert plain.pieces_private_kib < 96 * 1024 <= rendered.pieces_private_kib
    resident = plain.held_kib - plain.pieces_private_kib  # this process's part
    assert rendered.held_kib >= 96 * 1024 + 0.9 * resident


def test_one_time_limit_for_all_pieces_and_every_child_is_killed():
    def slow(layout, emit):
        time.sleep(60)
        return {}

    started = time.monotonic()
    with pytest.raises(RenderTimeout, match=r"longer than 1\.5 s") as timeout:
        render_parallel([_piece([1]), slow, slow], _join, timeout_seconds=1.5)
    assert time.monotonic() - started < 1.5 + 1.5
    assert len(timeout.value.pids) == 3
    for pid in timeout.value.pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # reaped, not left a zombie


def test_a_failed_piece_fails_the_render_at_once():
    def broken(layout, emit):
        raise RuntimeError("piece exploded")

    def slow(layout, emit):
        time.sleep(60)
        return {}

    started = time.monotonic()
    with pytest.raises(RenderFailed, match="RuntimeError: piece exploded"):
        render_parallel([slow, broken], _join, timeout_seconds=30)
    assert time.monotonic() - started < 10  # the slow piece was stopped, not waited for


def test_a_failed_join_fails_the_render():
    def bad_join(pdfs, infos):
        raise ValueError("cannot join")

    with pytest.raises(RenderFailed, match="joining the PDF failed: ValueError"):
        render_parallel([_piece([1]), _piece([2])], bad_join)


def test_one_piece_that_wrote_one_pdf_needs_no_join():
    def no_join(pdfs, infos):
        raise AssertionError("not called")

    rendered = render_parallel([_piece([1, 2], per_batch=2)], no_join)
    assert rendered.pages == 2 and rendered.children == 1
    assert rendered.info == {"cards": [1, 2]}


def test_a_piece_uses_the_locked_fetcher():
    def fetching(layout, emit):
        emit(layout('<img src="file:///etc/hostname"><p>x</p>'))
        return {}

    rendered = render_parallel([fetching], lambda pdfs, infos: (pdfs[0], 1, {}))
    assert rendered.fetch_log.refused_urls == ["file:///etc/hostname"]


def test_qr_overlay_fills_its_slot():
    slot = fixed_form.Slot("qr", left=10, top=20, width=100, height=100)
    content = fixed_form.qr_overlay([[1, 0], [0, 1]], slot, page_height_px=400, border=1)
    lines = content.decode().splitlines()
    assert lines[0] == "q 0 0 0 rg" and lines[-1] == "f Q"
    # 4 modules across 100 px (75 pt): each 18.75 pt; the first dark one after the border.
    x, y, w, h, op = lines[1].split()
    assert (float(x), float(w), float(h), op) == (7.5 + 18.75, 18.75, 18.75, "re")
    assert float(y) == pytest.approx((400 - 20) * 0.75 - 18.75 - 18.75)
    assert len(lines) == 4  # two dark modules, one rectangle each
