"""A readiness test exported as CSV (docs/cutover-network-and-plan.md): parsed and checked
row by row, all or nothing, summarized by its 95th percentile."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from cutover.network.selectors import PERCENTILE, _num, percentile

CSV_COLUMNS = ("timestamp", "jitter_ms", "loss_percent", "latency_ms", "upstream_kbps",
               "downstream_kbps")  # fmt: skip


REQUIRED_COLUMNS = ("timestamp", "jitter_ms", "loss_percent", "latency_ms", "upstream_kbps")


MAX_CSV_BYTES = 10 * 1024 * 1024


MAX_CSV_ROWS = 200_000  # a week at one sample a second would be 604,800: sample per minute


LIMITS = {  # column: (lowest, highest) accepted
    "jitter_ms": (Decimal(0), Decimal(10_000)),
    "loss_percent": (Decimal(0), Decimal(100)),
    "latency_ms": (Decimal(0), Decimal(10_000)),
    "upstream_kbps": (0, 100_000_000),
    "downstream_kbps": (0, 100_000_000),
}


PLACES = {"jitter_ms": Decimal("0.01"), "loss_percent": Decimal("0.001"),
          "latency_ms": Decimal("0.01")}  # fmt: skip


@dataclass(frozen=True)
class RowError:
    row: int | None  # as a spreadsheet shows it: the header is row 1
    column: str
    value: str
    message: str

    def as_line(self) -> str:
        where = ["file" if self.row is None else f"row {self.row}"]
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}"


@dataclass
class Summary:
    samples: int
    first: datetime
    last: datetime
    days: int
    worst: dict
    p95: dict  # jitter, loss, latency at the 95th percentile; upstream at the 5th


@dataclass
class ReadinessImport:
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    summary: Summary | None = None
    committed: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def text(self) -> str:
        if not self.ok:
            n = len(self.errors)
            return f"Nothing was imported: {n} error{'s' if n != 1 else ''}."
        s = self.summary
        return (
            f"Imported {s.samples} samples over {s.days} day{'s' if s.days != 1 else ''}: "
            f"95th percentile jitter {_num(s.p95['jitter_ms'])} ms, loss "
            f"{_num(s.p95['loss_percent'])}%, latency {_num(s.p95['latency_ms'])} ms; "
            f"upstream {s.p95['upstream_kbps']} kbps or more 95% of the time."
        )


def _parse_timestamp(text, tz):
    value = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T", 1))
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value


def _parse_number(column, text):
    low, high = LIMITS[column]
    if isinstance(low, int):
        if not text.isdigit():
            raise ValueError("a whole number of kbps")
        value = int(text)
    else:
        try:
            value = Decimal(text)
        except InvalidOperation:
            raise ValueError("a number") from None
        if not value.is_finite():
            raise ValueError("a number")
    if not low <= value <= high:
        raise ValueError(f"between {low} and {high}")
    return value


def parse_readiness_csv(data: bytes, *, tz=None) -> tuple[ReadinessImport, list[dict]]:
    """Validate every row; the report lists every problem (row, column, value, message)."""
    report = ReadinessImport()
    tz = tz or ZoneInfo("UTC")
    if len(data) > MAX_CSV_BYTES:
        report.errors.append(RowError(None, "", "", "The file is larger than 10 MB."))
        return report, []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        report.errors.append(RowError(None, "", "", "The file is not UTF-8 text."))
        return report, []
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        report.errors.append(RowError(None, "", "", f"Not a readable CSV file: {exc}."))
        return report, []
    if not records:
        report.errors.append(RowError(1, "", "", "The file is empty: row 1 must be the header."))
        return report, []
    header = [h.strip().lower() for h in records[0]]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [h for h in header if h and h not in CSV_COLUMNS]
    for name in missing:
        report.errors.append(RowError(1, name, "", "Required column missing from the header."))
    for name in unknown:
        report.errors.append(RowError(1, name, name, f"Unknown column (known: "
                                                     f"{', '.join(CSV_COLUMNS)})."))  # fmt: skip
    if missing or unknown:
        return report, []
    body = records[1:]
    if len(body) > MAX_CSV_ROWS:
        report.errors.append(RowError(None, "", "", f"More than {MAX_CSV_ROWS:,} rows."))
        return report, []
    parsed = []
    for index, record in enumerate(body, start=2):
        if not any(cell.strip() for cell in record):
            continue  # blank line
        report.rows += 1
        if len(record) != len(header):
            report.errors.append(RowError(index, "", "", f"{len(record)} cells; the header has "
                                                         f"{len(header)}."))  # fmt: skip
            continue
        cells = {h: c.strip() for h, c in zip(header, record, strict=True)}
        row = {}
        for column in header:
            value = cells[column]
            if not value:
                if column in REQUIRED_COLUMNS:
                    report.errors.append(RowError(index, column, "", "Required."))
                continue
            try:
                if column == "timestamp":
                    row[column] = _parse_timestamp(value, tz)
                else:
                    row[column] = _parse_number(column, value)
            except ValueError as exc:
                expected = (
                    "an ISO 8601 date and time, e.g. 2026-03-02T09:00:00-06:00"
                    if column == "timestamp" else str(exc)
                )  # fmt: skip
                report.errors.append(RowError(index, column, value[:120], f"Expected {expected}."))
        if len(row) == len([c for c in header if cells[c]]):
            parsed.append(row)
    if report.ok and not parsed:
        report.errors.append(RowError(None, "", "", "No measurements: the file has only a header."))
    return report, parsed


def summarize(rows) -> Summary:
    first = min(r["timestamp"] for r in rows)
    last = max(r["timestamp"] for r in rows)
    worst, p95 = {}, {}
    for column in ("jitter_ms", "loss_percent", "latency_ms"):
        values = [r[column] for r in rows]
        worst[column] = max(values)
        p95[column] = percentile(values).quantize(PLACES[column], rounding=ROUND_HALF_UP)
    for column in ("upstream_kbps", "downstream_kbps"):
        values = [r[column] for r in rows if column in r]
        if values:
            worst[column] = min(values)
            p95[column] = percentile(values, 100 - PERCENTILE)  # exceeded 95% of the time
    days = int((last - first) / timedelta(days=1))
    return Summary(len(rows), first, last, days, worst, p95)
