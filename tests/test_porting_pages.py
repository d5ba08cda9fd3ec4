"""Porting pages: carrier accounts, the board, the order page and its actions."""

import pytest
from django.test import Client
from django.urls import reverse

from porting.models import CarrierAccount, PortOrder

from .conftest import login
from .signing import portal_form, shown_sha256, token_from_outbox

pytestmark = pytest.mark.django_db


def test_porting_pages_render(client, pm_a, world_a, org_a):
    login(client, pm_a)
    m, order, account = world_a["migration"], world_a["port_order"], world_a["carrier_account"]
    for url in (
        reverse("porting-board", args=[org_a.slug, m.uuid]),
        reverse("port-order-create", args=[org_a.slug, m.uuid]),
        reverse("carrier-account-list", args=[org_a.slug, m.uuid]),
        reverse("carrier-account-create", args=[org_a.slug, m.uuid]),
        order.get_absolute_url(),
        reverse("port-order-history", args=[org_a.slug, order.pk]),
        *(account.ui_url(a) for a in ("detail", "update", "delete", "history")),
    ):
        assert client.get(url).status_code == 200, url


@pytest.mark.dates
def test_board_shows_orders_by_stage_and_the_plan(client, pm_a, world_a, org_a):
    login(client, pm_a)
    page = client.get(reverse("porting-board", args=[org_a.slug, world_a["migration"].uuid]))
    html = page.content.decode()
    assert "LOA pending" in html and f"#{world_a['port_order'].pk} AT&amp;T" in html
    assert "Earliest honest cutover" in html


def test_order_page_lists_findings_and_why_a_step_is_not_yet_possible(client, pm_a, world_a):
    login(client, pm_a)
    html = client.get(world_a["port_order"].get_absolute_url()).content.decode()
    assert 'data-testid="findings"' in html
    assert "Not yet:" in html and "is not signed" in html
    assert "[rule:" not in html and '<span class="code-label">signed_current_loa</span>' in html


def test_refused_transition_names_the_rule(client, pm_a, world_a, org_a):
    login(client, pm_a)
    order = world_a["port_order"]
    response = client.post(
        reverse("port-order-transition", args=[org_a.slug, order.pk]),
        {"transition": "submit_loa", "expected_state": "loa_pending"},
        follow=True,
    )
    html = response.content.decode()
    assert (
        "Nothing changed: " in html and '<span class="code-label">signed_current_loa</span>' in html
    )
    assert PortOrder.objects.get(pk=order.pk).state == "loa_pending"


@pytest.mark.dates
def test_send_sign_acknowledge_and_submit_in_the_browser(client, pm_a, world_a, org_a):
    login(client, pm_a)
    order = world_a["port_order"]
    response = client.post(
        reverse("port-order-send-for-signature", args=[org_a.slug, order.pk]),
        {"email": "pat@example.com"}, follow=True,
    )  # fmt: skip
    assert "sent to pat@example.com" in response.content.decode()
    signer = Client()
    portal = reverse("esign:portal", args=[token_from_outbox()])
    page = signer.get(portal)
    loa = order.current_loa()
    signer.post(portal, portal_form(shown_sha256(page), name=loa.authorized_person))
    client.post(reverse("port-order-acknowledge", args=[org_a.slug, order.pk]), {"reason": "ok"})
    response = client.post(
        reverse("port-order-transition", args=[org_a.slug, order.pk]),
        {"transition": "submit_loa", "expected_state": "loa_pending", "reason": "sent"},
        follow=True,
    )
    assert PortOrder.objects.get(pk=order.pk).state == "loa_submitted", response.content.decode()


def test_viewer_cannot_act_on_orders(client, viewer_a, world_a, org_a):
    login(client, viewer_a)
    order = world_a["port_order"]
    url = reverse("port-order-transition", args=[org_a.slug, order.pk])
    assert client.post(url, {"transition": "cancel", "expected_state": "loa_pending",
                             "cancel_reason": "x"}).status_code == 403  # fmt: skip


def test_carrier_account_pin_is_write_only(client, pm_a, world_a, org_a):
    login(client, pm_a)
    m = world_a["migration"]
    client.post(
        reverse("carrier-account-create", args=[org_a.slug, m.uuid]),
        {"carrier_name": "Spectrum Business", "carrier_type": "major_clec",
         "account_number": "SB-1", "btn": "(214) 555-0150", "pin": "9931",
         "csr_numbers": "214-555-0150, 214 555 0151"},
    )  # fmt: skip
    account = CarrierAccount.objects.get(account_number="SB-1")
    assert account.pin == "9931" and account.csr_numbers == ["+12145550150", "+12145550151"]
    for action in ("detail", "update", "history"):
        assert "9931" not in client.get(account.ui_url(action)).content.decode()


@pytest.mark.dates
def test_old_service_cancel_is_refused_with_the_rule(client, pm_a, world_a, org_a):
    login(client, pm_a)
    account = world_a["carrier_account"]
    page = client.get(account.get_absolute_url()).content.decode()
    assert "Not yet: Orders still open on this account" in page
    response = client.post(
        reverse("carrier-account-cancel-service", args=[org_a.slug, account.pk]), follow=True
    )
    html = response.content.decode()
    assert (
        "Nothing changed: " in html and '<span class="code-label">ports_not_complete</span>' in html
    )
    account.refresh_from_db()
    assert account.old_service_cancelled_at is None


def test_loa_preview_shows_the_document_escaped_and_branded(client, pm_a, world_a, org_a):
    from porting.services import prepare_loa

    org_a.brand_color = "#aa3300"
    org_a.save()
    order = world_a["port_order"]
    prepare_loa(order, by=pm_a, business_name='Acme <img src="file:///etc/passwd"> LLC')
    login(client, pm_a)
    html = client.get(reverse("port-order-loa-preview", args=[org_a.slug, order.pk]))
    page = html.content.decode()
    assert html.status_code == 200
    assert "Letter of Authorization" in page and "#aa3300" in page
    assert '<img src="file:///etc/passwd">' not in page
    assert "&lt;img src=&quot;file:///etc/passwd&quot;&gt;" in page
    assert "(214) 555-0100" in page and "Zoom Phone" in page and "AT&amp;T" in page
    assert f"LOA-{org_a.slug}-{order.pk}-v2" in page


def test_logo_must_be_a_small_png_or_jpeg(org_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    from django.core.exceptions import ValidationError
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tenancy.models import validate_logo

    with pytest.raises(ValidationError):
        validate_logo(SimpleUploadedFile("logo.svg", b"<svg onload=alert(1)>"))
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (120, 40), "#1f5fbf").save(buffer, "PNG")
    png = buffer.getvalue()  # a real image: the validator decodes it (tenancy/images.py)
    validate_logo(SimpleUploadedFile("logo.png", png))
    org_a.logo.save("logo.png", SimpleUploadedFile("logo.png", png), save=True)
    assert org_a.logo_data_uri().startswith("data:image/png;base64,")


def test_loa_pdf_renders_the_same_document(client, pm_a, world_a, org_a):
    from documents.render import render

    login(client, pm_a)
    order = world_a["port_order"]
    response = client.get(reverse("port-order-loa-pdf", args=[org_a.slug, order.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert f"LOA-{org_a.slug}-{order.pk}-v1.pdf" in response["Content-Disposition"]
    html = client.get(reverse("port-order-loa-preview", args=[org_a.slug, order.pk]))
    result = render(html.content.decode())
    assert result.pages == 1 and not result.fetch_log.refused
