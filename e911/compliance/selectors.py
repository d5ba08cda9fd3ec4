"""A customer's compliance register, derived from its flags, the states of its sites,
its remote workers' homes and its operating states, its numbers, and the evidence
recorded against each item (docs/e911-karis-compliance.md)."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils import timezone

from e911.karis.selectors import _who
from e911.models import AttestationCheck, ComplianceEvidence, DispatchableLocation
from e911.rules import ALL_PARTY_CONSENT_STATES
from porting.models import PhoneNumber, PortOrder
from sites.models import Site
from tenancy.checks import Item
from tenancy.phone import shown

# Items that take recorded evidence (record_evidence), with what counts as evidence.
EVIDENCE_ITEMS = {
    "hipaa_baa": (
        "HIPAA Business Associate Agreement with the vendor",
        "The signed BAA (its title or file reference) and the date it was signed.",
    ),
    "pci_recording_pause": (
        "Call recording pauses during card capture (PCI DSS)",
        "How recording pauses and resumes (feature, button or IVR step) and the date a "
        "test call showed the card digits were not recorded.",
    ),
    "recording_disclosure": (
        "Recording disclosure before recording (all-party consent)",
        "The announcement callers hear before recording starts (its text or prompt "
        "name) and the date it was heard on a test call.",
    ),
    "rmd_listing": (
        "Winning carrier listed in the Robocall Mitigation Database",
        "The winning carrier's RMD entry (name and FRN or filing reference) and the date "
        "it was checked.",
    ),
}


PORTED = (PhoneNumber.Status.PORTED, PhoneNumber.Status.LIVE)


IN_PORT = (PhoneNumber.Status.PORTING, *PORTED)


def _states(customer):
    """{state: [where, ...]} for the customer's sites, remote workers' current homes and
    operating states."""
    where = {}
    for state, name in Site.objects.filter(customer=customer).values_list("state", "name"):
        where.setdefault(state.upper(), []).append(f"site {name}")
    homes = DispatchableLocation.objects.filter(
        remote_worker__migration__customer=customer, is_current=True
    ).values_list("normalized_state", "state", "remote_worker__name")
    for normalized, state, name in homes:
        where.setdefault((normalized or state).upper(), []).append(f"remote worker {name}")
    for state in customer.operating_states or ():
        where.setdefault(state.upper(), []).append("operating state")
    return where


def _evidence_item(code, latest, *, required, reason, blocking=True, subject="") -> Item:
    title, counts = EVIDENCE_ITEMS[code]
    if not required:
        return Item(code, title, True, blocking=False, required=False, reason=reason,
                    detail=reason)  # fmt: skip
    row = latest.get(code)
    if row is None:
        return Item(code, title, False, blocking=blocking, reason=reason,
                    detail=f"No evidence yet. Counts as evidence: {counts}",
                    subject=subject)  # fmt: skip
    ok = row.done and (code != "hipaa_baa" or row.document_date is not None)
    dated = f" (dated {row.document_date:%Y-%m-%d})" if row.document_date else ""
    detail = (f"{row.evidence}{dated}" if ok else
              f"Recorded as not done: {row.evidence}{dated}")  # fmt: skip
    return Item(code, title, ok, blocking=blocking, reason=reason, detail=detail,
                evidence=f"{row.evidence}{dated}", who=_who(row.recorded_by),
                when=row.recorded_at, subject=subject)  # fmt: skip


def _attestation_item(number) -> Item:
    checks = list(number.attestation_checks.all())  # prefetched, newest first
    title = "STIR/SHAKEN A-level attestation after the port"
    reason = "Ported numbers must carry A-level attestation, checked from outside."
    subject = number.display
    if not checks:
        return Item("stir_shaken", title, False, blocking=False, reason=reason,
                    subject=subject, detail="Not checked yet: call an outside phone from "
                    "this number and record the attestation it shows.")  # fmt: skip
    check = checks[0]
    when = f"{timezone.localtime(check.seen_at):%Y-%m-%d %H:%M}"
    evidence = f"{check.get_level_display()} seen {when} on {shown(check.called_from)}"
    if check.level == AttestationCheck.Level.A:
        return Item("stir_shaken", title, True, blocking=False, reason=reason,
                    subject=subject, detail=evidence, evidence=evidence,
                    who=_who(check.recorded_by), when=check.seen_at)  # fmt: skip
    return Item("stir_shaken", title, False, blocking=False, reason=reason, subject=subject,
                detail=f"Attestation lost: {evidence}. Ask the winning carrier to sign "
                       "the number with A (it must be on their account and in their "
                       "Robocall Mitigation Database entry), then check again.",
                evidence=evidence, who=_who(check.recorded_by),
                when=check.seen_at)  # fmt: skip


def register_numbers(customer):
    """The customer's numbers that are porting, ported or live, each with its
    attestation checks (newest first) prefetched."""
    checks = AttestationCheck.objects.select_related("recorded_by").order_by("-seen_at", "-pk")
    return list(
        PhoneNumber.objects.filter(migration__customer=customer, status__in=IN_PORT)
        .order_by("number")
        .prefetch_related(Prefetch("attestation_checks", queryset=checks))
    )


def compliance_register(customer, *, numbers=None) -> list[Item]:
    """Every compliance item of the customer, required or not (with the reason), with
    its status and evidence. A fixed number of queries whatever the size."""
    latest = {}
    for row in (
        ComplianceEvidence.objects.filter(customer=customer)
        .select_related("recorded_by")
        .order_by("-recorded_at", "-pk")
    ):
        latest.setdefault(row.item, row)
    items = []

    hipaa = customer.handles_health_information
    items.append(_evidence_item(
        "hipaa_baa", latest, required=hipaa,
        reason="The customer handles health information (voicemail-to-email counts): "
               "a BAA with the vendor is needed before go-live." if hipaa else
               "The customer does not handle health information.",
    ))  # fmt: skip

    pci = customer.takes_card_payments_by_phone
    items.append(_evidence_item(
        "pci_recording_pause", latest, required=pci,
        reason="The customer takes card payments by phone: recording must pause during "
               "card capture." if pci else "The customer does not take card payments by "
               "phone.",
    ))  # fmt: skip

    consent = {
        state: places for state, places in _states(customer).items()
        if state in ALL_PARTY_CONSENT_STATES
    }  # fmt: skip
    cited = "; ".join(
        f"{state} ({ALL_PARTY_CONSENT_STATES[state]}): {', '.join(places)}"
        for state, places in sorted(consent.items())
    )
    if consent and customer.records_calls:
        reason = f"Calls are recorded in all-party-consent states: {cited}."
    elif consent:
        reason = (f"The customer does not record calls; a disclosure would be required "
                  f"if it did: {cited}.")  # fmt: skip
    else:
        reason = "No site, remote worker or operating state is in an all-party-consent state."
    items.append(_evidence_item(
        "recording_disclosure", latest, required=bool(consent) and customer.records_calls,
        reason=reason,
    ))  # fmt: skip

    numbers = register_numbers(customer) if numbers is None else numbers
    carriers = sorted(
        set(
            PortOrder.objects.filter(migration__customer=customer).values_list(
                "winning_carrier", flat=True
            )
        )
    )
    rmd_required = bool(numbers)
    items.append(_evidence_item(
        "rmd_listing", latest, required=rmd_required,
        reason=(f"Numbers are porting or ported to {', '.join(carriers) or 'the winning carrier'}"
                ": its Robocall Mitigation Database entry must list them.") if rmd_required
               else "No number is porting or ported yet.",
    ))  # fmt: skip

    items.extend(_attestation_item(n) for n in numbers if n.status in PORTED)
    return items
