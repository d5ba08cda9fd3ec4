"""Writes of network readiness: save a site's assessment, sign it off, import a readiness
test from CSV. Roles are checked here; history records who and why."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction

from cutover.models import NetworkAssessment
from cutover.network.readiness_csv import ReadinessImport, parse_readiness_csv, summarize
from cutover.network.selectors import CODEC_KBPS, blocking_problems, network_items
from tenancy import clock
from tenancy.history import save_with_history
from tenancy.roles import DEFAULT_WRITE_ROLES, require_role

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
