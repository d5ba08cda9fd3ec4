"""Writes of the compliance register: evidence for an item, an attestation seen on a
ported number."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction

from e911.compliance.selectors import EVIDENCE_ITEMS, PORTED
from e911.models import AttestationCheck, ComplianceEvidence
from tenancy import clock
from tenancy.history import save_with_history
from tenancy.roles import OWNER_PM, require_role


@transaction.atomic
def record_evidence(customer, *, item, evidence, document_date=None, by, done=True, reason=""):
    """Record evidence for one register item (owners and PMs). The newest evidence for
    an item is the one that counts; older rows stay as history."""
    require_role(customer.organization_id, by, OWNER_PM, "Recording compliance evidence")
    if item not in EVIDENCE_ITEMS:
        raise ValidationError({"item": f"Unknown compliance item {item!r}."})
    evidence = (evidence or "").strip()
    if not evidence:
        raise ValidationError({"evidence": "Say what the evidence is (document, test, entry)."})
    if item == "hipaa_baa" and done and document_date is None:
        raise ValidationError({"document_date": "Give the date the BAA was signed."})
    if document_date is not None and document_date > clock.today():
        raise ValidationError({"document_date": "The document date is in the future."})
    row = ComplianceEvidence(
        customer=customer, item=item, done=done, evidence=evidence[:500],
        document_date=document_date, recorded_by=by,
    )  # fmt: skip
    return save_with_history(row, by=by, reason=reason or f"evidence for {item}")


@transaction.atomic
def record_attestation(number, *, level, seen_at, called_from, by, reason=""):
    """Record the STIR/SHAKEN attestation seen on a call from a ported number, placed to
    a phone outside the customer's system (owners and PMs)."""
    require_role(number.organization_id, by, OWNER_PM, "Recording a STIR/SHAKEN check")
    if level not in AttestationCheck.Level.values:
        raise ValidationError({"level": f"Unknown attestation level {level!r}."})
    if number.status not in PORTED:
        raise ValidationError("Check attestation after the port: this number is not ported.")
    if not (called_from or "").strip():
        raise ValidationError({"called_from": "Name the outside phone that received the call."})
    if seen_at is None or seen_at > clock.now() + timedelta(minutes=5):
        raise ValidationError({"seen_at": "Give when the call was seen (not in the future)."})
    check = AttestationCheck(
        number=number, level=level, seen_at=seen_at, called_from=called_from.strip()[:40],
        recorded_by=by,
    )  # fmt: skip
    return save_with_history(check, by=by, reason=reason or f"attestation {level} seen")
