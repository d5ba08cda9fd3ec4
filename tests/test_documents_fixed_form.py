"""Fixed forms (documents.fixed_form): the form laid out once by WeasyPrint and drawn under
every sheet, the values set straight into the PDF at the form's slots (documents.typeset),
the text searchable, and a value too big for its slot refused rather than cut off. No
database: the renders also prove the child never needs one."""

import io
import re
import subprocess
from html import unescape

import pikepdf
import pytest

from documents import fixed_form, typeset
from documents.render import RenderRefused, render_in_process, render_parallel

FORM = """<!doctype html><html><head><title>Door cards</title><style>
@page { size: A6; margin: 10mm; }
body { font: 10pt/12pt "DejaVu Sans"; margin: 0; }
.slot { height: 12pt; border-bottom: 1px solid #000; }
.slot.two { height: 24pt; }
</style></head><body>
<p>Name</p><div class="slot" id="slot-name"></div>
<p>Room</p><div class="slot two" id="slot-room"></div>
<div class="slot" id="slot-foot" style="position: fixed; bottom: 0; left: 0; right: 0"></div>
</body></html>"""

FONTS = {
    False: "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    True: "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
}
BODY = typeset.Style(10, 12)
PX = 0.75  # CSS px to points


def _cards(cards):
    """A piece drawing one sheet per card ({slot: text}) over the form; a card whose
    values do not all fit is left out and reported, as the checklists send it elsewhere."""

    def compose(layout, emit):
        form = layout(FORM)
        page = form.pages[0]
        slots = fixed_form.slots(page)
        typesetter = typeset.Typesetter({bold: typeset.face(FONTS[bold]) for bold in FONTS})
        sheets, refused = [], []
        for number, card in enumerate(cards, start=1):
            drawn = []
            for name, text in card.items():
                slot = slots[name]
                value = typeset.Value.text(name, text, BODY.with_(bold=name == "name"))
                segments = typesetter.set(value, slot.width * PX, slot.height * PX)
                if segments is None:
                    break
                drawn.append(
                    typesetter.draw(segments, slot.left * PX, (page.height - slot.top) * PX)
                )
            else:
                sheets.append(fixed_form.Sheet(b"\n".join(drawn), bookmark=card["name"]))
                continue
            refused.append(number)
        pdf, pages = fixed_form.assemble(form.write_pdf(), sheets, typesetter.fonts)
        emit(pdf, pages_in_pdf=pages)
        return {"refused": refused, "slots": {n: s.__dict__ for n, s in slots.items()}}

    return compose


def _render(cards):
    return render_parallel([_cards(cards)], lambda pdfs, infos: None)


def _words(data: bytes, tmp_path) -> list[list[tuple]]:
    """Each page's words with their boxes (pdftotext -bbox, points from the top-left)."""
    path = tmp_path / "cards.pdf"
    path.write_bytes(data)
    html = subprocess.run(["pdftotext", "-bbox", str(path), "-"], check=True,
                          capture_output=True, text=True).stdout  # fmt: skip
    pages = []
    for page in html.split("<page ")[1:]:
        pages.append([
            (float(m[1]), float(m[2]), float(m[3]), float(m[4]), unescape(m[5]))
            for m in re.finditer(
                r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
                r"([^<]*)</word>", page)
        ])  # fmt: skip
    return pages


def test_slots_are_where_the_form_put_them():
    page = render_in_process(FORM).pages[0]
    slots = fixed_form.slots(page)
    assert sorted(slots) == ["foot", "name", "room"]
    name, room = slots["name"], slots["room"]
    assert name.height == pytest.approx(16 + 1)  # 12pt and the 1px rule, in CSS px
    assert room.top > name.top + name.height and room.left == name.left


