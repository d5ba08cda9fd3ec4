"""Short values set straight into a PDF, with no layout engine: the values printed over a
fixed form's slots (documents/fixed_form.py), where WeasyPrint would lay out a page of
absolutely positioned boxes for each sheet (docs/pdf-rendering.md, "Fixed forms: one
layout under many pages").

Only what can be set exactly without a shaping engine is set here: left-to-right text whose
every character the font has a glyph for, no combining marks, no format or control
characters. Everything else is refused (`Typesetter.set` returns None) and the caller lays
that sheet out with WeasyPrint instead. A value is measured with the same font file and
advance widths it is drawn with, so a value that is set fits its slot: nothing is cut off.

Lines break like CSS `overflow-wrap: break-word` with `white-space: normal`: runs of
spaces, tabs and newlines collapse to one space; lines break at spaces and after "/"; a
word longer than the line is broken between characters. The glyphs are embedded once per
document as a subset of the font (fontTools), with their widths and a ToUnicode map so that
the text can be searched, copied and extracted."""

from __future__ import annotations

import functools
import hashlib
import io
import re
import unicodedata
from dataclasses import dataclass, field, replace

import pikepdf
from fontTools import subset as font_subset
from fontTools.ttLib import TTFont
from pikepdf import Array, Dictionary, Name

# A set value may be this much taller than its slot (points) before it counts as not
# fitting: rounding of the slot's CSS size, far less than a line.
HEIGHT_TOLERANCE_PT = 0.26
WIDTH_TOLERANCE_PT = 0.01

COLLAPSIBLE = " \t\n\r\f"
# Characters a shaping engine would move, join or reorder: such a value is not set here.
REFUSED_CATEGORIES = frozenset({"Mn", "Mc", "Me", "Cf", "Cc", "Co", "Cs", "Cn", "Zl", "Zp"})
REFUSED_BIDI = frozenset(
    {"R", "AL", "AN", "RLE", "RLO", "RLI", "LRE", "LRO", "LRI", "FSI", "PDF", "PDI"}
)
SPACE, NO_BREAK_SPACE = " ", "\u00a0"


@dataclass(frozen=True)
class Style:
    """How a run of text is set: size and line height (CSS line-height) in points, bold,
    the fill colour (0 to 1), and, for a whole value, its alignment."""

    size: float
    leading: float
    bold: bool = False
    color: tuple = (0.067, 0.067, 0.067)
    align: str = "left"  # "left" | "center"

    def with_(self, **changes) -> Style:
        return replace(self, **changes)


@dataclass(frozen=True)
class Run:
    text: str
    style: Style


@dataclass(frozen=True)
class Value:
    """A value for a slot: paragraphs (separated by forced line breaks) of runs. Every
    line is `style.leading` high and its runs share the line's baseline (CSS: the block's
    strut), so no run may have a larger size or line height than the block."""

    slot: str
    style: Style
    paragraphs: tuple  # tuple[tuple[Run, ...], ...]

    @classmethod
    def text(cls, slot: str, text: str, style: Style) -> Value:
        return cls(slot, style, ((Run(text, style),),))


@functools.cache
def plain_character(character: str) -> bool:
    """Whether a character needs no shaping engine: no combining mark, no format, control,
    private-use or unassigned character, no right-to-left or bidi control, and no space
    other than U+0020 and U+00A0 (other spaces have widths and break rules of their own)."""
    category = unicodedata.category(character)
    if category in REFUSED_CATEGORIES:
        return character in COLLAPSIBLE
    if category == "Zs" and character not in (SPACE, NO_BREAK_SPACE):
        return False
    return unicodedata.bidirectional(character) not in REFUSED_BIDI


class Face:
    """A TrueType font file: its glyph ids and advance widths by character, and the
    metrics the PDF font dictionary needs. Read once per process (`face`); forked
    rendering children inherit it."""

    def __init__(self, data: bytes):
        self.data = data
        font = TTFont(io.BytesIO(data), lazy=True)
        units = font["head"].unitsPerEm
        metrics = font["hmtx"].metrics
        glyph_ids = font.getReverseGlyphMap()
        cmap = font.getBestCmap() or {}
        self.glyph = {chr(cp): glyph_ids[name] for cp, name in cmap.items()}
        self.advance = {chr(cp): metrics[name][0] / units for cp, name in cmap.items()}
        self.glyph_width = {
            glyph_ids[name]: width / units for name, (width, _lsb) in metrics.items()
        }
        hhea, head = font["hhea"], font["head"]
        self.ascent = hhea.ascent / units
        self.descent = -hhea.descent / units
        self.bbox = [round(v * 1000 / units) for v in (head.xMin, head.yMin, head.xMax, head.yMax)]
        os2 = font.get("OS/2")
        self.cap_height = round(getattr(os2, "sCapHeight", 0) * 1000 / units) or self.bbox[3]
        self.italic_angle = float(font["post"].italicAngle) if "post" in font else 0.0
        name = font["name"].getDebugName(6) if "name" in font else None
        self.postscript_name = re.sub(r"[^A-Za-z0-9-]", "", name or "") or "Font"
        font.close()

    def covers(self, character: str) -> bool:
        return character in self.glyph

    def subset(self, glyph_ids) -> bytes:
        """The font with only `glyph_ids` (and .notdef) kept, each at its own id."""
        options = font_subset.Options()
        options.retain_gids = True  # the content streams use the full font's ids
        options.layout_features = []  # drawn glyph by glyph: no substitutions
        options.drop_tables += ["FFTM", "GSUB", "GPOS", "GDEF", "kern"]
        options.notdef_outline = True
        options.glyph_names = False
        font = TTFont(io.BytesIO(self.data))
        subsetter = font_subset.Subsetter(options)
        subsetter.populate(gids=sorted(set(glyph_ids) | {0}))
        subsetter.subset(font)
        out = io.BytesIO()
        font.save(out)
        return out.getvalue()


