"""Fixed forms (documents.fixed_form): the form laid out once and drawn under every value
page, values placed at the form's slots, and values too big for their slot reported
rather than cut off. No database: the renders also prove the child never needs one."""

import io
import subprocess

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from documents import fixed_form
from documents.render import render_composed, render_in_process

FORM = """<!doctype html><html><head><style>
@page { size: A6; margin: 10mm; }
body { font: 10pt/12pt "DejaVu Sans"; margin: 0; }
.slot { height: 12pt; border-bottom: 1px solid #000; }
</style></head><body>
<p>Name</p><div class="slot" id="slot-name"></div>
<p>Room</p><div class="slot" id="slot-room"></div>
</body></html>"""

VALUES = """<!doctype html><html><head><style>
@page { size: A6; margin: 0; }
body { font: 10pt/12pt "DejaVu Sans"; margin: 0; }
.sheet { position: relative; height: 100mm; break-after: page; }
.sheet:last-child { break-after: auto; }
.v { position: absolute; }
SLOTS
</style></head><body>
<div class="sheet"><div class="v at-name" id="v1-name">Ada</div>
  <div class="v at-room" id="v1-room">12</div></div>
<div class="sheet"><div class="v at-name" id="v2-name">Grace</div>
  <div class="v at-room" id="v2-room">Room 4, then the long corridor past the lifts and
  the kitchen, third door on the left beside the fire exit</div></div>
</body></html>"""


def _compose(layout):
    form = layout(FORM)
    slots = fixed_form.slots(form.pages[0])
    values = layout(VALUES.replace("SLOTS", fixed_form.slot_css(slots)))
    too_big = {
        n: fixed_form.overflowing(page, slots, f"v{n}-")
        for n, page in enumerate(values.pages, start=1)
    }
    document = form.copy([form.pages[0], *values.pages])
    info = {"slots": sorted(slots), "too_big": too_big}
    return document, fixed_form.underlay(0, [1, 2]), info


def _page_texts(data: bytes, tmp_path) -> list[str]:
    path = tmp_path / "form.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout  # fmt: skip
    return [page for page in text.split("\f") if page.strip()]


def test_slots_are_where_the_form_put_them():
    page = render_in_process(FORM).pages[0]
    slots = fixed_form.slots(page)
    assert sorted(slots) == ["name", "room"]
    name, room = slots["name"], slots["room"]
    assert name.height == pytest.approx(16 + 1)  # 12pt and the 1px rule, in CSS px
    assert room.top > name.top + name.height and room.left == name.left
    css = fixed_form.slot_css(slots)
    assert f".at-name{{left:{name.left:.3f}px;top:{name.top:.3f}px;" in css


def test_the_form_is_drawn_under_every_value_page_and_its_own_page_removed(tmp_path):
    rendered = render_composed(_compose)
    assert rendered.pages == 2  # the form's own page is gone from the page tree
    first, second = _page_texts(rendered.pdf, tmp_path)
    assert "Name" in first and "Room" in first and "Ada" in first and "12" in first
    assert "Name" in second and "Grace" in second
    reader = PdfFileReader(io.BytesIO(rendered.pdf))
    kids = reader.root["/Pages"]["/Kids"]
    assert len(kids) == 2
    for index in range(2):
        contents = kids[index]["/Contents"]
        assert contents[0].data.split() == [b"q", b"/FixedForm", b"Do", b"Q"]
    assert kids[0]["/Contents"].raw_get(0).idnum == kids[1]["/Contents"].raw_get(0).idnum
    assert "/Dests" not in reader.root.get("/Names", {})


def test_a_value_taller_than_its_slot_is_reported_not_cut():
    rendered = render_composed(_compose)
    assert rendered.info["slots"] == ["name", "room"]
    assert rendered.info["too_big"] == {"1": [], "2": ["room"]}


def test_a_value_for_a_slot_the_form_lacks_counts_as_not_fitting():
    form_page = render_in_process(FORM).pages[0]
    slots = fixed_form.slots(form_page)
    values = render_in_process(
        VALUES.replace("SLOTS", fixed_form.slot_css(slots)).replace("v1-room", "v1-desk")
    )
    assert fixed_form.overflowing(values.pages[0], slots, "v1-") == ["desk"]