def test_the_form_is_drawn_under_every_sheet_and_its_own_page_removed(tmp_path):
    rendered = _render([{"name": "Ada", "room": "12"}, {"name": "Grace", "room": "4"}])
    assert rendered.pages == 2 and rendered.info["refused"] == []
    first, second = _words(rendered.pdf, tmp_path)
    assert {"Name", "Room", "Ada", "12"} <= {w[4] for w in first}
    assert {"Name", "Room", "Grace", "4"} <= {w[4] for w in second}
    with pikepdf.open(io.BytesIO(rendered.pdf)) as pdf:
        pages = list(pdf.pages)
        assert len(pages) == 2
        for page in pages:
            assert page.Contents[0].read_bytes().split() == [b"q", b"/FixedForm", b"Do", b"Q"]
        # One "draw the form" stream, one form, one resource dictionary with the fonts.
        assert len({page.Contents[0].objgen for page in pages}) == 1
        assert len({page.obj.Resources.objgen for page in pages}) == 1
        forms = [o for o in pdf.objects if isinstance(o, pikepdf.Stream)
                 and o.get("/Subtype") == "/Form"]  # fmt: skip
        assert len(forms) == 1
        fonts = pages[0].Resources.Font
        assert set(fonts.keys()) == {"/DrawnRegular", "/DrawnBold"}
        # Embedded as subsets: a tagged name and only the glyphs drawn.
        bold = fonts.DrawnBold.DescendantFonts[0]
        assert re.fullmatch(r"/[A-Z]{6}\+DejaVuSans-Bold", str(bold.BaseFont))
        assert len(bold.FontDescriptor.FontFile2.read_bytes()) < 40_000
        with pdf.open_outline() as outline:
            marks = [(str(item.title), item.destination[0].objgen) for item in outline.root]
        assert marks == [("Ada", pages[0].obj.objgen), ("Grace", pages[1].obj.objgen)]
        assert str(pdf.docinfo["/Title"]) == "Door cards"
        # No named destinations: the slot ids are not links anyone follows.
        assert "/Dests" not in pdf.Root.get("/Names", {})


def test_values_sit_inside_their_slots(tmp_path):
    room = "Room 4, then the long corridor past the lifts and the kitchen"  # two lines
    rendered = _render([{"name": "Ada Lovelace", "room": room, "foot": "Card 1 of 1"}])
    (words,) = _words(rendered.pdf, tmp_path)
    slots = {n: fixed_form.Slot(**s) for n, s in rendered.info["slots"].items()}

    def inside(word, slot):
        left, top = slot.left * PX, slot.top * PX
        return (left - 0.5 <= word[0] and word[2] <= left + slot.width * PX + 0.5
                and top - 1 <= word[1] and word[3] <= top + slot.height * PX + 1)  # fmt: skip

    placed = {w[4]: w for w in words}
    assert inside(placed["Ada"], slots["name"]) and inside(placed["Lovelace"], slots["name"])
    for word in ("4,", "corridor", "lifts", "kitchen"):
        assert inside(placed[word], slots["room"]), word
    assert placed["kitchen"][1] > placed["4,"][1] + 6  # on the second line
    assert inside(placed["Card"], slots["foot"])
    # The label and its value share a baseline with the form's own text in the same type.
    label = next(w for w in words if w[4] == "Name")
    assert placed["Ada"][1] > label[3]  # the slot is under its label


def test_a_value_too_big_for_its_slot_is_refused_not_cut(tmp_path):
    long_room = "Room 4, then the long corridor past the lifts and the kitchen " * 2
    rendered = _render([{"name": "Ada", "room": "12"}, {"name": "Grace", "room": long_room}])
    assert rendered.info["refused"] == [2] and rendered.pages == 1
    (words,) = _words(rendered.pdf, tmp_path)
    assert "corridor" not in {w[4] for w in words}


def test_a_form_over_its_size_limit_is_refused():
    def compose(layout, emit):
        layout(FORM, max_html_bytes=100)
        return {}

    with pytest.raises(RenderRefused, match="100-byte limit"):
        render_parallel([compose], lambda pdfs, infos: None)
