"""Portal signing of LOAs: the link rules, the portal page, events, corrections, the
signed and sealed PDF, its verification on every download, and versions."""

import hashlib
import random
import re
import shutil
import subprocess
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from esign import services
from esign.models import CorrectionRequest, LoaSignature, SigningEvent, SigningRequest
from porting.services import (
    acknowledge_warnings,
    change_order_numbers,
    prepare_loa,
    transition_order,
)
from tenancy.rules import TransitionRefused

from . import factories as f
from .conftest import login
from .signing import META, link_request, portal_form, shown_sha256, sign_loa, token_from_outbox

pytestmark = pytest.mark.django_db

TINY_PNG = (
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk"
    "+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
)


def signer_client():
    """An anonymous browser with its own address, so rate limits never cross tests."""
    return Client(
        REMOTE_ADDR=f"2001:db8::{random.randrange(1, 0xFFFF):x}:{random.randrange(1, 0xFFFF):x}"
    )


def send(client, org, order, email="signer@acme.example"):
    return client.post(
        reverse("port-order-send-for-signature", args=[org.slug, order.pk]),
        {"email": email}, follow=True,
    )  # fmt: skip


def portal(token):
    return reverse("esign:portal", args=[token])


@pytest.fixture
def pm(client, pm_a):
    return login(client, pm_a)


@pytest.fixture
def order(world_a):
    return world_a["port_order"]


# --- the link -------------------------------------------------------------------------


def test_send_emails_a_256_bit_link_and_stores_only_its_hash(pm, org_a, order, pm_a):
    response = send(pm, org_a, order)
    assert response.status_code == 200
    token = token_from_outbox()
    assert len(token) == 43  # 32 random bytes, URL-safe base64
    message = mail.outbox[-1]
    assert message.to == ["signer@acme.example"]
    assert "Letter of Authorization" in message.subject
    request = SigningRequest.objects.get(email="signer@acme.example")
    assert request.token_hash == hashlib.sha256(token.encode()).hexdigest()
    # The PM never sees the link: not on the page they land on, not in any stored row.
    assert token not in response.content.decode()
    order_page = pm.get(order.get_absolute_url()).content.decode()
    assert token not in order_page and request.token_hash not in order_page
    for model in (SigningRequest, SigningEvent):
        for row in model.objects.values():
            assert token not in str(row)
    assert not any(hasattr(h, "token_hash") for h in request.history.all()), (
        "the hash is kept out of history"
    )
    sent = request.events.get(kind="sent")
    assert sent.document_sha256 and sent.detail["email"] == "signer@acme.example"
    assert request.expires_at - request.created_at == timedelta(days=14)


@pytest.mark.dates
def test_link_lifetime_follows_the_setting(pm, org_a, order, settings):
    settings.ESIGN_LINK_TTL_DAYS = 3
    send(pm, org_a, order)
    request = SigningRequest.objects.get(email="signer@acme.example")
    assert request.expires_at - request.created_at == timedelta(days=3)


def test_malformed_and_unknown_tokens_are_404():
    signer = signer_client()
    for token in ("abc", "x" * 42, "x" * 44, "%2e%2e", "a" * 42 + "!"):
        assert signer.get(f"/sign/{token}/").status_code == 404, token
    assert signer.get(portal("A" * 43)).status_code == 404  # well formed, unknown


@pytest.mark.dates
def test_expired_link_says_so(world_a):
    request, token = link_request(world_a["loa"])
    request.expires_at = timezone.now() - timedelta(seconds=1)
    request.save()
    response = signer_client().get(portal(token))
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not request.events.filter(kind="opened").exists()


@pytest.mark.dates
def test_resend_kills_the_old_link_and_revoke_kills_the_new(pm, org_a, order):
    send(pm, org_a, order)
    first = token_from_outbox()
    send(pm, org_a, order)
    second = token_from_outbox()
    signer = signer_client()
    response = signer.get(portal(first))
    assert response.status_code == 410 and "withdrawn" in response.content.decode()
    assert signer.get(portal(second)).status_code == 200
    live = SigningRequest.objects.get(revoked_at=None, email="signer@acme.example")
    response = pm.post(
        reverse("signing-request-revoke", args=[org_a.slug, live.pk]), {"reason": "wrong person"},
        follow=True,
    )  # fmt: skip
    assert "no longer works" in response.content.decode()
    assert signer.get(portal(second)).status_code == 410
    assert live.events.filter(kind="revoked").exists()


