"""Network readiness per site (docs/cutover-network-and-plan.md; docs/domain-rules.md): the
bandwidth calculator and the threshold checks (pure functions), and
`network_items(site)`, the site's readiness as `tenancy.checks.Item`s for go/no-go.

The calculator: peak concurrent calls x the codec's per-call rate (IP/UDP/RTP and
Ethernet overhead included) + 20% headroom must fit the measured upstream. Because a
backup or an upload can fill the upstream at any moment (the clinic whose 50/10 Mbps line
collapsed under 12 calls plus EHR backups), the only bandwidth voice can count on under
contention is what the QoS queue reserves for it: at least 30% of the upstream, and no
less than the required rate."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from cutover.models import NetworkAssessment
from sites.models import Endpoint
from tenancy.checks import Item

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
