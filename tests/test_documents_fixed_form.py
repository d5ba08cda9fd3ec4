"""Fixed forms (documents.fixed_form): the form laid out once and drawn under every value
page, values placed at the form's slots, and values that are too big for their slot, off
it, or run onto the next page reported rather than cut off. No database: the renders also
prove the child never needs one."""

import io
import subprocess

import pytest
from pyhanko.pdf_utils.reader import PdfFileReader

from documents import fixed_form
from documents.render import RenderRefused, render_composed, render_in_process

FORM = """<!doctype html><html><head><style>
@page { size: A6; margin: 10mm; }
body { font: 10pt/12pt "DejaVu Sans"; margin: 0; }
.slot { height: 12pt; border-bottom: 1px solid #000; }
</style></head><body>
<p>Name</p><div class="slot" id="slot-name"></div>
<p>Room</p><div class="slot" id="slot-room"></div>
<div class="slot" id="slot-foot" style="position: fixed; bottom: 0; left: 0; right: 0"></div>
</body></html>"""

VALUES = """<!doctype html><html><head><style>
@page { size: A6; margin: 0; }
body { font: 10pt/12pt "DejaVu Sans"; margin: 0; }
.sheet { position: relative; height: 100mm; break-after: page; }
.sheet:last-child { break-after: auto; }
.v { position: absolute; }
SLOTS
</style></head><body>
<div class="sheet" id="sheet-1"><div class="v at-name" id="v1-name">Ada</div>
  <div class="v at-room" id="v1-room">12</div></div>
<div class="sheet" id="sheet-2"><div class="v at-name" id="v2-name">Grace</div>
  <div class="v at-room" id="v2-room">Room 4, then the long corridor past the lifts and
  the kitchen, third door on the left beside the fire exit</div></div>
</body></html>"""


def _compose(layout):
    form = layout(FORM)
    slots = fixed_form.slots(form.pages[0])
    values = layout(VALUES.replace("SLOTS", fixed_form.slot_css(slots)))
    placement = fixed_form.place(values.pages, slots)
    document = form.copy([form.pages[0], *values.pages])
    info = {"slots": sorted(slots), "misfits": sorted(placement.misfits),
            "clean": placement.clean}  # fmt: skip
    return document, fixed_form.underlay(0, [1, 2]), info


def _placement(values_html):
    slots = fixed_form.slots(render_in_process(FORM).pages[0])
    values = render_in_process(values_html.replace("SLOTS", fixed_form.slot_css(slots)))
    return fixed_form.place(values.pages, slots)


def _page_texts(data: bytes, tmp_path) -> list[str]:
    path = tmp_path / "form.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout  # fmt: skip
    return [page for page in text.split("\f") if page.strip()]


def test_slots_are_where_the_form_put_them():
    page = render_in_process(FORM).pages[0]
    slots = fixed_form.slots(page)
    assert sorted(slots) == ["foot", "name", "room"]
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
    assert rendered.info == {"slots": ["foot", "name", "room"], "misfits": [2], "clean": True}


def test_values_off_their_slots_do_not_fit():
    # Without the slot rules every value stays where it would flow: none is at its slot.
    slots = fixed_form.slots(render_in_process(FORM).pages[0])
    values = render_in_process(VALUES.replace("SLOTS", ""))
    assert fixed_form.place(values.pages, slots).misfits == {1, 2}
    # A value wider than its slot does not fit either, nor one for a slot the form lacks.
    assert _placement(VALUES.replace(">Ada<", ' style="width: 120mm">Ada<')).misfits == {1, 2}
    assert _placement(VALUES.replace("v1-room", "v1-desk")).misfits == {1, 2}


def test_a_value_that_runs_onto_the_next_page_is_caught():
    long_foot = '<div class="v at-foot" id="v1-foot">' + "overflowing text " * 60 + "</div>"
    first_sheet_end = 'id="v1-room">12</div>'
    placement = _placement(VALUES.replace(first_sheet_end, first_sheet_end + long_foot))
    assert 1 in placement.misfits and not placement.clean  # lay it out again without 1


def test_a_composed_layout_over_its_size_limit_is_refused():
    def compose(layout):
        return layout(FORM, max_html_bytes=100), None, {}

    with pytest.raises(RenderRefused, match="100-byte limit"):
        render_composed(compose)