def test_link_is_bound_to_one_version(pm_a, world_a):
    _request, token = link_request(world_a["loa"])
    prepare_loa(world_a["port_order"], by=pm_a, authorized_title="Owner")
    response = signer_client().get(portal(token))
    assert response.status_code == 410 and "replaced" in response.content.decode()


def test_link_dies_when_the_numbers_change(pm_a, world_a, org_a):
    _request, token = link_request(world_a["loa"])
    order = world_a["port_order"]
    _on_the_csr(order, "+12145550177")
    change_order_numbers(
        order,
        add=[f.PhoneNumberFactory(migration=order.migration, number="+12145550177")],
        by=pm_a,
    )
    assert signer_client().get(portal(token)).status_code == 410


def _on_the_csr(order, *numbers):
    """The carrier's record lists these numbers too (so they may join the order)."""
    account = order.carrier_account
    account.csr_numbers = [*account.csr_numbers, *numbers]
    account.save()


def test_portal_is_rate_limited(world_a, settings):
    settings.PORTAL_RATE_LIMIT_PER_MINUTE = 3
    _request, token = link_request(world_a["loa"])
    signer = signer_client()
    codes = [signer.get(portal(token)).status_code for _ in range(4)]
    assert codes[:3] == [200, 200, 200] and codes[3] == 429
    # Guessing tokens counts too.
    assert signer.get(portal("B" * 43)).status_code == 429


def test_viewer_and_technician_cannot_send(client, viewer_a, tech_a, org_a, order):
    for user in (viewer_a, tech_a):
        login(client, user)
        response = send(client, org_a, order)
        assert response.status_code == 403
        assert not SigningRequest.objects.filter(email="signer@acme.example").exists()


def test_send_is_refused_while_the_check_finds_blockers(pm, pm_a, org_a, order):
    prepare_loa(order, by=pm_a, account_number="999-WRONG")
    response = send(pm, org_a, order)
    assert "blocker" in response.content.decode()
    assert not mail.outbox


# --- the portal page ------------------------------------------------------------------


def test_portal_shows_the_letter_records_each_open_and_escapes_hostile_text(pm_a, world_a):
    loa = prepare_loa(
        world_a["port_order"], by=pm_a,
        business_name='Acme <img src="file:///etc/passwd"> <a href="http://127.0.0.1:9/">x</a>',
    )  # fmt: skip
    request, token = link_request(loa)
    signer = signer_client()
    page = signer.get(portal(token), HTTP_USER_AGENT="Mobile Safari/17")
    html = page.content.decode()
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    # Escaped everywhere it appears: nothing a browser would fetch or follow.
    assert '<img src="file:///etc/passwd">' not in html
    assert '<a href="http://127.0.0.1:9/">' not in html
    assert "&lt;img src=&quot;file:///etc/passwd&quot;&gt;" in html
    assert "sandbox" in html and 'name="viewport"' in html
    signer.get(portal(token))
    opened = list(request.events.filter(kind="opened"))
    assert len(opened) == 2
    assert opened[0].user_agent == "Mobile Safari/17" and opened[0].ip
    assert opened[0].document_sha256 == shown_sha256(page)
    assert opened[0].document_sha256 == services.shown_document(loa).sha256