@functools.cache
def face(path: str) -> Face:
    with open(path, "rb") as file:
        return Face(file.read())


@dataclass
class Segment:
    """A run of one style on one line, placed: x from the slot's left and the baseline
    from the slot's top, in points."""

    x: float
    baseline: float
    style: Style
    text: str


def _characters(paragraph, faces) -> list | None:
    """A paragraph's characters with their styles, white space collapsed as CSS does, or
    None when one cannot be set here."""
    out = []
    for run in paragraph:
        font = faces[run.style.bold]
        for character in run.text:
            if character in COLLAPSIBLE:
                if not font.covers(SPACE):
                    return None
                if out and out[-1][0] != SPACE:
                    out.append((SPACE, run.style))
                continue
            if not plain_character(character) or not font.covers(character):
                return None
            out.append((character, run.style))
    while out and out[-1][0] == SPACE:
        out.pop()
    return out


def _pieces(characters):
    """Unbreakable pieces: (characters, breaks_with_space). A piece ends at a space (which
    is not part of it) or after a "/"."""
    piece = []
    for character, style in characters:
        if character == SPACE:
            if piece:
                yield piece, True
            piece = []
            continue
        piece.append((character, style))
        if character == "/":
            yield piece, False
            piece = []
    if piece:
        yield piece, False


def _break_lines(characters, faces, width: float) -> list[list]:
    """Greedy line breaking: each line a list of (character, style, advance)."""

    def measured(chars):
        return [(c, s, faces[s.bold].advance[c] * s.size) for c, s in chars]

    lines, line, line_width = [], [], 0.0
    space_before = None  # the style of the space owed before the next piece on this line
    limit = width + WIDTH_TOLERANCE_PT
    for chars, then_space in _pieces(characters):
        piece = measured(chars)
        piece_width = sum(w for _c, _s, w in piece)
        gap = faces[space_before.bold].advance[SPACE] * space_before.size if (
            line and space_before is not None) else 0.0  # fmt: skip
        if line and line_width + gap + piece_width <= limit:
            if gap:
                line.append((SPACE, space_before, gap))
            line.extend(piece)
            line_width += gap + piece_width
        else:
            if line:
                lines.append(line)
            line, line_width = [], 0.0
            for entry in piece:  # a piece longer than the line is broken anywhere
                if line and line_width + entry[2] > limit:
                    lines.append(line)
                    line, line_width = [], 0.0
                line.append(entry)
                line_width += entry[2]
        space_before = chars[-1][1] if then_space else None
    if line:
        lines.append(line)
    return lines


def set_value(value: Value, width: float, height: float, faces) -> list[Segment] | None:
    """`value` set in a slot `width` by `height` points: its segments, or None when it does
    not fit or has a character that cannot be set here. `faces`: {bold: Face}."""
    block = value.style
    lines = []
    for paragraph in value.paragraphs:
        for run in paragraph:
            if run.style.size > block.size or run.style.leading > block.leading:
                raise ValueError("a run may not be larger than its value's block")
        characters = _characters(paragraph, faces)
        if characters is None:
            return None
        lines.extend(_break_lines(characters, faces, width) or [[]])
    if len(lines) * block.leading > height + HEIGHT_TOLERANCE_PT:
        return None
    font = faces[block.bold]
    half_leading = (block.leading - (font.ascent + font.descent) * block.size) / 2
    segments = []
    for number, line in enumerate(lines):
        while line and line[-1][0] == SPACE:
            line = line[:-1]
        if not line:
            continue
        line_width = sum(w for _c, _s, w in line)
        x = (width - line_width) / 2 if block.align == "center" else 0.0
        baseline = number * block.leading + half_leading + font.ascent * block.size
        current = None
        for character, style, advance in line:
            if current is None or current.style != style:
                current = Segment(x, baseline, style, "")
                segments.append(current)
            current.text += character
            x += advance
    return segments


FONT_RESOURCES = {False: "DrawnRegular", True: "DrawnBold"}


