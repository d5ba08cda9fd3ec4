"""Network readiness per site (docs/cutover-network-and-plan.md; docs/domain-rules.md).

Pure functions first (the bandwidth calculator and the threshold checks: no database),
then the services (save an assessment, import a readiness test from CSV, sign off) and
`network_items(site)`, the site's readiness as `e911.karis.Item`s for go/no-go.

The calculator: peak concurrent calls x the codec's per-call rate (IP/UDP/RTP and
Ethernet overhead included) + 20% headroom must fit the measured upstream. Because a
backup or an upload can fill the upstream at any moment (the clinic whose 50/10 Mbps line
collapsed under 12 calls plus EHR backups), the only bandwidth voice can count on under
contention is what the QoS queue reserves for it: at least 30% of the upstream, and no
less than the required rate."""

import csv
import io
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from e911.karis import Item
from porting.services import require_role
from sites.models import Endpoint
from tenancy import clock
from tenancy.history import save_with_history
from tenancy.models import DEFAULT_WRITE_ROLES

from .models import NetworkAssessment

# -- the rules ---------------------------------------------------------------------------

# Per-call upstream rate in kbps, payload + IP/UDP/RTP (+ Ethernet) at 20 ms packets.
# G.711 and G.729: Cisco's enterprise QoS design guide, rounded up (docs/domain-rules.md).
# Opus: 40 kbps (top of RFC 7587 §3.1.1's fullband-speech range) + 16 kbps IPv4/UDP/RTP
# (40 bytes x 50 packets/s) + 7.2 kbps Ethernet (18 bytes x 50/s) = 63.2 → 64 kbps.
CODEC_KBPS = {
    NetworkAssessment.Codec.G711: 100,
    NetworkAssessment.Codec.G729: 30,
    NetworkAssessment.Codec.OPUS: 64,
}
HEADROOM = Decimal("0.20")  # 20% on top of the voice rate
MIN_VOICE_RESERVATION_PERCENT = 30  # of the upstream, in a QoS queue
MAX_JITTER_MS = Decimal(30)  # strictly below
MAX_LOSS_PERCENT = Decimal(1)  # strictly below
MAX_LATENCY_MS = Decimal(150)  # one-way, strictly below (ITU-T G.114)
MIN_TEST_DAYS = 7
DSCP_VOICE = 46  # EF
DSCP_SIGNALING = 24  # CS3
PERCENTILE = 95  # imported readiness tests are summarized by their 95th percentile


@dataclass(frozen=True)
class Bandwidth:
    """What the calculator says for one site."""

    calls: int
    codec: str
    per_call_kbps: int
    voice_kbps: int  # calls x per-call rate
    headroom_kbps: Decimal  # exactly 20% of voice_kbps
    required_kbps: Decimal  # voice + headroom
    upstream_kbps: int | None
    reservation_percent: int
    reserved_kbps: Decimal | None  # upstream x reservation, what voice keeps under a backup
    other_traffic_kbps: int  # what else is assumed on the upstream at the peak
    fits_upstream: bool  # required <= upstream (the vendor calculator's answer)
    reservation_ok: bool  # reservation >= 30% and it holds the required rate
    ok: bool
    reasons: tuple[str, ...] = ()

    @property
    def verdict(self) -> str:
        return "fits" if self.ok else "does not fit"

    @property
    def available_kbps(self) -> Decimal | None:
        """Upstream voice can count on at the peak: the reservation, or what the other
        traffic leaves, whichever is more."""
        if self.upstream_kbps is None:
            return None
        left = Decimal(max(self.upstream_kbps - self.other_traffic_kbps, 0))
        return max(left, self.reserved_kbps or Decimal(0))


def per_call_kbps(codec: str) -> int:
    try:
        return CODEC_KBPS[codec]
    except KeyError:
        raise ValueError(f"Unknown codec {codec!r}: one of {', '.join(CODEC_KBPS)}.") from None


