"""REST API for porting: carrier accounts (PIN write-only), port orders created through
the service, the lifecycle through `transition/` (refusals name the rule), LOA versions,
sending them for signature (the link never in a response), revoking links, the sealed
signed PDF and its seal check, findings, FOC changes, test calls, partial ports, the
go-live plan; scoping and roles.

Organization A ("northwind") holds `world_a` with an order and a draft LOA; B ("lear")
must never see or touch it."""

import hashlib
import json
import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from esign import services as esign
from esign.models import SigningRequest
from porting.models import CarrierAccount, PhoneNumber, PortOrder
from porting.services import (
    acknowledge_warnings,
    create_port_order,
    prepare_loa,
    transition_order,
)

from . import factories as f
from .e911_helpers import e911_ready
from .signing import META, link_request, sign_loa, token_from_outbox

pytestmark = pytest.mark.django_db

PIN = "Pin-Secret-4821"
LINES = ("+12145559001", "(214) 555-9002", "214.555.9003")  # three outside lines


@pytest.fixture(autouse=True)
def media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def url(org, resource, key=None, action=None):
    path = f"/api/o/{org.slug}/{resource}/"
    if key is not None:
        path += f"{key}/"
    if action:
        path += f"{action}/"
    return path


def order_url(org, order, action=None):
    return url(org, "port-orders", order.pk, action)


def iso(moment):
    return moment.astimezone(timezone.get_fixed_timezone(-360)).isoformat()


def sign_with_token(token, *, title="Owner"):
    """The signer follows the emailed link: open it and sign, through the portal services."""
    request = esign.find_request(token)
    request, shown = esign.open_request(request, meta=META)
    return esign.sign(
        request, typed_name=request.loa.authorized_person, typed_title=title, consent=True,
        meta=META, document_sha256=shown.sha256,
    )  # fmt: skip


def sign_via_services(order, user, **changes):
    loa = prepare_loa(order, by=user, **changes)
    sign_loa(loa, by=user)
    e911_ready(order, user)  # registrations made before the port (make before break)
    return loa


def at_port_day(order, user):
    sign_via_services(order, user)
    acknowledge_warnings(order, by=user)
    order = transition_order(order, "submit_loa", by=user)
    order = transition_order(order, "record_foc", by=user, foc_at=timezone.now())
    return transition_order(order, "start_port_day", by=user)


@pytest.fixture
def plano(world_a, pm_a):
    """A second migration of A's customer: one account, three numbers, no order yet."""
    migration = f.MigrationFactory(customer=world_a["customer"], name="Plano", owner=pm_a)
    account = f.CarrierAccountFactory(
        migration=migration,
        btn="+14695550100",
        csr_numbers=["+14695550100", "+14695550101", "+14695550102"],
    )
    numbers = [
        f.PhoneNumberFactory(migration=migration, number=f"+1469555010{i}") for i in range(3)
    ]
    return {"migration": migration, "account": account, "numbers": numbers}


# -- carrier accounts -------------------------------------------------------------------


def test_carrier_account_round_trip_and_pin_is_write_only(world_a, org_a, pm_a, api_client_for):
    client = api_client_for(pm_a)
    bodies = []
    response = client.post(
        url(org_a, "carrier-accounts"),
        {
            "migration": str(world_a["migration"].uuid),
            "carrier_name": "Spectrum Business",
            "carrier_type": "major_clec",
            "account_number": "8350-112233",
            "btn": "(214) 555-0150",
            "pin": PIN,
            "csr_account_name": "Acme Tax Services LLC",
            "csr_numbers": ["214.555.0151", "+1 214 555 0150", "2145550151"],
        },
        format="json",
        HTTP_X_CHANGE_REASON="CSR received",
    )
    assert response.status_code == 201, response.content
    bodies.append(response.content)
    body = response.json()
    assert body["btn"] == "+12145550150"
    assert body["csr_numbers"] == ["+12145550150", "+12145550151"]
    assert body["has_pin"] is True
    assert "pin" not in body
    assert body["migration"] == str(world_a["migration"].uuid)
    account = CarrierAccount.objects.get(pk=body["id"])
    assert account.pin == PIN
    assert account.history.latest().history_change_reason == "CSR received"

    detail = url(org_a, "carrier-accounts", account.pk)
    response = client.patch(detail, {"csr_city": "Dallas"}, format="json")
    assert response.status_code == 200, response.content
    bodies.append(response.content)
    assert CarrierAccount.objects.get(pk=account.pk).pin == PIN  # omitted: kept
    bodies.append(client.get(detail).content)
    bodies.append(client.get(url(org_a, "carrier-accounts")).content)
    for raw in bodies:
        assert PIN.encode() not in raw
        assert b'"pin"' not in raw
    # The browsable page offers an empty PIN input; OPTIONS describes the field. No value.
    for raw in (client.get(detail, {"format": "api"}).content, client.options(detail).content):
        assert PIN.encode() not in raw

    response = client.patch(detail, {"csr_numbers": ["12345"]}, format="json")
    assert response.status_code == 400
    assert "csr_numbers" in response.json()
    response = client.patch(detail, {"pin": ""}, format="json")
    assert response.json()["has_pin"] is False
    assert client.delete(detail).status_code == 204