@dataclass
class Typesetter:
    """Sets values and draws them; remembers every glyph drawn so that `fonts` embeds
    them (once per document, after the last value is drawn)."""

    faces: dict  # {bold: Face}
    used: dict = field(default_factory=lambda: {False: {}, True: {}})  # glyph id -> text
    _subsets: dict = field(default_factory=dict, repr=False)  # bold -> (glyphs, font file)

    def set(self, value: Value, width: float, height: float):
        return set_value(value, width, height, self.faces)

    def draw(self, segments: list[Segment], left: float, top: float) -> bytes:
        """PDF content drawing `segments` of a slot whose top-left corner is at (`left`,
        `top`) in points from the page's bottom-left corner (y grows upwards)."""
        out = [b"BT"]
        for segment in segments:
            bold = segment.style.bold
            glyphs, used = self.faces[bold].glyph, self.used[bold]
            codes = []
            for character in segment.text:
                glyph = glyphs[character]
                used.setdefault(glyph, character)
                codes.append(f"{glyph:04X}")
            r, g, b = segment.style.color
            out.append(
                f"/{FONT_RESOURCES[bold]} {segment.style.size:g} Tf {r:.3f} {g:.3f} {b:.3f} rg "
                f"1 0 0 1 {left + segment.x:.3f} {top - segment.baseline:.3f} Tm "
                f"<{''.join(codes)}> Tj".encode()
            )
        out.append(b"ET")
        return b"\n".join(out) if len(out) > 2 else b""

    def fonts(self, pdf: pikepdf.Pdf) -> Dictionary:
        """The font resources (`FONT_RESOURCES` names) for the glyphs drawn so far, each
        a subset of its face embedded in `pdf` (subset once, whatever the documents)."""
        fonts = Dictionary()
        for bold, used in self.used.items():
            if not used:
                continue
            cached = self._subsets.get(bold)
            if cached is None or cached[0] != len(used):
                cached = self._subsets[bold] = (len(used), self.faces[bold].subset(used))
            fonts[f"/{FONT_RESOURCES[bold]}"] = _embed(pdf, self.faces[bold], used, cached[1])
        return fonts


def _to_unicode(used: dict) -> bytes:
    entries = sorted(used.items())
    lines = [
        b"/CIDInit /ProcSet findresource begin", b"12 dict begin", b"begincmap",
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def",
        b"/CMapName /Adobe-Identity-UCS def", b"/CMapType 2 def",
        b"1 begincodespacerange", b"<0000> <FFFF>", b"endcodespacerange",
    ]  # fmt: skip
    for start in range(0, len(entries), 100):
        chunk = entries[start : start + 100]
        lines.append(f"{len(chunk)} beginbfchar".encode())
        for glyph, text in chunk:
            lines.append(f"<{glyph:04X}> <{text.encode('utf-16-be').hex().upper()}>".encode())
        lines.append(b"endbfchar")
    lines += [b"endcmap", b"CMapName currentdict /CMap defineresource pop", b"end", b"end"]
    return b"\n".join(lines)


def _embed(pdf: pikepdf.Pdf, font: Face, used: dict, subset: bytes):
    """A Type 0 font (Identity-H, two bytes a glyph id) with `used` glyphs of `font`
    (`subset`: the font file with only those)."""
    glyphs = sorted(used)
    digest = hashlib.sha256(repr(glyphs).encode() + font.postscript_name.encode()).digest()
    tag = "".join(chr(ord("A") + byte % 26) for byte in digest[:6])
    base_font = Name(f"/{tag}+{font.postscript_name}")
    widths = Array()
    for glyph in glyphs:
        widths.extend([glyph, Array([round(font.glyph_width.get(glyph, 0) * 1000)])])
    descriptor = Dictionary(
        Type=Name.FontDescriptor, FontName=base_font, Flags=32,
        FontBBox=Array(font.bbox), ItalicAngle=font.italic_angle,
        Ascent=round(font.ascent * 1000), Descent=-round(font.descent * 1000),
        CapHeight=font.cap_height, StemV=80,
        FontFile2=pdf.make_stream(subset),
    )  # fmt: skip
    descendant = Dictionary(
        Type=Name.Font, Subtype=Name.CIDFontType2, BaseFont=base_font,
        CIDSystemInfo=Dictionary(Registry=pikepdf.String("Adobe"),
                                 Ordering=pikepdf.String("Identity"), Supplement=0),
        FontDescriptor=pdf.make_indirect(descriptor), W=widths, DW=1000,
        CIDToGIDMap=Name.Identity,
    )  # fmt: skip
    font_dictionary = Dictionary(
        Type=Name.Font, Subtype=Name.Type0, BaseFont=base_font, Encoding=Name("/Identity-H"),
        DescendantFonts=Array([pdf.make_indirect(descendant)]),
        ToUnicode=pdf.make_stream(_to_unicode(used)),
    )  # fmt: skip
    return pdf.make_indirect(font_dictionary)