def bandwidth(
    calls: int,
    codec: str,
    upstream_kbps: int | None,
    *,
    reservation_percent: int = 0,
    other_traffic_kbps: int | None = None,
) -> Bandwidth:
    """Peak concurrent calls x codec rate + 20% headroom against the measured upstream.

    `other_traffic_kbps` is what else uses the upstream at the peak (backups, uploads).
    The model has no field for it, so by default the worst case is assumed: a backup fills
    everything not reserved for voice, and voice keeps only its reservation."""
    if calls < 0:
        raise ValueError("Concurrent calls cannot be negative.")
    rate = per_call_kbps(codec)
    voice = calls * rate
    headroom = voice * HEADROOM
    required = voice + headroom
    reservation = int(reservation_percent or 0)
    reasons = []
    if upstream_kbps is None:
        reasons.append("The upstream is not measured.")
        fits = False
        reserved = None
    else:
        fits = required <= upstream_kbps
        reserved = Decimal(upstream_kbps) * reservation / 100
        if not fits:
            reasons.append(
                f"{calls} calls × {rate} kbps + 20% headroom = {_kbps(required)} kbps "
                f"exceeds the measured upstream of {upstream_kbps} kbps."
            )
    other = (upstream_kbps or 0) if other_traffic_kbps is None else int(other_traffic_kbps)
    reservation_ok = reservation >= MIN_VOICE_RESERVATION_PERCENT
    if not reservation_ok:
        reasons.append(
            f"Only {reservation}% of the upstream is reserved for voice (at least "
            f"{MIN_VOICE_RESERVATION_PERCENT}%): a backup or upload can starve the calls."
        )
    result = Bandwidth(
        calls=calls, codec=str(codec), per_call_kbps=rate, voice_kbps=voice,
        headroom_kbps=headroom, required_kbps=required, upstream_kbps=upstream_kbps,
        reservation_percent=reservation, reserved_kbps=reserved, other_traffic_kbps=other,
        fits_upstream=fits, reservation_ok=reservation_ok, ok=False,
    )  # fmt: skip
    available = result.available_kbps
    starved = available is not None and fits and required > available
    if starved:
        reasons.append(
            f"With {other} kbps of other traffic on the upstream, voice keeps "
            f"{_kbps(available)} kbps ({reservation}% reserved), less than the "
            f"{_kbps(required)} kbps it needs."
        )
        reservation_ok = False
    return Bandwidth(
        **{**result.__dict__, "reservation_ok": reservation_ok,
           "ok": fits and reservation_ok and not starved, "reasons": tuple(reasons)}
    )  # fmt: skip


def _kbps(value) -> str:
    value = Decimal(value)
    if value == value.to_integral_value():
        return f"{int(value):,}"
    return f"{value.quantize(Decimal('0.1'), rounding=ROUND_HALF_UP):,}"


@dataclass(frozen=True)
class Threshold:
    code: str
    title: str
    value: Decimal | None
    limit: Decimal
    unit: str
    ok: bool
    detail: str


def _threshold(code, title, value, limit, unit) -> Threshold:
    if value is None:
        return Threshold(code, title, None, limit, unit, False, "Not measured.")
    value = Decimal(value)
    ok = value < limit
    relation = "below" if ok else "not below"
    return Threshold(code, title, value, limit, unit, ok,
                     f"{_num(value)} {unit}: {relation} {_num(limit)} {unit}.")  # fmt: skip


def _num(value) -> str:
    value = Decimal(value).normalize()
    return f"{value:f}"


def check_thresholds(jitter_ms, loss_percent, latency_ms) -> list[Threshold]:
    """Jitter < 30 ms, packet loss < 1%, one-way latency < 150 ms (ITU-T G.114)."""
    return [
        _threshold("net_jitter", "Jitter below 30 ms", jitter_ms, MAX_JITTER_MS, "ms"),
        _threshold("net_loss", "Packet loss below 1%", loss_percent, MAX_LOSS_PERCENT, "%"),
        _threshold(
            "net_latency",
            "One-way latency below 150 ms (ITU-T G.114)",
            latency_ms,
            MAX_LATENCY_MS,
            "ms",
        ),
    ]


