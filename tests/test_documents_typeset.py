"""Values set straight into the PDF (documents.typeset): lines broken as CSS would, a value
that does not fit its slot refused, text only a shaping engine can set refused, and, for
any text, a value that is set keeps every character inside its slot: nothing cut off."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from documents import typeset

FONTS = {
    False: "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    True: "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
}
FACES = {bold: typeset.face(path) for bold, path in FONTS.items()}
BODY = typeset.Style(9, 11)


def _set(text, width, height=1000, style=BODY):
    return typeset.set_value(typeset.Value.text("v", text, style), width, height, FACES)


def _lines(segments):
    """The text of each line, in order."""
    lines = {}
    for segment in segments:
        lines.setdefault(segment.baseline, []).append(segment.text)
    return ["".join(parts) for _baseline, parts in sorted(lines.items())]


def _width(text, style=BODY):
    return sum(FACES[style.bold].advance[c] * style.size for c in text)


def test_a_short_value_is_one_line_on_the_first_baseline():
    (segment,) = _set("Dallas HQ", 200)
    assert segment.text == "Dallas HQ" and segment.x == 0
    font = FACES[False]
    half_leading = (11 - (font.ascent + font.descent) * 9) / 2
    assert segment.baseline == pytest.approx(half_leading + font.ascent * 9)


def test_lines_break_at_spaces_and_white_space_collapses():
    text = "Front   desk\tshared \n handset by the door"
    width = _width("handset by the door") + 0.5  # less than "Front desk shared handset"
    assert _lines(_set(text, width)) == ["Front desk shared", "handset by the door"]


def test_a_word_longer_than_the_line_breaks_anywhere_and_urls_after_slashes():
    digits = "7" * 60
    lines = _lines(_set(digits, _width("7" * 25)))
    assert lines == ["7" * 25, "7" * 25, "7" * 10]
    url = "https://voip.example.com/o/northwind/endpoints/1234/preflight/"
    lines = _lines(_set(url, _width("https://voip.example.com/o/") + 1))
    assert lines[0] == "https://voip.example.com/o/" and "".join(lines) == url


def test_a_no_break_space_holds_its_words_together():
    text = "Suite\u00a0400 Main"
    lines = _lines(_set(text, _width("Suite\u00a0400") + 1))
    assert lines == ["Suite\u00a0400", "Main"]


def test_too_many_lines_for_the_slot_is_refused():
    width = _width("one two") + 1
    assert _lines(_set("one two one two", width, height=22)) == ["one two", "one two"]
    assert _set("one two one two one", width, height=22) is None  # three lines of 11


def test_centered_lines_are_centered():
    (segment,) = _set("x123", 100, style=BODY.with_(align="center"))
    assert segment.x == pytest.approx((100 - _width("x123")) / 2)


def test_runs_of_different_styles_share_the_line_and_its_baseline():
    small = typeset.Style(7.5, 9.5)
    value = typeset.Value("status", small, ((
        typeset.Run("Recorded status: ", small),
        typeset.Run("Passed", small.with_(bold=True)),
        typeset.Run(", signed", small),
    ),))  # fmt: skip
    segments = typeset.set_value(value, 300, 9.5, FACES)
    assert [s.text for s in segments] == ["Recorded status: ", "Passed", ", signed"]
    assert len({s.baseline for s in segments}) == 1
    assert segments[1].style.bold and segments[1].x == pytest.approx(
        _width("Recorded status: ", small)
    )


def test_a_forced_break_starts_a_new_line():
    value = typeset.Value("e911", BODY, (
        (typeset.Run("123 Main St", BODY),), (typeset.Run("Not validated", BODY),),
    ))  # fmt: skip
    assert _lines(typeset.set_value(value, 300, 33, FACES)) == ["123 Main St", "Not validated"]
    assert typeset.set_value(value, 300, 11, FACES) is None  # one line's room: refused


@pytest.mark.parametrize(
    "text",
    [
        "שלום",  # right to left
        "مرحبا",  # right to left, joined
        "Cafe\u0301",  # a combining accent
        "a\u200db",  # a format character (zero width joiner)
        "漢字",  # not in the font
        "a\u2003b",  # an em space: its own width and breaks
        "\u0007",  # a control character
    ],
)
def test_text_that_needs_a_shaping_engine_or_another_font_is_refused(text):
    assert _set(text, 500) is None


def test_accents_and_symbols_the_font_has_are_set():
    assert _lines(_set("Zoë Núñez · ✓ ✗ — (214) 555-0100", 500)) == [
        "Zoë Núñez · ✓ ✗ — (214) 555-0100"
    ]


ALPHABET = st.sampled_from([*"abcdefghijklmnopqrstuvwxyzWMI0123456789 /-.,·é\t\n", "\u00a0"])


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(ALPHABET, max_size=160),
    width=st.floats(min_value=12, max_value=300),
    lines=st.integers(min_value=1, max_value=4),
    bold=st.booleans(),
)
def test_a_value_that_is_set_is_whole_and_inside_its_slot(text, width, lines, bold):
    style = BODY.with_(bold=bold)
    height = lines * style.leading
    segments = _set(text, width, height, style)
    collapsed = " ".join(text.replace("\t", " ").replace("\n", " ").split(" "))
    collapsed = " ".join(part for part in collapsed.split(" ") if part)
    if segments is None:
        # Refused only when it really needs more lines than the slot has.
        assert len(_lines(_set(text, width, 10_000, style) or [])) > lines
        return
    set_lines = _lines(segments)
    assert len(set_lines) <= lines
    for segment in segments:
        assert segment.x >= 0
        assert segment.x + _width(segment.text, style) <= width + typeset.WIDTH_TOLERANCE_PT
        assert segment.baseline <= height
    # Every character is there, in order: the breaks only took spaces away.
    assert "".join(set_lines).replace(" ", "") == collapsed.replace(" ", "")