@pytest.mark.dates
def test_sign_records_consent_and_signature_then_the_link_is_used(
    world_a, django_capture_on_commit_callbacks
):
    loa = world_a["loa"]
    request, token = link_request(loa)
    signer = signer_client()
    page = signer.get(portal(token))
    with django_capture_on_commit_callbacks(execute=True):
        response = signer.post(
            portal(token),
            portal_form(shown_sha256(page), name=f"  {loa.authorized_person.upper()} ",
                        title="CFO", drawn_signature=TINY_PNG),
            HTTP_USER_AGENT="Signer UA",
        )  # fmt: skip
    assert response.status_code == 200, response.content.decode()
    assert "The letter is signed" in response.content.decode()
    loa.refresh_from_db()
    assert loa.status == "signed" and loa.has_portal_signature()
    kinds = list(request.events.values_list("kind", flat=True))
    assert kinds == ["opened", "consent", "signed"]
    for event in request.events.all():
        assert event.document_sha256 == shown_sha256(page)
    signature = loa.signature
    assert (signature.typed_title, signature.user_agent) == ("CFO", "Signer UA")
    assert signature.drawn_signature.startswith("data:image/png;base64,")
    # Used: every further visit gets the plain page.
    again = signer.get(portal(token))
    assert again.status_code == 410 and "already been used" in again.content.decode()
    # The signer gets a copy with the sealed PDF attached.
    copy = mail.outbox[-1]
    assert copy.to == [request.email] and copy.attachments[0][2] == "application/pdf"


def test_only_the_authorized_person_may_sign_and_consent_is_required(world_a):
    loa = world_a["loa"]
    _request, token = link_request(loa)
    signer = signer_client()
    sha = shown_sha256(signer.get(portal(token)))
    response = signer.post(portal(token), portal_form(sha, name="Somebody Else"))
    assert response.status_code == 400
    assert "only they may sign" in response.content.decode()
    response = signer.post(
        portal(token), portal_form(sha, name=loa.authorized_person, consent=False)
    )
    assert (
        response.status_code == 400 and "Agree to sign electronically" in response.content.decode()
    )
    response = signer.post(
        portal(token),
        portal_form(sha, name=loa.authorized_person, drawn_signature="data:image/png;base64,AAAA"),
    )
    assert response.status_code == 400
    loa.refresh_from_db()
    assert loa.status == "draft" and not LoaSignature.objects.exists()


def test_every_field_must_be_confirmed(world_a):
    _request, token = link_request(world_a["loa"])
    signer = signer_client()
    data = portal_form(
        shown_sha256(signer.get(portal(token))), name=world_a["loa"].authorized_person
    )
    del data["confirm_btn"]
    response = signer.post(portal(token), data)
    assert (
        response.status_code == 400
        and "Confirm “Billing telephone number (BTN)”" in response.content.decode()
    )


def test_a_document_changed_after_opening_is_not_signed(world_a, org_a):
    loa = world_a["loa"]
    _request, token = link_request(loa)
    signer = signer_client()
    sha = shown_sha256(signer.get(portal(token)))
    org_a.brand_color = "#123456"  # the letter the signer saw is no longer the one to sign
    org_a.save()
    response = signer.post(portal(token), portal_form(sha, name=loa.authorized_person))
    assert (
        response.status_code == 409 and "changed since you opened it" in response.content.decode()
    )
    assert shown_sha256(response) != sha
    loa.refresh_from_db()
    assert loa.status == "draft"


def test_a_field_marked_wrong_becomes_a_correction_request(
    client, pm_a, org_a, world_a, django_capture_on_commit_callbacks
):
    pm_a.email = "pm@northwind.example"
    pm_a.save()
    loa = world_a["loa"]
    request, token = link_request(loa, by=pm_a)
    signer = signer_client()
    sha = shown_sha256(signer.get(portal(token)))
    with django_capture_on_commit_callbacks(execute=True):
        response = signer.post(
            portal(token), portal_form(sha, name="Pat", wrong={"service_address": "Suite 200"})
        )
    assert response.status_code == 200 and "Sent back for correction" in response.content.decode()
    loa.refresh_from_db()
    assert loa.status == "draft" and not LoaSignature.objects.exists()
    correction = CorrectionRequest.objects.get()
    assert [(c["field"], c["comment"]) for c in correction.fields] == [
        ("service_address", "Suite 200")
    ]
    assert request.events.filter(kind="correction_requested").exists()
    assert any(m.to == ["pm@northwind.example"] for m in mail.outbox)
    assert signer.get(portal(token)).status_code == 410
    page = login(client, pm_a).get(world_a["port_order"].get_absolute_url()).content.decode()
    assert "Correction requested on v1" in page and "Suite 200" in page
    prepare_loa(world_a["port_order"], by=pm_a, service_line2="Suite 200")
    correction.refresh_from_db()
    assert correction.resolved_by_version == 2


