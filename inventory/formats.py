"""The three inventory CSV formats (sites, endpoints, numbers) and how a file is read.

One definition serves the importer, the example templates, the upload page's column
documentation and a test that keeps docs/csv-formats.md in step with it."""

import contextlib
import csv
import io
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.views.decorators.debug import sensitive_variables

from porting.models import PhoneNumber
from sites.models import Endpoint

KINDS = ("sites", "endpoints", "numbers")  # import order: later files refer to earlier ones

DEFAULT_MAX_ROWS = 50_000
MASK = "••••••"  # shown instead of a secret value


class Secret:
    """A secret cell (SIP password): its repr and str never show the value, so it cannot
    leak through a traceback's local variables, a log line or a report."""

    __slots__ = ("value",)

    def __init__(self, value: str):
        self.value = value

    def __repr__(self):
        return "Secret(••••••)" if self.value else "Secret('')"

    __str__ = __repr__

    def __bool__(self):
        return bool(self.value)

    def __eq__(self, other):
        return isinstance(other, Secret) and other.value == self.value

    __hash__ = None


def max_bytes() -> int:
    return int(getattr(settings, "INVENTORY_IMPORT_MAX_BYTES", 20 * 1024 * 1024))


def max_rows() -> int:
    return int(getattr(settings, "INVENTORY_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))


@dataclass(frozen=True)
class Column:
    name: str
    required: bool
    format: str
    example: str = ""
    normalized: str = ""
    secret: bool = False

    @property
    def format_html(self):
        return _code_spans(self.format)

    @property
    def normalized_html(self):
        return _code_spans(self.normalized)


def _code_spans(text):
    """Markdown-style `code` spans as <code> (for the upload page); everything escaped."""
    parts = str(escape(text)).split("`")
    return mark_safe(  # noqa: S308 (escaped above; only <code> added)
        "".join(f"<code>{p}</code>" if i % 2 else p for i, p in enumerate(parts))
    )


@dataclass(frozen=True)
class FileFormat:
    kind: str
    title: str
    summary: str
    columns: tuple[Column, ...]
    example_rows: tuple[tuple[str, ...], ...] = ()

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def required_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    def column(self, name) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    def template_csv(self) -> str:
        """Header plus example rows, as served by the template download."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(self.column_names)
        writer.writerows(self.example_rows)
        return buffer.getvalue()


def _choices_text(choices) -> str:
    return "; ".join(f"`{value}` ({label})" for value, label in choices)


SITES = FileFormat(
    kind="sites",
    title="Sites",
    summary="One row per office taking part in the migration. Imported first, so endpoint "
    "and number rows can name these sites.",
    columns=(
        Column("name", True, "Text, up to 200 characters; unique within the migration "
               "(compared ignoring case).", "Dallas HQ"),
        Column("address_line1", True, "Street address, up to 200 characters.", "123 Main Street",
               "A USPS (Publication 28) form is stored beside the address as entered."),
        Column("address_line2", False, "Suite, floor or room, up to 200 characters.",
               "Suite 200", "USPS form kept beside it (\"Ste 200\" = \"Suite 200\")."),
        Column("city", True, "Up to 100 characters.", "Dallas"),
        Column("state", True, "USPS two-letter code (states, DC, territories).", "TX",
               "Upper-cased."),
        Column("postal_code", True, "ZIP code: 5 digits or ZIP+4.", "75201"),
        Column("timezone", True, "IANA time zone name.", "America/Chicago",
               "Matched ignoring case and stored in canonical spelling."),
        Column("seat_count", False, "Whole number ≥ 0; blank means 0.", "40"),
    ),
    example_rows=(
        ("Dallas HQ", "123 Main Street", "Suite 200", "Dallas", "TX", "75201",
         "America/Chicago", "40"),
    ),
)  # fmt: skip

ENDPOINTS = FileFormat(
    kind="endpoints",
    title="Endpoints",
    summary="One row per device that terminates calls: desk phones, softphones, analog "
    "adapters, fax, paging. Each names its site.",
    columns=(
        Column("site", True, "Name of a site in this import or already in the migration "
               "(ignoring case).", "Dallas HQ"),
        Column("kind", False, "One of " + _choices_text(Endpoint.Kind.choices)
               + ". Value or label, any case; blank means `desk_phone`.", "desk_phone"),
        Column("mac_address", False, "12 hex digits with any of `:` `-` `.` or no "
               "separators; unique within the organization (all its migrations).",
               "00:04:F2:12:34:56", "Stored as `00:04:F2:12:34:56` (upper case, colons)."),
        Column("make", False, "Up to 100 characters.", "Polycom"),
        Column("model", False, "Up to 100 characters.", "VVX 450"),
        Column("firmware", False, "Up to 100 characters.", "6.4.3"),
        Column("extension", False, "2 to 8 digits; unique within the migration.", "101"),
        Column("display_name", False, "Up to 200 characters.", "Pat Doe"),
        Column("user_email", False, "Email address.", "pat@acmetax.example"),
        Column("remote_worker", False, "`yes`/`no`, `true`/`false` or `1`/`0`; blank "
               "means no. Remote workers need their own 911 location.", "no"),
        Column("sip_username", False, "Up to 100 characters.", "sip101"),
        Column("sip_password", False, "Stored encrypted; never shown back, not even in "
               "error reports.", "", secret=True),
    ),
    example_rows=(
        ("Dallas HQ", "desk_phone", "00:04:F2:12:34:56", "Polycom", "VVX 450", "6.4.3", "101",
         "Pat Doe", "pat@acmetax.example", "no", "sip101", ""),
    ),
)  # fmt: skip

NUMBERS = FileFormat(
    kind="numbers",
    title="Telephone numbers",
    summary="One row per number (DID) in the migration; optionally the site it rings at "
    "and the endpoint it is assigned to.",
    columns=(
        Column("number", True, "North American (+1) number in any common format; unique "
               "within the organization.", "(214) 555-0142",
               "Stored in E.164 (`+12145550142`); toll-free area codes are detected."),
        Column("purpose", False, "One of " + _choices_text(PhoneNumber.Purpose.choices)
               + ". Value or label, any case; blank means `user_did`.", "user_did"),
        Column("site", False, "Name of a site in this import or already in the migration.",
               "Dallas HQ", "Blank with an endpoint given: the endpoint's site."),
        Column("endpoint_extension", False, "Extension of an endpoint in this import or "
               "already in the migration; if `site` is also given it must be that "
               "endpoint's site.", "101"),
    ),
    example_rows=(("(214) 555-0142", "user_did", "Dallas HQ", "101"),),
)  # fmt: skip

FORMATS: dict[str, FileFormat] = {f.kind: f for f in (SITES, ENDPOINTS, NUMBERS)}


# --- reading a file -------------------------------------------------------------------


@dataclass
class ParsedFile:
    """Rows of one CSV file as {column: text}, keyed by spreadsheet row number (header = 1).

    `problems` holds file-level errors (row, message); when any is present, `rows` is
    empty and the file is not validated further."""

    kind: str
    rows: list[tuple[int, dict[str, "str | Secret"]]] = field(default_factory=list)
    problems: list[tuple[int | None, str, str]] = field(default_factory=list)  # row, col, msg
    broken_rows: list[tuple[int, str]] = field(default_factory=list)  # row, message

    def fail(self, message, *, row=None, column=""):
        self.problems.append((row, column, message))
        self.rows = []
        return self


def _header_key(text: str) -> str:
    return re.sub(r"[\s\-]+", "_", text.strip().lower())


def _read_bytes(source, limit: int) -> bytes | None:
    """Up to limit+1 bytes from a str, bytes, or text/binary file-like (incl. uploads)."""
    if isinstance(source, bytes | bytearray):
        return bytes(source)
    if isinstance(source, str):
        return source.encode("utf-8")
    size = getattr(source, "size", None)
    if isinstance(size, int) and size > limit:
        return None
    if hasattr(source, "seek"):
        with contextlib.suppress(OSError, ValueError):
            source.seek(0)
    data = source.read(limit + 1)
    if isinstance(data, str):
        data = data.encode("utf-8")
    return data


def human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):g} MB"
    if n >= 1024:
        return f"{n / 1024:g} KB"
    return f"{n} bytes"


@sensitive_variables()
def parse_csv(kind: str, source) -> ParsedFile:
    """Read one CSV: size and row limits, encoding, header checks, cell counts.

    Never echoes cell values in the problems it reports (a row may hold a password)."""
    fmt = FORMATS[kind]
    parsed = ParsedFile(kind=kind)
    limit = max_bytes()
    data = _read_bytes(source, limit)
    if data is None or len(data) > limit:
        return parsed.fail(f"The file is larger than the {human_size(limit)} limit.")
    if not data.strip():
        return parsed.fail("The file is empty: row 1 must be the header.")
    if data[:4] == b"PK\x03\x04" or data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1":
        return parsed.fail(
            "This is a spreadsheet workbook, not CSV. In the spreadsheet choose "
            "Save As / Download → “CSV UTF-8 (comma-delimited)”."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n") + 1
        return parsed.fail(
            f"The file is not UTF-8 text (byte 0x{data[exc.start]:02X} on line {row}). "
            "Save it as “CSV UTF-8” and upload it again.",
            row=row,
        )
    if "\x00" in text:
        return parsed.fail("The file contains NUL bytes: it is not a CSV text file.")

    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        records = list(reader)
    except csv.Error as exc:
        return parsed.fail(f"Not a readable CSV file: {exc}.", row=reader.line_num or None)

    header = records[0] if records else []
    keys = [_header_key(h) for h in header]
    if not any(keys):
        return parsed.fail("Row 1 must be the header naming the columns.", row=1)
    if len(keys) == 1 and (";" in header[0] or "\t" in header[0]):
        return parsed.fail("The header has a single column: the file must be "
                           "comma-separated (not semicolons or tabs).", row=1)  # fmt: skip
    allowed = fmt.column_names
    seen = set()
    for key, raw in zip(keys, header, strict=True):
        if not key:
            continue
        if key in seen:
            parsed.problems.append((1, raw.strip(), f"Column “{raw.strip()}” appears twice."))
        seen.add(key)
        if key not in allowed:
            parsed.problems.append((1, raw.strip(), f"Unknown column “{raw.strip()}”. "
                                    f"Allowed columns: {', '.join(allowed)}."))  # fmt: skip
    for name in fmt.required_names:
        if name not in seen:
            parsed.problems.append((1, name, f"Required column “{name}” is missing."))
    # Blank header cells are tolerated only when their column is blank on every row
    # (spreadsheets often export trailing empty columns).
    if parsed.problems:
        parsed.rows = []
        return parsed

    data_rows = [
        (number, record)
        for number, record in enumerate(records[1:], start=2)
        if any(cell.strip() for cell in record)
    ]
    if len(data_rows) > max_rows():
        return parsed.fail(
            f"The file has {len(data_rows):,} rows; at most {max_rows():,} are accepted "
            "per file. Split it into several imports."
        )

    width = len(keys)
    secret = {c.name for c in fmt.columns if c.secret}
    # Worked out once, not for every row (an import has tens of thousands).
    blank_header = [i for i, k in enumerate(keys) if not k]
    columns = [(index, key, key in secret) for index, key in enumerate(keys) if key]
    for number, record in data_rows:
        extra = record[width:]
        blank_header_values = [record[i] for i in blank_header if i < len(record)]
        if any(cell.strip() for cell in [*extra, *blank_header_values]):
            parsed.broken_rows.append(
                (number, f"The row has {len(record)} values but the header names "
                 f"{sum(1 for k in keys if k)} columns: check for an unquoted comma.")
            )  # fmt: skip
            continue
        values = {}
        cells = len(record)
        for index, key, is_secret in columns:
            cell = record[index] if index < cells else ""
            if is_secret:  # kept verbatim (no stripping), wrapped so it never prints
                values[key] = Secret(cell if cell.strip() else "")
            else:
                values[key] = cell.strip()
        parsed.rows.append((number, values))
    return parsed