def percentile(values, pct: int = PERCENTILE):
    """Nearest-rank percentile: the smallest value at least pct% of the values are at or
    below (no interpolation: always a value that was measured)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("No values.")
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def assessment_bandwidth(assessment: NetworkAssessment) -> Bandwidth:
    return bandwidth(
        assessment.peak_concurrent_calls, assessment.codec, assessment.upstream_kbps,
        reservation_percent=assessment.voice_reservation_percent,
    )  # fmt: skip


# -- the items go/no-go rolls up ----------------------------------------------------------


def _signed(name, when) -> str:
    return f"{name}, {timezone.localtime(when, UTC):%Y-%m-%d %H:%M} UTC" if when else name


def _reservation_detail(bw: Bandwidth) -> str:
    if bw.upstream_kbps is None:
        return f"{bw.reservation_percent}% reserved of an upstream not measured."
    problems = [r for r in bw.reasons if "reserved" in r or "keeps" in r]
    if problems:
        return " ".join(problems)
    return (f"{bw.reservation_percent}% reserved = {_kbps(bw.reserved_kbps)} kbps, enough for "
            f"the {_kbps(bw.required_kbps)} kbps voice needs under a backup.")  # fmt: skip


def network_items(site, *, assessment=None, has_desk_phones=None) -> list[Item]:
    """The site's network readiness, every item blocking (the port waits for it)."""
    if assessment is None:
        assessment = NetworkAssessment.objects.filter(site=site).first()
    if has_desk_phones is None:
        has_desk_phones = Endpoint.objects.filter(site=site, kind=Endpoint.Kind.DESK_PHONE).exists()
    a = assessment or NetworkAssessment(site=site)
    bw = assessment_bandwidth(a)
    items = [
        Item("net_bandwidth", "Peak calls × codec + 20% headroom fit the upstream",
             bw.fits_upstream and a.peak_concurrent_calls > 0,
             detail=(f"{bw.calls} calls × {bw.per_call_kbps} kbps ({a.get_codec_display()}) "
                     f"+ 20% = {_kbps(bw.required_kbps)} kbps against "
                     + (f"{a.upstream_kbps} kbps measured upstream."
                        if a.upstream_kbps is not None else "an upstream not measured."))
             if a.peak_concurrent_calls else "Enter the peak number of concurrent calls."),
        Item("net_voice_reservation",
             f"At least {MIN_VOICE_RESERVATION_PERCENT}% of the upstream reserved for voice",
             bw.reservation_ok and a.upstream_kbps is not None,
             detail=_reservation_detail(bw)),
    ]  # fmt: skip
    for t in check_thresholds(a.jitter_ms, a.loss_percent, a.latency_ms):
        items.append(Item(t.code, t.title, t.ok, detail=t.detail))
    items += [
        Item("net_test_days", f"Readiness test of at least {MIN_TEST_DAYS} days",
             a.test_days >= MIN_TEST_DAYS,
             detail=f"{a.test_days} day{'s' if a.test_days != 1 else ''} of measurements."),
        Item("net_qos", "QoS: voice EF (46) and signaling CS3 (24), end to end",
             a.dscp_voice_ef and a.dscp_signaling_cs3,
             detail="; ".join(
                 f"{label} {'confirmed' if done else 'not confirmed'}"
                 for label, done in (("EF 46 for voice", a.dscp_voice_ef),
                                     ("CS3 24 for signaling", a.dscp_signaling_cs3)))),
        Item("net_poe", "PoE for the desk phones",
             a.poe_confirmed or not has_desk_phones,
             required=has_desk_phones,
             reason="" if has_desk_phones else "No desk phones at this site.",
             detail="Confirmed." if a.poe_confirmed else
             ("Not confirmed." if has_desk_phones else "No desk phones at this site.")),
        Item("net_signoff_it_lead", "Readiness report signed off by the IT lead",
             bool(a.it_lead_signed_by and a.it_lead_signed_at),
             evidence=_signed(a.it_lead_signed_by, a.it_lead_signed_at)
             if a.it_lead_signed_by else "",
             who=a.it_lead_signed_by, when=a.it_lead_signed_at,
             detail="Signed." if a.it_lead_signed_at else "Not signed."),
        Item("net_signoff_vendor", "Readiness report signed off by the vendor",
             bool(a.vendor_signed_by and a.vendor_signed_at),
             evidence=_signed(a.vendor_signed_by, a.vendor_signed_at)
             if a.vendor_signed_by else "",
             who=a.vendor_signed_by, when=a.vendor_signed_at,
             detail="Signed." if a.vendor_signed_at else "Not signed."),
    ]  # fmt: skip
    return items


def blocking_problems(items) -> list[Item]:
    return [i for i in items if i.blocking and i.required and not i.ok]


# -- services ---------------------------------------------------------------------------