def test_a_wrong_field_needs_what_it_should_say(world_a):
    _request, token = link_request(world_a["loa"])
    signer = signer_client()
    data = portal_form(shown_sha256(signer.get(portal(token))), wrong={"btn": ""})
    response = signer.post(portal(token), data)
    assert response.status_code == 400 and "should be" in response.content.decode()


def test_a_second_submission_does_not_sign_twice(world_a):
    loa = world_a["loa"]
    _request, token = link_request(loa)
    signer = signer_client()
    data = portal_form(shown_sha256(signer.get(portal(token))), name=loa.authorized_person)
    assert signer.post(portal(token), data).status_code == 200
    assert signer.post(portal(token), data).status_code == 410
    assert LoaSignature.objects.count() == 1


# --- the signed PDF and its seal ------------------------------------------------------


@pytest.fixture
def signed(world_a, pm_a):
    return sign_loa(world_a["loa"], by=pm_a, title="Office manager")


@pytest.mark.dates
def test_signed_pdf_has_the_signature_block_and_the_audit_certificate(signed, tmp_path):
    assert shutil.which("pdftotext"), "poppler-utils (pdftotext) is needed; .ci/run installs it"
    path = tmp_path / "signed.pdf"
    with signed.sealed_pdf.open("rb") as handle:
        path.write_bytes(handle.read())
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout  # fmt: skip
    flat = " ".join(text.split())
    assert "Audit certificate" in flat and signed.document_id in flat
    assert f"/s/ {signed.typed_name}" in flat and "Office manager" in flat
    assert signed.document_sha256 in "".join(text.split())
    for kind in ("Opened", "Consented to electronic records", "Signed"):
        assert kind in flat
    assert META["ip"] in flat and META["user_agent"] in flat


