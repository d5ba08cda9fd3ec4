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

from documents import fixed_form, join
from documents.render import RenderFailed, RenderTimeout, render_parallel

FORM = """<!doctype html><html><head><title>Door cards</title><style>
@page { size: A6; margin: 10mm; }
body { font: 10pt/12pt "DejaVu Sans"; margin: 0; }
.slot { height: 12pt; border-bottom: 1px solid #000; }
</style></head><body>
<p>Name</p><div class="slot" id="slot-name"></div>
<div style="width: 30mm; height: 30mm" id="slot-qr"></div>
</body></html>"""

VALUES_HEAD = """<!doctype html><html><head><title>Door cards</title><style>
@page { size: A6; margin: 0; }
body { font: 10pt/12pt "DejaVu Sans"; margin: 0; }
.sheet { position: relative; height: 100mm; break-after: page; }
.sheet:last-child { break-after: auto; }
.v { position: absolute; bookmark-level: 1; bookmark-label: content(text); }
SLOTS
</style></head><body>"""


def _piece(numbers, per_batch=2):
    """A piece: the form laid out once, its sheets in batches of `per_batch`, each batch
    written over the form with a QR code per page (as the checklists do)."""

    def compose(layout, emit):
        form = layout(FORM)
        form_page = form.pages[0]
        slots = fixed_form.slots(form_page)
        head = VALUES_HEAD.replace("SLOTS", fixed_form.slot_css(slots))
        for start in range(0, len(numbers), per_batch):
            batch = numbers[start : start + per_batch]
            sheets = "".join(
                f'<div class="sheet" id="sheet-{n}"><div class="v at-name" id="v{n}-name">'
                f"Card {n}</div></div>"
                for n in batch
            )
            values = layout(head + sheets + "</body></html>")
            overlays = {
                i + 1: fixed_form.qr_overlay(_matrix(f"card-{n}"), slots["qr"], page.height)
                for i, (n, page) in enumerate(zip(batch, values.pages, strict=True))
            }
            document = form.copy([form_page, *values.pages])
            emit(document, fixed_form.underlay(0, range(1, len(batch) + 1), overlays))
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
        render_parallel([_piece([1])], bad_join)


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