MEASURED_FIELDS = (
    "peak_concurrent_calls", "codec", "upstream_kbps", "downstream_kbps", "jitter_ms",
    "loss_percent", "latency_ms", "test_days", "dscp_voice_ef", "dscp_signaling_cs3",
    "voice_reservation_percent", "poe_confirmed",
)  # fmt: skip
SIGNATURE_FIELDS = ("it_lead_signed_by", "it_lead_signed_at", "vendor_signed_by",
                    "vendor_signed_at")  # fmt: skip


def _require_writer(site, by, action):
    require_role(site.organization_id, by, DEFAULT_WRITE_ROLES, action)


def _locked_assessment(site) -> NetworkAssessment:
    assessment, _created = NetworkAssessment.objects.select_for_update().get_or_create(site=site)
    return assessment


def _apply(assessment, values: dict) -> list[str]:
    """Set the values; return the names that changed. A change to what was signed clears
    the sign-offs: they vouch for the figures they saw."""
    changed = []
    for name, value in values.items():
        if name not in MEASURED_FIELDS:
            raise ValueError(f"{name} is not an assessment field.")
        if getattr(assessment, name) != value:
            setattr(assessment, name, value)
            changed.append(name)
    if changed and (assessment.it_lead_signed_at or assessment.vendor_signed_at):
        for name in SIGNATURE_FIELDS:
            setattr(assessment, name, "" if name.endswith("_by") else None)
        changed.append("sign-offs cleared")
    return changed


@transaction.atomic
def save_assessment(site, *, by, reason="", **values) -> NetworkAssessment:
    """Save what was entered for `site` (any of MEASURED_FIELDS)."""
    _require_writer(site, by, "Changing the network assessment")
    reservation = values.get("voice_reservation_percent")
    if reservation is not None and not 0 <= int(reservation) <= 100:
        raise ValidationError({"voice_reservation_percent": "A percentage: 0 to 100."})
    if "codec" in values and values["codec"] not in CODEC_KBPS:
        raise ValidationError({"codec": "Unknown codec."})
    assessment = _locked_assessment(site)
    changed = _apply(assessment, values)
    assessment.full_clean()
    why = reason or "Network assessment saved"
    if "sign-offs cleared" in changed:
        why += " (figures changed: sign-offs cleared)"
    save_with_history(assessment, by=by, reason=why)
    return assessment


@transaction.atomic
def sign_off(site, *, by, role: str, name: str, signed_at=None, reason="") -> NetworkAssessment:
    """The IT lead or the vendor signs the readiness report (name + time). Refused while
    any other blocking item fails: a signature vouches for a report that passes."""
    _require_writer(site, by, "Signing off the network readiness report")
    if role not in ("it_lead", "vendor"):
        raise ValidationError({"role": "Either the IT lead or the vendor signs."})
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Name the person signing."})
    assessment = _locked_assessment(site)
    problems = [
        i for i in blocking_problems(network_items(site, assessment=assessment))
        if not i.code.startswith("net_signoff")
    ]  # fmt: skip
    if problems:
        raise ValidationError(
            "Not ready to sign: " + "; ".join(f"{i.title} ({i.detail})" for i in problems)
        )
    setattr(assessment, f"{role}_signed_by", name[:200])
    setattr(assessment, f"{role}_signed_at", signed_at or clock.now())
    label = "IT lead" if role == "it_lead" else "vendor"
    save_with_history(assessment, by=by, reason=reason or f"Readiness signed off by the {label}")
    return assessment


# -- CSV import of a readiness test ------------------------------------------------------

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


@transaction.atomic
def import_readiness_csv(site, data: bytes, *, by, reason="") -> ReadinessImport:
    """All or nothing: every row is checked first; if one is wrong nothing is saved.
    Otherwise the assessment takes the summary (95th percentiles, test length)."""
    _require_writer(site, by, "Importing a readiness test")
    report, rows = parse_readiness_csv(data, tz=ZoneInfo(site.timezone or "UTC"))
    if not report.ok:
        return report
    summary = report.summary = summarize(rows)
    values = {
        "jitter_ms": summary.p95["jitter_ms"],
        "loss_percent": summary.p95["loss_percent"],
        "latency_ms": summary.p95["latency_ms"],
        "upstream_kbps": summary.p95["upstream_kbps"],
        "test_days": summary.days,
    }
    if "downstream_kbps" in summary.p95:
        values["downstream_kbps"] = summary.p95["downstream_kbps"]
    why = reason or f"Readiness test imported ({summary.samples} samples, {summary.days} days)"
    save_assessment(site, by=by, reason=why, **values)
    report.committed = True
    return report