@pytest.mark.dates
def test_seal_is_checked_on_every_view_and_download(client, pm_a, org_a, signed):
    login(client, pm_a)
    page = client.get(reverse("loa-signed", args=[org_a.slug, signed.loa.pk]))
    assert 'data-testid="seal-status">valid<' in page.content.decode()
    download = client.get(reverse("loa-signed-pdf", args=[org_a.slug, signed.loa.pk]))
    assert download.status_code == 200 and download["X-Seal-Status"] == "valid"
    body = b"".join(download.streaming_content) if download.streaming else download.content
    assert hashlib.sha256(body).hexdigest() == signed.sealed_sha256

    # One byte changed in storage: the page and the download both say invalid.
    path = signed.sealed_pdf.path
    with open(path, "rb") as handle:
        data = bytearray(handle.read())
    data[len(data) // 3] ^= 0x01
    with open(path, "wb") as handle:
        handle.write(bytes(data))
    page = client.get(reverse("loa-signed", args=[org_a.slug, signed.loa.pk]))
    assert 'data-testid="seal-status">invalid<' in page.content.decode()
    refused = client.get(reverse("loa-signed-pdf", args=[org_a.slug, signed.loa.pk]))
    assert refused.status_code == 409 and "invalid" in refused.content.decode()
    forced = client.get(
        reverse("loa-signed-pdf", args=[org_a.slug, signed.loa.pk]) + "?accept_invalid=1"
    )
    assert forced.status_code == 200 and forced["X-Seal-Status"] == "invalid"


def test_another_organization_cannot_reach_a_signed_loa(client, pm_b, org_a, org_b, signed):
    login(client, pm_b)
    for name in ("loa-signed", "loa-signed-pdf"):
        for slug in (org_a.slug, org_b.slug):
            assert client.get(reverse(name, args=[slug, signed.loa.pk])).status_code == 404


# --- versions and the order's guard ---------------------------------------------------


def test_every_signed_version_is_kept_and_the_order_needs_the_current_one(pm_a, world_a):
    order = world_a["port_order"]
    first = sign_loa(world_a["loa"], by=pm_a)
    v2 = prepare_loa(order, by=pm_a, authorized_title="Owner")  # a field changed after signing
    first.loa.refresh_from_db()
    assert first.loa.status == "superseded" and first.loa.has_portal_signature()
    acknowledge_warnings(order, by=pm_a)
    with pytest.raises(TransitionRefused) as exc:
        transition_order(order, "submit_loa", by=pm_a)
    assert exc.value.rule == "signed_current_loa"
    second = sign_loa(v2, by=pm_a)
    assert {s.loa.version for s in LoaSignature.objects.all()} == {1, 2}
    assert first.sealed_sha256 != second.sealed_sha256
    _data, check = services.check_signed_loa(LoaSignature.objects.get(pk=first.pk))
    assert check.valid, check.summary  # the superseded version still verifies
    acknowledge_warnings(order, by=pm_a)
    assert transition_order(order, "submit_loa", by=pm_a).state == "loa_submitted"


def test_numbers_changed_after_signing_need_a_new_signature(pm_a, world_a):
    order = world_a["port_order"]
    sign_loa(world_a["loa"], by=pm_a)
    acknowledge_warnings(order, by=pm_a)
    _on_the_csr(order, "+12145550178")
    change_order_numbers(
        order,
        add=[f.PhoneNumberFactory(migration=order.migration, number="+12145550178")],
        by=pm_a,
    )
    loa = order.loas.get(version=1)
    assert loa.status == "superseded" and loa.has_portal_signature()  # kept, read-only
    assert loa.history.first().history_change_reason == (
        "superseded: the numbers changed after signing"
    )
    assert order.loas.get(version=2).numbers == ["+12145550100", "+12145550178"]  # to sign
    with pytest.raises(TransitionRefused) as exc:
        transition_order(order, "submit_loa", by=pm_a)
    assert exc.value.rule == "signed_current_loa" and "version 2 is not signed" in exc.value.message


def test_a_signed_status_without_a_portal_signature_does_not_count(pm_a, world_a):
    loa = world_a["loa"]
    loa.status = "signed"
    loa.signed_by_name = "Pat Doe"
    loa.signed_at = timezone.now()
    loa.save()
    order = world_a["port_order"]
    acknowledge_warnings(order, by=pm_a)
    with pytest.raises(TransitionRefused) as exc:
        transition_order(order, "submit_loa", by=pm_a)
    assert exc.value.rule == "signed_current_loa"


def test_order_page_lists_links_without_them_and_counts_opens(client, pm_a, org_a, world_a):
    request = world_a["signing_request"]
    services.open_request(request, meta=META)
    html = login(client, pm_a).get(world_a["port_order"].get_absolute_url()).content.decode()
    row = re.search(r'data-testid="signing-request">(.*?)</tr>', html, re.S).group(1)
    assert "pat@example.com" in row and "Active" in row and "1×" in row


def test_admin_shows_links_read_only_without_the_hash_and_scoped(client, pm_a, pm_b, world_a):
    request = world_a["signing_request"]
    services.open_request(request, meta=META)
    for user in (pm_a, pm_b):
        user.is_staff = True
        user.save()
    login(client, pm_a)
    url = reverse("admin:esign_signingrequest_change", args=[request.pk])
    page = client.get(url)
    html = page.content.decode()
    assert page.status_code == 200 and "pat@example.com" in html
    assert request.token_hash not in html
    assert "pytest-signer/1.0" in html  # the events, inline
    assert "Save" not in html and 'name="email"' not in html  # read-only
    login(client, pm_b)
    response = client.get(url, follow=True)
    assert "pat@example.com" not in response.content.decode()


def test_links_use_the_public_address_when_it_is_set(pm, org_a, order, settings):
    settings.PUBLIC_BASE_URL = "https://voip.example.com"
    send(pm, org_a, order, email="first@acme.example")
    assert f"https://voip.example.com/sign/{token_from_outbox()}/" in mail.outbox[-1].body
    settings.PUBLIC_BASE_URL = ""
    send(pm, org_a, order, email="second@acme.example")
    assert f"http://testserver/sign/{token_from_outbox()}/" in mail.outbox[-1].body