def test_pin_never_appears_in_order_responses(world_a, org_a, pm_a, api_client_for):
    account = world_a["carrier_account"]
    account.pin = PIN
    account.save()
    client = api_client_for(pm_a)
    order = world_a["port_order"]
    paths = [
        url(org_a, "port-orders"),
        order_url(org_a, order),
        *(order_url(org_a, order, a) for a in ("findings", "loa", "transitions", "foc")),
        url(org_a, "carrier-accounts", account.pk),
        url(org_a, "port-orders", action="plan") + f"?migration={world_a['migration'].uuid}",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, path
        assert PIN.encode() not in response.content, path


def test_deleting_an_account_with_an_order_is_a_conflict(world_a, org_a, pm_a, api_client_for):
    account = world_a["carrier_account"]
    response = api_client_for(pm_a).delete(url(org_a, "carrier-accounts", account.pk))
    assert response.status_code == 409
    assert CarrierAccount.objects.filter(pk=account.pk).exists()


# -- creating orders --------------------------------------------------------------------


def test_create_order_with_ids_and_numbers(plano, org_a, pm_a, api_client_for):
    n0, n1, n2 = plano["numbers"]
    response = api_client_for(pm_a).post(
        url(org_a, "port-orders"),
        {
            "carrier_account": plano["account"].pk,
            "numbers": [n0.pk, "(469) 555-0101", "+14695550102", n0.pk],
            "winning_carrier": "Zoom Phone",
            "requested_date": "2031-03-03",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "loa_pending"
    assert body["migration"] == str(plano["migration"].uuid)
    assert body["carrier_account"] == plano["account"].pk
    assert [n["number"] for n in body["numbers"]] == [str(n.number) for n in (n0, n1, n2)]
    assert body["requested_date"] == "2031-03-03"
    assert body["current_loa_version"] is None
    order = PortOrder.objects.get(pk=body["id"])
    assert order.history.latest().history_user == pm_a


def test_create_order_refusals_are_400_with_the_messages(
    plano, world_a, world_b, org_a, pm_a, api_client_for
):
    client = api_client_for(pm_a)
    migration, account, numbers = plano["migration"], plano["account"], plano["numbers"]
    before = PortOrder.objects.count()

    def create(**overrides):
        body = {"carrier_account": account.pk, "numbers": [numbers[0].pk],
                "winning_carrier": "Zoom Phone"} | overrides  # fmt: skip
        return client.post(url(org_a, "port-orders"), body, format="json")

    other = f.CarrierAccountFactory(migration=migration, carrier_name="Spectrum")
    stray = f.PhoneNumberFactory(migration=migration, number="+14695550199", carrier_account=other)
    response = create(numbers=[numbers[0].pk, stray.pk])
    assert response.status_code == 400
    text = json.dumps(response.json())
    assert "one port order (and one LOA) per carrier account" in text and "Spectrum" in text

    toll_free = f.PhoneNumberFactory(migration=migration, number="+18885550123")
    response = create(numbers=[numbers[0].pk, "1-888-555-0123"])
    assert response.status_code == 400
    assert "Toll-free numbers always get their own order" in json.dumps(response.json())

    # A number already on an open order (world_a's order holds +12145550100).
    response = create(
        carrier_account=world_a["carrier_account"].pk, numbers=[str(world_a["number"].number)]
    )
    assert response.status_code == 400
    assert "already on open port order" in json.dumps(response.json())

    # Names nobody in this organization has, and another organization's rows.
    response = create(numbers=["+14695550177", 987654321, str(world_b["number"].number)])
    assert response.status_code == 400
    messages = response.json()["numbers"]
    assert len(messages) == 3 and all("No number" in m for m in messages)
    response = create(carrier_account=world_b["carrier_account"].pk)
    assert response.status_code == 400
    assert "Invalid pk" in json.dumps(response.json()["carrier_account"])
    response = create(numbers=[])
    assert response.status_code == 400
    response = create(numbers=["not a number"])
    assert response.status_code == 400
    response = create(numbers=[10**30, True])
    assert response.status_code == 400
    assert PortOrder.objects.count() == before
    assert toll_free.port_orders.count() == 0


def test_state_is_read_only_and_orders_are_not_deleted(world_a, org_a, pm_a, api_client_for):
    client = api_client_for(pm_a)
    order = world_a["port_order"]
    detail = order_url(org_a, order)
    response = client.patch(detail, {"requested_date": "2031-04-01"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["requested_date"] == "2031-04-01"
    assert response.json()["numbers"][0]["number"] == "+12145550100"
    response = client.put(detail, {"winning_carrier": "RingCentral"}, format="json")
    assert response.status_code == 200
    assert response.json()["winning_carrier"] == "RingCentral"
    response = client.patch(detail, {"state": "complete"}, format="json")
    assert response.status_code == 400
    assert "transition" in json.dumps(response.json()["state"])
    assert client.delete(detail).status_code == 405
    assert PortOrder.objects.get(pk=order.pk).state == "loa_pending"


def test_filters(world_a, plano, org_a, org_b, pm_a, api_client_for):
    client = api_client_for(pm_a)
    create_port_order(plano["account"], plano["numbers"], winning_carrier="Zoom", by=pm_a)
    response = client.get(url(org_a, "port-orders"), {"migration": str(plano["migration"].uuid)})
    assert [o["carrier_account"] for o in response.json()["results"]] == [plano["account"].pk]
    response = client.get(url(org_a, "port-orders"), {"state": "loa_pending"})
    assert response.json()["count"] == 2
    response = client.get(url(org_a, "port-orders"), {"state": "complete"})
    assert response.json()["count"] == 0
    response = client.get(
        url(org_a, "port-orders"), {"carrier_account": world_a["carrier_account"].pk}
    )
    assert [o["id"] for o in response.json()["results"]] == [world_a["port_order"].pk]
    response = client.get(url(org_a, "port-orders"), {"q": "469555"})  # three numbers match
    assert response.json()["count"] == 1
    response = client.get(
        url(org_a, "carrier-accounts"), {"migration": str(plano["migration"].uuid)}
    )
    assert [a["id"] for a in response.json()["results"]] == [plano["account"].pk]


# -- the lifecycle ----------------------------------------------------------------------


@pytest.mark.dates
def test_full_lifecycle_through_the_api(world_a, org_a, pm_a, owner_a, tech_a, api_client_for):
    pm, owner, tech = api_client_for(pm_a), api_client_for(owner_a), api_client_for(tech_a)
    order, number = world_a["port_order"], world_a["number"]

    def go(client, transition, **body):
        return client.post(
            order_url(org_a, order, "transition"), {"transition": transition, **body},
            format="json",
        )  # fmt: skip

    # A new LOA version with a field change (version 1 came with the fixture).
    response = pm.post(order_url(org_a, order, "loa"), {"authorized_title": "Owner"},
                       format="json")  # fmt: skip
    assert response.status_code == 201, response.content
    assert (response.json()["version"], response.json()["status"]) == (2, "draft")
    assert response.json()["numbers"] == ["+12145550100"]
    versions = pm.get(order_url(org_a, order, "loa")).json()
    assert [(v["version"], v["status"]) for v in versions] == [(2, "draft"), (1, "superseded")]

    # Sent for signature; the authorized person signs through the emailed link.
    response = pm.post(order_url(org_a, order, "loa/send"), {"email": "pat@example.com"},
                       format="json")  # fmt: skip
    assert response.status_code == 201, response.content
    assert (response.json()["loa_version"], response.json()["state"]) == (2, "active")
    signature = sign_with_token(token_from_outbox())
    e911_ready(order, pm_a)  # E911 registrations are made before port day
    v2, v1 = pm.get(order_url(org_a, order, "loa")).json()
    assert (v2["status"], v2["signed_by_name"]) == ("signed", "Pat Doe")
    assert v2["signature"] == {
        "document_id": signature.document_id, "typed_name": "Pat Doe", "typed_title": "Owner",
        "signed_at": v2["signed_at"], "document_sha256": signature.document_sha256,
        "sealed_sha256": signature.sealed_sha256,
    }  # fmt: skip
    assert (v1["status"], v1["signature"]) == ("superseded", None)

    response = pm.post(order_url(org_a, order, "acknowledge"), {}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["loa_version"] == 2

    response = go(pm, "submit_loa", expected_state="loa_pending", reason="sent to Zoom")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "loa_submitted"
    assert response.json()["numbers"][0]["status"] == "porting"
    assert order.history.latest().history_change_reason == "Submit LOA: sent to Zoom"

    now = timezone.now()
    naive = (now + timedelta(hours=1)).replace(tzinfo=None).isoformat()
    response = go(pm, "record_foc", foc_at=naive)
    assert response.status_code == 400
    assert "offset" in json.dumps(response.json()["foc_at"])
    response = go(pm, "record_foc", foc_at=iso(now + timedelta(hours=1)),
                  foc_timezone="America/Chicago", confirmation_number="FOC-1")  # fmt: skip
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "foc_received" and body["foc_confirmation_number"] == "FOC-1"
    assert body["foc_timezone"] == "America/Chicago"

    # The carrier moves the FOC: both kept.
    response = pm.post(order_url(org_a, order, "foc"),
                       {"new_foc_at": iso(now + timedelta(minutes=90)),
                        "reason": "carrier backlog", "confirmation_number": "FOC-2",
                        "foc_timezone": "America/Denver"},
                       format="json")  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["foc_confirmation_number"] == "FOC-2"
    assert response.json()["foc_timezone"] == "America/Denver"
    (change,) = pm.get(order_url(org_a, order, "foc")).json()
    assert change["reason"] == "carrier backlog" and change["previous_foc_at"]

    # Technicians run port day.
    response = go(tech, "start_port_day", expected_state="foc_received")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "port_day" and response.json()["ported_at"]

    response = go(pm, "complete")
    assert response.status_code == 409
    assert response.json()["rule"] == "post_port_tests_passed"

    tests = order_url(org_a, order, "test-calls")
    for i, line in enumerate(LINES):
        ref = number.pk if i == 0 else ("(214) 555-0100" if i == 1 else "+12145550100")
        response = tech.post(tests, {"number": ref, "called_from": line, "passed": True},
                             format="json")  # fmt: skip
        assert response.status_code == 201, response.content
    calls = tech.get(tests).json()
    assert {c["called_from"] for c in calls} == {"+12145559001", "+12145559002", "+12145559003"}
    assert {c["number"] for c in calls} == {"+12145550100"}

    # Tests passed, but the 48-hour port-back window is open.
    response = go(pm, "complete")
    assert response.status_code == 409
    assert response.json()["rule"] == "port_back_window_closed"
    assert "48-hour" in response.json()["detail"]
    response = go(pm, "complete", override_reason="customer confirmed calls")
    assert response.status_code == 403
    assert response.json()["rule"] == "override_owner_only"

    response = go(owner, "complete", override_reason="trunk released early by carrier",
                  reason="all lines verified")  # fmt: skip
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["state"] == "complete" and body["completed_at"]
    assert body["override_reason"] == "trunk released early by carrier"
    assert body["numbers"][0]["status"] == "ported"
    assert PhoneNumber.objects.get(pk=number.pk).status == "ported"
    assert pm.get(order_url(org_a, order, "transitions")).json() == []


def test_a_refused_transition_names_the_rule(world_a, org_a, pm_a, api_client_for):
    client = api_client_for(pm_a)
    order = world_a["port_order"]
    transition = order_url(org_a, order, "transition")
    response = client.post(transition, {"transition": "submit_loa"}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert body["rule"] == "signed_current_loa"
    assert "is not signed" in body["detail"]

    response = client.post(transition, {"transition": "record_foc"}, format="json")
    assert (response.status_code, response.json()["rule"]) == (409, "state")
    response = client.post(transition, {"transition": "cancel"}, format="json")
    assert (response.status_code, response.json()["rule"]) == (409, "cancel_reason")
    response = client.post(transition, {"transition": "teleport"}, format="json")
    assert response.status_code == 400 and "transition" in response.json()
    response = client.post(transition, {"transition": "cancel", "reason": "x" * 1001},
                           format="json")  # fmt: skip
    assert response.status_code == 400 and "reason" in response.json()
    assert PortOrder.objects.get(pk=order.pk).state == "loa_pending"

    rows = {r["name"]: r for r in client.get(order_url(org_a, order, "transitions")).json()}
    assert set(rows) == {"submit_loa", "cancel"}
    assert rows["submit_loa"]["allowed"] is False
    assert rows["submit_loa"]["rule"] == "signed_current_loa"
    assert rows["cancel"] == {"name": "cancel", "label": "Cancel order", "allowed": True,
                              "rule": None, "detail": None}  # fmt: skip


def test_conflict_via_expected_state(world_a, org_a, pm_a, api_client_for):
    client = api_client_for(pm_a)
    order = world_a["port_order"]
    response = client.post(
        order_url(org_a, order, "transition"),
        {"transition": "cancel", "cancel_reason": "customer stays",
         "expected_state": "loa_submitted"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 409
    assert response.json()["rule"] == "conflict"
    assert "Someone else changed this order" in response.json()["detail"]
    assert PortOrder.objects.get(pk=order.pk).state == "loa_pending"
    response = client.post(
        order_url(org_a, order, "transition"),
        {"transition": "cancel", "cancel_reason": "x", "expected_state": "nowhere"},
        format="json",
    )
    assert response.status_code == 400 and "expected_state" in response.json()
    response = client.post(
        order_url(org_a, order, "transition"),
        {"transition": "cancel", "cancel_reason": "customer stays",
         "expected_state": "loa_pending"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200
    assert response.json()["state"] == "cancelled"
    assert response.json()["numbers"][0]["status"] == "legacy"


def test_rejection_is_recorded_and_listed(world_a, org_a, pm_a, api_client_for):
    order = world_a["port_order"]
    sign_via_services(order, pm_a)
    acknowledge_warnings(order, by=pm_a)
    transition_order(order, "submit_loa", by=pm_a)
    client = api_client_for(pm_a)
    transition = order_url(org_a, order, "transition")
    response = client.post(transition, {"transition": "reject"}, format="json")
    assert (response.status_code, response.json()["rule"]) == (409, "rejection_details")
    response = client.post(
        transition,
        {"transition": "reject", "code": "PENDING_ORDER",
         "carrier_text": "Another order is pending on this account"},
        format="json",
    )  # fmt: skip
    assert response.status_code == 200 and response.json()["state"] == "rejected"
    (rejection,) = client.get(order_url(org_a, order, "rejections")).json()
    assert rejection["code"] == "PENDING_ORDER" and rejection["loa_version"] == 2
    response = client.post(transition, {"transition": "reopen"}, format="json")
    assert (response.status_code, response.json()["rule"]) == (409, "corrected_loa_prepared")


def test_findings_name_the_acme_tax_mismatch(world_a, org_a, pm_a, api_client_for):
    client = api_client_for(pm_a)
    order = world_a["port_order"]
    assert world_a["carrier_account"].csr_account_name == "Acme Tax Services LLC"
    response = client.post(order_url(org_a, order, "loa"), {"business_name": "Acme Tax"},
                           format="json")  # fmt: skip
    assert response.status_code == 201
    body = client.get(order_url(org_a, order, "findings")).json()
    assert body["loa_version"] == 2
    (finding,) = [x for x in body["findings"] if x["code"] == "NAME_MISMATCH"]
    assert finding["severity"] == "blocker"
    assert finding["field"] == "business_name"
    assert (finding["loa_value"], finding["csr_value"]) == ("Acme Tax", "Acme Tax Services LLC")
    assert finding["fix"] and finding["reject_reason"] and finding["title"]

    # Not sent to the customer while the carrier would reject it...
    mail.outbox.clear()
    links = SigningRequest.objects.filter(loa__port_order=order).count()
    response = client.post(order_url(org_a, order, "loa/send"), {"email": "pat@example.com"},
                           format="json")  # fmt: skip
    assert response.status_code == 400
    message = " ".join(response.json()["non_field_errors"])
    assert "blocker" in message and "NAME_MISMATCH" in message
    assert not mail.outbox
    assert SigningRequest.objects.filter(loa__port_order=order).count() == links
    # ...and a version signed anyway (the helper skips the send step) is still not submitted.
    sign_loa(order.current_loa(), by=pm_a)
    response = client.post(
        order_url(org_a, order, "transition"), {"transition": "submit_loa"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["rule"] == "no_loa_blockers"
    assert "business_name" in response.json()["detail"]


def test_sending_needs_an_loa_draft(plano, org_a, pm_a, api_client_for):
    order = create_port_order(plano["account"], plano["numbers"], winning_carrier="Zoom", by=pm_a)
    client = api_client_for(pm_a)
    send = order_url(org_a, order, "loa/send")
    body = {"email": "pat@example.com"}
    response = client.post(send, body, format="json")
    assert response.status_code == 400 and "Prepare an LOA first" in json.dumps(response.json())
    assert client.get(order_url(org_a, order, "findings")).json() == {
        "loa_version": None, "acknowledged_warnings": [], "findings": [],
    }  # fmt: skip
    response = client.post(order_url(org_a, order, "acknowledge"), {}, format="json")
    assert response.status_code == 400
    client.post(order_url(org_a, order, "loa"), {}, format="json")
    response = client.post(send, {"email": "not an address"}, format="json")
    assert response.status_code == 400 and "email" in response.json()
    response = client.post(send, body, format="json")
    assert response.status_code == 201, response.content
    sign_with_token(token_from_outbox())
    response = client.post(send, body, format="json")
    assert response.status_code == 400  # a signed version is never sent (or signed) again
    assert "LOA version 1 is signed" in json.dumps(response.json())
    response = client.post(order_url(org_a, order, "loa"), {"btn": "not a number"},
                           format="json")  # fmt: skip
    assert response.status_code == 400 and "btn" in response.json()


def test_send_for_signature_never_returns_the_link(world_a, org_a, pm_a, api_client_for):
    client = api_client_for(pm_a)
    order, first = world_a["port_order"], world_a["signing_request"]
    send = order_url(org_a, order, "loa/send")
    response = client.post(send, {"email": "pat@example.com"}, format="json")
    assert response.status_code == 201, response.content
    token = token_from_outbox()
    (message,) = mail.outbox
    assert message.to == ["pat@example.com"] and f"/sign/{token}/" in message.body
    body = response.json()
    assert set(body) == {"id", "loa_version", "email", "state", "outcome", "created_at",
                         "expires_at", "revoked_at", "revoked_reason", "used_at"}  # fmt: skip
    assert (body["loa_version"], body["email"], body["state"]) == (1, "pat@example.com", "active")
    second = SigningRequest.objects.get(pk=body["id"])
    assert second.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert second.sent_by == pm_a
    for raw in (
        response.content,
        client.get(order_url(org_a, order, "signing-requests")).content,
        client.get(order_url(org_a, order, "loa")).content,
        client.get(order_url(org_a, order)).content,
    ):
        assert token.encode() not in raw
        assert second.token_hash.encode() not in raw

    # A re-send replaces the live link: the older ones are listed as revoked.
    response = client.post(send, {"email": "pat.doe@example.com"}, format="json")
    assert response.status_code == 201, response.content
    third = response.json()["id"]
    assert token.encode() not in response.content
    assert token_from_outbox() != token
    rows = client.get(order_url(org_a, order, "signing-requests")).json()
    assert [(r["id"], r["state"]) for r in rows] == [
        (third, "active"), (second.pk, "revoked"), (first.pk, "revoked"),
    ]  # fmt: skip
    assert rows[1]["revoked_reason"] == "replaced by a new link" and rows[1]["revoked_at"]
    with pytest.raises(esign.LinkDead):  # the old link no longer opens
        esign.open_request(esign.find_request(token), meta=META)


def test_revoke_a_link(world_a, world_b, org_a, pm_a, api_client_for):
    client = api_client_for(pm_a)
    order = world_a["port_order"]
    revoke = order_url(org_a, order, "signing-requests/revoke")
    response = client.post(order_url(org_a, order, "loa/send"), {"email": "pat@example.com"},
                           format="json")  # fmt: skip
    link, token = response.json()["id"], token_from_outbox()

    response = client.post(revoke, {"signing_request": link, "reason": "wrong signer"},
                           format="json")  # fmt: skip
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["id"], body["state"], body["revoked_reason"]) == (link, "revoked", "wrong signer")
    assert token.encode() not in response.content
    with pytest.raises(esign.LinkDead):
        esign.open_request(esign.find_request(token), meta=META)
    revoked_at = SigningRequest.objects.get(pk=link).revoked_at

    response = client.post(revoke, {"signing_request": link}, format="json")
    assert response.status_code == 400
    assert "already revoked" in json.dumps(response.json())
    assert SigningRequest.objects.get(pk=link).revoked_at == revoked_at
    # Links of another order, of another organization, or none at all.
    for other in (world_b["signing_request"].pk, 987654321):
        response = client.post(revoke, {"signing_request": other}, format="json")
        assert response.status_code == 400 and "signing_request" in response.json()
    assert world_b["signing_request"].link_state() == "active"
    response = client.post(revoke, {}, format="json")
    assert response.status_code == 400 and "signing_request" in response.json()


@pytest.mark.dates
def test_signed_pdf_is_served_only_while_its_seal_holds(world_a, org_a, pm_a, api_client_for):
    client = api_client_for(pm_a)
    order = world_a["port_order"]
    pdf = order_url(org_a, order, "loa/signed.pdf")
    assert client.get(pdf).status_code == 404  # nothing signed yet
    signature = sign_loa(world_a["loa"], by=pm_a)

    response = client.get(pdf)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Seal-Status"] == "valid"
    assert f'filename="{signature.document_id}.pdf"' in response["Content-Disposition"]
    assert response.content.startswith(b"%PDF")
    assert hashlib.sha256(response.content).hexdigest() == signature.sealed_sha256
    assert client.get(pdf, {"version": 1}).content == response.content
    assert client.get(pdf, HTTP_ACCEPT="application/pdf").status_code == 200
    assert client.get(pdf, {"version": 2}).status_code == 404
    for bad in ("x", "-1", "²", "9" * 30):
        assert client.get(pdf, {"version": bad}).status_code == 400, bad

    # One byte of the stored file changes: refused, unless asked for to investigate.
    path = signature.sealed_pdf.path
    with open(path, "rb") as handle:
        data = bytearray(handle.read())
    data[len(data) // 2] ^= 0x01
    with open(path, "wb") as handle:
        handle.write(bytes(data))
    response = client.get(pdf)
    assert response.status_code == 409
    assert response.json()["rule"] == "seal_invalid"
    assert response.json()["detail"].startswith("Invalid")
    response = client.get(pdf, {"accept_invalid": 1})
    assert response.status_code == 200
    assert response["X-Seal-Status"] == "invalid"
    assert response.content == bytes(data)


@pytest.mark.dates
def test_test_calls_and_partial_port(plano, org_a, pm_a, api_client_for):
    order = create_port_order(plano["account"], plano["numbers"], winning_carrier="Zoom", by=pm_a)
    client = api_client_for(pm_a)
    tests = order_url(org_a, order, "test-calls")
    body = {"number": plano["numbers"][0].pk, "called_from": LINES[0], "passed": True}
    response = client.post(tests, body, format="json")
    assert response.status_code == 400 and "port day" in json.dumps(response.json())

    order = at_port_day(order, pm_a)
    response = client.post(tests, body | {"number": "+12145550100"}, format="json")
    assert response.status_code == 400 and "number" in response.json()
    response = client.post(tests, body | {"called_from": "nope"}, format="json")
    assert response.status_code == 400 and "called_from" in response.json()
    assert client.post(tests, body, format="json").status_code == 201

    moved = plano["numbers"][0]
    response = client.post(order_url(org_a, order, "partial"),
                           {"moved": [str(moved.number)], "reason": "2 TNs not released"},
                           format="json")  # fmt: skip
    assert response.status_code == 201, response.content
    child = response.json()
    assert child["parent"] == order.pk and child["state"] == "loa_pending"
    assert [n["number"] for n in child["numbers"]] == ["+14695550101", "+14695550102"]
    assert [n.pk for n in order.numbers.all()] == [moved.pk]
    response = client.post(order_url(org_a, order, "partial"),
                           {"moved": [moved.pk], "reason": "again"}, format="json")  # fmt: skip
    assert response.status_code == 400  # at least one number must not have moved

    # A failed test call starts the port-failed path at once (and alerts the owner).
    response = client.post(tests, body | {"passed": False, "note": "rang the old PBX"},
                           format="json")  # fmt: skip
    assert response.status_code == 201 and response.json()["passed"] is False
    order.refresh_from_db()
    assert order.state == "port_failed"


@pytest.mark.dates
def test_plan_returns_the_earliest_cutover(world_a, org_a, org_b, pm_a, pm_b, api_client_for):
    client = api_client_for(pm_a)
    plan_url = url(org_a, "port-orders", action="plan")
    response = client.get(plan_url, {"migration": str(world_a["migration"].uuid)})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["migration"] == str(world_a["migration"].uuid)
    cutover = body["earliest_cutover"]
    assert cutover and len(cutover) == 10 and cutover[4] == "-"  # ISO date
    assert body["ready_for_cutover"] is False
    (order_plan,) = body["orders"]
    assert order_plan["port_order"] == world_a["port_order"].pk
    assert order_plan["carrier_type"] == "major_ilec" and order_plan["confirmed"] is False
    assert body["blocking_orders"] == [world_a["port_order"].pk]
    assert len(order_plan["interval"]) == 2
    assert body["explanation"]

    assert client.get(plan_url).status_code == 400
    assert client.get(plan_url, {"migration": "nope"}).status_code == 400
    # Another organization's migration is exactly a missing one.
    other = api_client_for(pm_b)
    theirs = other.get(url(org_b, "port-orders", action="plan"),
                       {"migration": str(world_a["migration"].uuid)})  # fmt: skip
    missing = other.get(url(org_b, "port-orders", action="plan"), {"migration": str(uuid.uuid4())})
    assert theirs.status_code == missing.status_code == 400
    assert theirs.content == missing.content


# -- scoping and roles ------------------------------------------------------------------

ORDER_ACTIONS = (None, "transition", "transitions", "findings", "loa", "loa/send",
                 "signing-requests", "signing-requests/revoke", "loa/signed.pdf",
                 "acknowledge", "foc", "rejections", "test-calls", "partial")  # fmt: skip


def test_other_org_gets_404_on_every_order_route(
    world_a, world_b, org_a, org_b, pm_a, pm_b, api_client_for
):
    client = api_client_for(pm_b)
    order = world_a["port_order"]
    sign_loa(world_a["loa"], by=pm_a)  # a signed PDF, and a live link, to probe for
    link, _token = link_request(prepare_loa(order, by=pm_a), by=pm_a)
    before = order.history.count()
    bodies = {"transition": "cancel", "cancel_reason": "probe", "reason": "probe",
              "business_name": "Probe", "number": world_a["number"].pk,
              "called_from": LINES[0], "passed": True, "moved": [world_a["number"].pk],
              "email": "probe@example.com", "signing_request": link.pk}  # fmt: skip
    for action in ORDER_ACTIONS:
        for org in (org_a, org_b):
            path = order_url(org, order, action)
            missing = url(org_b, "port-orders", 987654321, action)
            expected = client.get(missing)
            assert expected.status_code == 404
            for method in ("get", "post", "put", "patch", "delete", "options"):
                response = getattr(client, method)(path, bodies, format="json")
                assert response.status_code == 404, (method, path, response.content)
                if org is org_b:
                    assert response.content == expected.content, (method, path)
    account = world_a["carrier_account"]
    for org in (org_a, org_b):
        path = url(org, "carrier-accounts", account.pk)
        for method in ("get", "put", "patch", "delete"):
            assert getattr(client, method)(path, {"pin": "1"}, format="json").status_code == 404
    assert client.get(url(org_a, "port-orders", action="plan")).status_code == 404
    order.refresh_from_db()
    assert order.state == "loa_pending" and order.history.count() == before
    assert order.loas.count() == 2
    link.refresh_from_db()
    assert link.link_state() == "active" and not mail.outbox
    listed = client.get(url(org_b, "port-orders")).json()["results"]
    assert [o["id"] for o in listed] == [world_b["port_order"].pk]
    listed = client.get(url(org_b, "carrier-accounts")).json()["results"]
    assert [a["id"] for a in listed] == [world_b["carrier_account"].pk]


def test_viewer_reads_but_never_writes(world_a, plano, org_a, viewer_a, api_client_for):
    client = api_client_for(viewer_a)
    order = world_a["port_order"]
    reads = ("transitions", "findings", "loa", "signing-requests", "foc", "rejections",
             "test-calls")  # fmt: skip
    for action in reads:
        assert client.get(order_url(org_a, order, action)).status_code == 200, action
    assert client.get(order_url(org_a, order, "loa/signed.pdf")).status_code == 404  # unsigned
    assert client.get(url(org_a, "port-orders")).status_code == 200
    assert client.get(url(org_a, "carrier-accounts")).status_code == 200
    writes = [
        ("transition", {"transition": "cancel", "cancel_reason": "x"}),
        ("loa", {"business_name": "X"}),
        ("acknowledge", {}),
        ("foc", {"new_foc_at": iso(timezone.now()), "reason": "x"}),
        ("test-calls", {"number": world_a["number"].pk, "called_from": LINES[0],
                        "passed": True}),
        ("partial", {"moved": [world_a["number"].pk], "reason": "x"}),
        ("loa/send", {"email": "pat@example.com"}),
        ("signing-requests/revoke", {"signing_request": world_a["signing_request"].pk}),
    ]  # fmt: skip
    for action, body in writes:
        response = client.post(order_url(org_a, order, action), body, format="json")
        assert response.status_code == 403, action
    assert not mail.outbox
    world_a["signing_request"].refresh_from_db()
    assert world_a["signing_request"].link_state() == "active"
    assert client.patch(order_url(org_a, order), {"winning_carrier": "X"},
                        format="json").status_code == 403  # fmt: skip
    body = {"carrier_account": plano["account"].pk, "numbers": [plano["numbers"][0].pk],
            "winning_carrier": "Zoom"}  # fmt: skip
    assert client.post(url(org_a, "port-orders"), body, format="json").status_code == 403
    response = client.patch(
        url(org_a, "carrier-accounts", world_a["carrier_account"].pk), {"pin": "1"}, format="json"
    )
    assert response.status_code == 403
    assert PortOrder.objects.get(pk=order.pk).state == "loa_pending"
    assert order.loas.count() == 1


def test_technician_runs_port_day_but_not_the_paperwork(
    world_a, org_a, pm_a, tech_a, api_client_for
):
    client = api_client_for(tech_a)
    order = world_a["port_order"]
    transition = order_url(org_a, order, "transition")
    sign_via_services(order, pm_a)
    acknowledge_warnings(order, by=pm_a)

    response = client.post(transition, {"transition": "submit_loa"}, format="json")
    assert response.status_code == 403
    assert response.json()["rule"] == "role"
    assert client.post(order_url(org_a, order, "loa"), {}, format="json").status_code == 403
    assert client.post(order_url(org_a, order, "acknowledge"), {}, format="json").status_code == 403
    response = client.post(order_url(org_a, order, "loa/send"), {"email": "pat@example.com"},
                           format="json")  # fmt: skip
    assert response.status_code == 403 and not mail.outbox
    assert PortOrder.objects.get(pk=order.pk).state == "loa_pending"

    order = transition_order(order, "submit_loa", by=pm_a)
    order = transition_order(order, "record_foc", by=pm_a, foc_at=timezone.now())
    response = client.post(order_url(org_a, order, "foc"),
                           {"new_foc_at": iso(timezone.now()), "reason": "x"},
                           format="json")  # fmt: skip
    assert response.status_code == 403
    response = client.post(transition, {"transition": "start_port_day"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "port_day"
    response = client.post(
        order_url(org_a, order, "test-calls"),
        {"number": world_a["number"].pk, "called_from": LINES[0], "passed": True},
        format="json",
    )
    assert response.status_code == 201
    response = client.post(transition, {"transition": "complete"}, format="json")
    assert (response.status_code, response.json()["rule"]) == (403, "role")
    response = client.post(transition, {"transition": "fail_port", "reason": "calls on PBX"},
                           format="json")  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "port_failed"


# -- queries ----------------------------------------------------------------------------


def _orders(world, n, user):
    migration = world["migration"]
    start = PhoneNumber.objects.count()
    account = f.CarrierAccountFactory(migration=migration, btn="+14695550100")
    for i in range(start, start + n):
        numbers = [
            f.PhoneNumberFactory(migration=migration, number=f"+1469555{i:03d}{j}")
            for j in range(2)
        ]
        order = create_port_order(account, numbers, winning_carrier="Zoom", by=user)
        prepare_loa(order, by=user)


@pytest.mark.parametrize(
    "path",
    ["port-orders/", "carrier-accounts/", "port-orders/?ordering=-state", "carrier-accounts/?q=AT"],
)
def test_list_query_count_does_not_grow(path, world_a, org_a, pm_a, api_client_for):
    client = api_client_for(pm_a)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"/api/o/{org_a.slug}/{path}")
        assert response.status_code == 200
        return len(ctx.captured_queries), response.json()["count"]

    _orders(world_a, 2, pm_a)
    few, n_few = count()
    _orders(world_a, 17, pm_a)
    many, n_many = count()
    assert n_many > n_few
    assert many == few <= 6


def test_order_detail_routes_query_count_does_not_grow(world_a, org_a, pm_a, api_client_for):
    client = api_client_for(pm_a)
    order = world_a["port_order"]

    def count(action):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(order_url(org_a, order, action))
        assert response.status_code == 200
        return len(ctx.captured_queries)

    actions = ("loa", "signing-requests", "test-calls", "foc", None)
    few = [count(a) for a in actions]
    migration = world_a["migration"]
    numbers = [
        f.PhoneNumberFactory(migration=migration, number=f"+1214555{i:04d}")
        for i in range(200, 215)
    ]
    order.numbers.add(*numbers)
    for _ in range(3):
        loa = prepare_loa(order, by=pm_a)
        link_request(loa, by=pm_a)  # superseded by the next version
    sign_loa(loa, by=pm_a)  # a signed version with its signature, and a used link
    loa = prepare_loa(order, by=pm_a)
    for days in (14, -1, -2):  # live and expired links of the current version
        link_request(loa, by=pm_a, days=days)
    assert [count(a) for a in actions] == few


def test_schema_lists_the_porting_routes(client, pm_a):
    client.force_login(pm_a)
    schema = json.loads(client.get("/api/schema/", {"format": "json"}).content)
    paths = schema["paths"]
    base = "/api/o/{org_slug}/"
    assert f"{base}carrier-accounts/" in paths and f"{base}port-orders/plan/" in paths
    for action in ("transition", "transitions", "findings", "loa", "loa/send",
                   "signing-requests", "signing-requests/revoke", "loa/signed.pdf",
                   "acknowledge", "foc", "rejections", "test-calls", "partial"):  # fmt: skip
        assert f"{base}port-orders/{{id}}/{action}/" in paths, action
    assert f"{base}port-orders/{{id}}/loa/sign/" not in paths  # no upload path any more
    assert "delete" not in paths[f"{base}port-orders/{{id}}/"]
    account = schema["components"]["schemas"]["CarrierAccount"]["properties"]
    assert "pin" not in account and "has_pin" in account
    assert "pin" in schema["components"]["schemas"]["CarrierAccountRequest"]["properties"]
    loa = schema["components"]["schemas"]["Loa"]["properties"]
    assert "signature" in loa and "has_signed_file" not in loa
    send = paths[f"{base}port-orders/{{id}}/loa/send/"]["post"]
    assert "201" in send["responses"]
    listed = paths[f"{base}port-orders/{{id}}/signing-requests/"]["get"]
    assert listed["responses"]["200"]["content"]["application/json"]["schema"]["type"] == "array"
    assert "page" not in {p["name"] for p in listed["parameters"]}  # not paginated
    pdf = paths[f"{base}port-orders/{{id}}/loa/signed.pdf/"]["get"]["responses"]
    assert "application/pdf" in pdf["200"]["content"] and "409" in pdf
    assert "409" in paths[f"{base}port-orders/{{id}}/transition/"]["post"]["responses"]
