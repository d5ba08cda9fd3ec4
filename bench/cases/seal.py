"""Case 6: a Letter of Authorization signed through the portal services: render the
signed letter with its audit page, seal it (pyHanko, PAdES), store it and verify the
stored file, per LOA; against rendering the letter alone."""

from __future__ import annotations

import statistics

from .. import data
from ..core import Result, stopwatch

META = {"ip": "203.0.113.9", "user_agent": "bench-signer/1.0"}


def _order(org, owner):
    from porting.models import CarrierAccount, PhoneNumber
    from porting.services import create_port_order

    migration = data.empty_migration(org, owner, "Seal bench")
    data.import_inventory(migration, owner, 5, 5)
    site = migration.sites.get()
    numbers = list(PhoneNumber.objects.filter(migration=migration))
    account = CarrierAccount.objects.create(
        organization=org, migration=migration, carrier_name="Lumen",
        carrier_type=CarrierAccount.CarrierType.MAJOR_ILEC, account_number="303-296-4100-771",
        btn=numbers[0].number, csr_account_name=migration.customer.legal_name,
        csr_authorized_person="Pat Doe", csr_address_line1=site.address_line1,
        csr_address_line2=site.address_line2, csr_city=site.city, csr_state=site.state,
        csr_postal_code=site.postal_code, csr_numbers=[str(n.number) for n in numbers],
    )  # fmt: skip
    PhoneNumber.objects.filter(pk__in=[n.pk for n in numbers]).update(carrier_account=account)
    return create_port_order(account, numbers, winning_carrier="Zoom Phone", by=owner)


def run(scale, fixtures) -> list[Result]:
    from documents.render import render_pdf
    from esign import services
    from esign.documents import shown_document
    from esign.seal import signing_key_for
    from porting.services import prepare_loa

    org, owner = data.organization("seal")
    order = _order(org, owner)
    signing_key_for(org)  # the organization's key is made once, on first use: not timed
    render_times, full_times, valid = [], [], 0
    n = scale.seal_loas
    for i in range(scale.seal_loas + 1):  # the first of each is a warm-up
        loa = prepare_loa(order, by=owner, reason="bench", authorized_title=f"Owner {i}")
        html = shown_document(loa).html
        with stopwatch() as render_elapsed:
            render_pdf(html)
        with stopwatch() as full_elapsed:
            request, _token, _shown = services.issue_signing_link(
                loa, email="pat@customer.example", by=owner, meta=META
            )
            request, shown = services.open_request(request, meta=META)
            signature = services.sign(
                request, typed_name=loa.authorized_person, typed_title="Owner", consent=True,
                meta=META, document_sha256=shown.sha256, email_copy=False,
            )  # fmt: skip
            _data, check = services.check_signed_loa(signature)
        if i:
            render_times.append(render_elapsed())
            full_times.append(full_elapsed())
            valid += bool(check.valid)
    # The seal and the check alone, on the last signed PDF (what pyHanko adds).
    from esign.documents import signed_pdf
    from esign.seal import seal_pdf, verify_pdf

    unsealed = signed_pdf(loa, signature={"signed": True, "signed_by_name": "Pat Doe"},
                          audit={"events": []})  # fmt: skip
    seal_times, verify_times = [], []
    for _ in range(n):
        with stopwatch() as seal_elapsed:
            sealed = seal_pdf(unsealed, org)
        with stopwatch() as verify_elapsed:
            verify_pdf(sealed, org)
        seal_times.append(seal_elapsed())
        verify_times.append(verify_elapsed())
    seal_ms = statistics.median(seal_times) * 1000
    verify_ms = statistics.median(verify_times) * 1000
    render_ms = statistics.median(render_times) * 1000
    full_ms = statistics.median(full_times) * 1000
    return [
        Result(
            case=f"LOA seal, median of {n} LOA(s)",
            figure=f"render + sign + seal + store + verify: {full_ms:.0f} ms per LOA",
            baseline=f"render the letter alone: {render_ms:.0f} ms",
            ratio=full_ms / render_ms,
            target="reported (no target)",
            passed=None if valid == n else False,
            details=[
                f"{valid} of {n} stored PDFs verified (hash and seal); of each LOA, the seal "
                f"alone takes {seal_ms:.0f} ms and its verification {verify_ms:.0f} ms"
            ],
            numbers={
                "render_ms": render_ms,
                "full_ms": full_ms,
                "valid": valid,
                "loas": n,
                "seal_ms": seal_ms,
                "verify_ms": verify_ms,
            },
        )
    ]
