"""Port orders through the winning carrier's API (docs/carriers.md), driven end to end
against a local double of Telnyx's porting API (tests/doubles/telnyx.py): the product
reaches it over HTTP exactly as it reaches Telnyx, and its events come back signed."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from porting.carriers import services as carriers
from porting.carriers.base import Operation, Transient
from porting.carriers.registry import adapter_for
from porting.models import (
    CarrierConnection,
    CarrierEvent,
    CarrierExchange,
    PhoneNumber,
    PortOrder,
)
from porting.services import acknowledge_warnings, transition_order
from tenancy.rules import TransitionRefused

from .conftest import login
from .doubles.telnyx import API_KEY, TelnyxDouble
from .e911_helpers import e911_ready
from .signing import sign_loa

BTN = "+12145550100"


@pytest.fixture
def telnyx():
    double = TelnyxDouble().start()
    yield double
    double.stop()


@pytest.fixture
def connection(telnyx, org_a, pm_a):
    conn = CarrierConnection(
        organization=org_a,
        provider="telnyx",
        name="Telnyx sandbox",
        base_url=telnyx.base_url,
        webhook_public_key=telnyx.public_key_b64,
    )
    return carriers.save_connection(conn, by=pm_a, api_key=API_KEY)


@pytest.fixture
def ready(world_a, pm_a, connection):
    """World A's order on the Telnyx connection with its LOA signed and sealed."""
    order = world_a["port_order"]
    carriers.set_order_connection(order, connection, by=pm_a)
    sign_loa(world_a["loa"], by=pm_a)
    acknowledge_warnings(order, by=pm_a)
    order.refresh_from_db()
    return order


def hook_url(connection):
    return reverse("carrier-webhook", args=[connection.organization.slug, connection.uuid])


def fresh(order):
    return PortOrder.objects.get(pk=order.pk)


def submitted(ready, pm_a):
    return carriers.submit_to_carrier(ready, by=pm_a)


# -- 1. the seam -------------------------------------------------------------------------------


def test_the_manual_adapter_is_the_default_and_refuses_every_api_operation(world_a, pm_a):
    order = world_a["port_order"]
    assert order.connection is None
    manual = adapter_for(None)
    assert manual.key == "manual" and not manual.offers
    for op in Operation:
        assert not manual.offered(op)
    with pytest.raises(TransitionRefused) as refused:
        carriers.submit_to_carrier(order, by=pm_a)
    assert refused.value.rule == "no_connection"


def test_the_api_key_is_encrypted_write_only_and_kept_out_of_history(connection, client, pm_a):
    from django.db import connection as db

    with db.cursor() as cursor:
        cursor.execute(
            "SELECT api_key FROM porting_carrierconnection WHERE id = %s", [connection.pk]
        )
        stored = cursor.fetchone()[0]
    assert API_KEY not in stored and stored  # ciphertext at rest
    assert not hasattr(connection.history.model, "api_key")
    assert API_KEY not in repr(connection)
    login(client, pm_a)
    page = client.get(connection.get_absolute_url())
    assert page.status_code == 200 and API_KEY not in page.content.decode()
    assert "A key is on file" in page.content.decode()
    # Saving without a key keeps the stored one.
    client.post(
        connection.get_absolute_url(),
        {
            "provider": "telnyx",
            "name": "Renamed",
            "webhook_public_key": connection.webhook_public_key,
            "base_url": connection.base_url,
            "is_active": "on",
            "api_key": "",
        },
    )
    connection.refresh_from_db()
    assert connection.name == "Renamed" and connection.api_key == API_KEY


def test_a_refused_key_is_told_without_the_key_anywhere(ready, pm_a, telnyx, api_client_for, org_a):
    from django.views.debug import ExceptionReporter

    from porting.carriers.http import Client

    wrong = "KEYwrong_secret_0000"
    connection = ready.connection
    carriers.save_connection(connection, by=pm_a, api_key=wrong)
    api = api_client_for(pm_a)
    response = api.post(f"/api/o/{org_a.slug}/port-orders/{ready.pk}/carrier/submit/")
    assert response.status_code == 502
    assert "check the key" in response.json()["detail"] and wrong not in response.content.decode()
    order = fresh(ready)
    assert order.state == "loa_pending" and "check the key" in order.provider_error
    texts = [order.provider_error]
    for x in CarrierExchange.objects.filter(connection=connection):
        texts += [x.request_body, x.response_body, x.error, x.path]
    assert texts[1:] and not any(wrong in t for t in texts)
    # An error report (Django's) shows each frame's locals: never the bearer key.
    dead = Client("http://127.0.0.1:9/v2", wrong, log=lambda **x: None)
    with pytest.raises(Transient) as failed:
        dead.request("GET", "/porting_orders")
    reporter = ExceptionReporter(None, failed.type, failed.value, failed.tb)
    frames = [f for f in reporter.get_traceback_frames() if "/tests/" not in f["filename"]]
    assert "headers" in dict(next(f for f in frames if f["function"] == "request")["vars"])
    shown = repr([f["vars"] for f in frames]) + str(failed.value)
    assert "Bearer" not in shown and wrong not in shown


def test_a_production_base_url_must_be_https_on_the_providers_host(settings, org_a, pm_a):
    from django.core.exceptions import ValidationError

    settings.CARRIER_ALLOW_BASE_URL_OVERRIDE = False
    for url in ("http://127.0.0.1:9/v2", "https://evil.example/v2", "http://api.telnyx.com/v2"):
        conn = CarrierConnection(organization=org_a, provider="telnyx", name="x", base_url=url)
        with pytest.raises(ValidationError):
            carriers.save_connection(conn, by=pm_a, api_key="k")
    ok = CarrierConnection(
        organization=org_a, provider="telnyx", name="x", base_url="https://api.telnyx.com/v2"
    )
    assert carriers.save_connection(ok, by=pm_a, api_key="k").pk


def test_connections_pages_create_with_a_write_only_key(client, pm_a, org_a, telnyx):
    login(client, pm_a)
    url = reverse("carrier-connection-list", args=[org_a.slug])
    response = client.post(
        url,
        {
            "provider": "telnyx",
            "name": "Telnyx prod",
            "api_key": "KEY123",
            "webhook_public_key": telnyx.public_key_b64,
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    conn = CarrierConnection.objects.get(organization=org_a, name="Telnyx prod")
    assert conn.api_key == "KEY123"
    listing = client.get(url).content.decode()
    assert "Telnyx prod" in listing and "KEY123" not in listing


# -- 2. CSR and portability --------------------------------------------------------------------


@pytest.mark.dates
def test_csr_request_fills_the_account_as_received_and_runs_the_loa_check(
    world_a, pm_a, connection, telnyx, client
):
    account = world_a["carrier_account"]
    telnyx.csr_records[BTN] = {
        "admin": {
            "name": "Acme Tax Services Inc",
            "authorized_person_name": "Pat Doe",
            "account_number": account.account_number,
            "billing_phone_number": BTN,
        },
        "address": {
            "street_address": "123 Main Street",
            "locality": "Dallas",
            "administrative_area": "TX",
            "postal_code": "75201",
            "full_address": "123 Main Street, Dallas TX 75201",
        },
        "associated_phone_numbers": [BTN, "+12145550101"],
        "carrier_name": "AT&T",
    }
    login(client, pm_a)
    response = client.post(
        reverse("carrier-account-csr", args=[account.organization.slug, account.pk]),
        {"connection": connection.pk},
        follow=True,
    )
    assert "CSR received" in response.content.decode()
    account.refresh_from_db()
    assert account.csr_account_name == "Acme Tax Services Inc"
    assert account.csr_numbers == [BTN, "+12145550101"]
    assert account.csr_source == "Telnyx · Telnyx sandbox" and account.csr_received_at
    assert account.csr_raw["carrier_name"] == "AT&T"
    assert account.csr_date == timezone.now().date()
    # The LOA check ran on it: the letter's name is not the carrier's.
    order = world_a["port_order"]
    order.forget_cached()
    assert "NAME_MISMATCH" in {f.code for f in order.loa_findings()}
    assert "NAME_MISMATCH" in response.content.decode() or "blocker" in response.content.decode()
    assert CarrierExchange.objects.filter(carrier_account=account, operation="csr").count() == 2


def test_portability_is_stored_on_each_number_and_shown(world_a, pm_a, connection, telnyx, client):
    migration = world_a["migration"]
    other = PhoneNumber.objects.create(
        migration=migration, number="+12145550177", organization=migration.organization
    )
    telnyx.not_portable["+12145550177"] = "no_coverage"
    telnyx.fast_portable.add(BTN)
    login(client, pm_a)
    response = client.post(
        reverse("number-portability", args=[migration.organization.slug, migration.uuid]),
        {"connection": connection.pk},
        follow=True,
    )
    text = response.content.decode()
    assert "Cannot port" in text and "no_coverage" in text
    number, other = world_a["number"], PhoneNumber.objects.get(pk=other.pk)
    number.refresh_from_db()
    assert number.portable and number.fast_portable
    assert other.portable is False and other.not_portable_reason == "no_coverage"
    page = client.get(other.get_absolute_url()).content.decode()
    assert "not portable" in page and "no_coverage" in page


# -- 3. submission -----------------------------------------------------------------------------


@pytest.mark.dates
def test_submit_sends_the_sealed_loa_and_the_bill_and_requests_an_allowed_foc(
    ready, pm_a, telnyx, world_a
):
    order = submitted(ready, pm_a)
    assert order.state == "loa_submitted"
    assert len(telnyx.calls("POST", "/v2/porting_orders")) == 1
    provider = telnyx.orders[order.provider_order_id]
    assert provider["status"]["value"] == "submitted"
    admin = provider["end_user"]["admin"]
    assert admin["billing_phone_number"] == BTN and admin["auth_person_name"] == "Pat Doe"
    loa = telnyx.documents[provider["documents"]["loa"]]["data"]
    assert loa.startswith(b"%PDF") and loa == world_a["loa"].signature.sealed_pdf.open("rb").read()
    assert telnyx.documents[provider["documents"]["invoice"]]["data"] == b"%PDF-1.4\n%%EOF\n"
    # The requested FOC is the first allowed window, and the planner uses it.
    first_window = telnyx.windows()[0][0]
    assert order.requested_foc_at == first_window
    assert provider["activation_settings"]["foc_datetime_requested"] == first_window.strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    from porting.selectors import migration_plan

    plan = migration_plan(order.migration)
    assert plan.orders[0].estimated_foc == first_window.date()
    assert "requested from the carrier" in plan.orders[0].explanation
    # Every exchange is logged with its request id and timing, secrets redacted.
    log = list(CarrierExchange.objects.filter(port_order=order))
    assert {x.operation for x in log} >= {
        "create",
        "document:loa",
        "document:invoice",
        "foc_windows",
        "update",
        "confirm",
        "portability",
    }
    assert all(x.request_id and x.status_code for x in log)
    for x in log:
        assert "base64 characters" in x.request_body or '"file"' not in x.request_body


def test_the_pin_never_reaches_the_exchange_log(ready, pm_a, telnyx, world_a):
    account = world_a["carrier_account"]
    account.pin = "987654"
    account.save()
    submitted(ready, pm_a)
    provider = next(iter(telnyx.orders.values()))
    assert provider["end_user"]["admin"]["pin_passcode"] == "987654"
    for x in CarrierExchange.objects.all():
        assert "987654" not in x.request_body + x.response_body
        assert API_KEY not in x.request_body + x.response_body + x.error


def test_a_500_then_200_on_submit_creates_exactly_one_provider_order(ready, pm_a, telnyx):
    # The first create reaches Telnyx but its answer is lost (a 500 after the fact).
    telnyx.fail_next("POST", "/v2/porting_orders", after=True)
    order = submitted(ready, pm_a)
    assert len(telnyx.orders) == 1
    assert len(telnyx.calls("POST", "/v2/porting_orders")) == 1
    assert order.provider_order_id == next(iter(telnyx.orders))
    assert order.state == "loa_submitted"


def test_a_refusal_leaves_nothing_half_created_and_says_why(ready, pm_a, telnyx, client):
    telnyx.fail_next("POST", "/v2/porting_orders/", status=503, times=3)  # the confirm fails
    login(client, pm_a)
    response = client.post(
        reverse("port-order-carrier-submit", args=[ready.organization.slug, ready.pk]), follow=True
    )
    text = response.content.decode()
    assert "Nothing changed" in text and "503" in text
    order = fresh(ready)
    assert order.state == "loa_pending" and order.provider_error
    assert order.numbers.first().status == "legacy"
    # Retrying later finds the draft again instead of creating another.
    order = submitted(order, pm_a)
    assert order.state == "loa_submitted" and len(telnyx.orders) == 1


def test_a_second_submission_at_the_same_moment_is_refused_not_doubled(ready, pm_a, telnyx):
    import psycopg
    from django.db import connection as db

    # Another process (a second click, the API) is submitting this order right now.
    settings_dict = db.settings_dict
    other = psycopg.connect(
        dbname=settings_dict["NAME"],
        user=settings_dict["USER"],
        password=settings_dict["PASSWORD"] or None,
        host=settings_dict["HOST"] or None,
        port=settings_dict["PORT"] or None,
        autocommit=True,
    )
    try:
        other.execute("SELECT pg_advisory_lock(%s, %s)", [carriers.SUBMISSION_LOCK_CLASS, ready.pk])
        with pytest.raises(TransitionRefused) as refused:
            submitted(ready, pm_a)
        assert refused.value.rule == "submission_in_progress"
        assert telnyx.orders == {} and fresh(ready).state == "loa_pending"
    finally:
        # Released before closing: a closed connection's server process lets its locks go
        # a moment later, after close() has already returned.
        other.execute(
            "SELECT pg_advisory_unlock(%s, %s)", [carriers.SUBMISSION_LOCK_CLASS, ready.pk]
        )
        other.close()
    assert submitted(ready, pm_a).state == "loa_submitted"  # once it is done, it goes


def test_field_errors_are_clear_and_not_retried(ready, pm_a, telnyx, world_a):
    from porting.carriers.base import FieldErrors

    telnyx.fail_next("POST", "/v2/documents", status=422)
    with pytest.raises(FieldErrors) as failed:
        submitted(ready, pm_a)
    assert "not well-formed" in failed.value.message and failed.value.errors
    order = fresh(ready)
    assert order.state == "loa_pending" and "not well-formed" in order.provider_error
    assert len(telnyx.calls("POST", "/v2/documents")) == 1  # not retried


def test_rate_limits_and_retryable_errors_are_retried(ready, pm_a, telnyx):
    telnyx.fail_next("POST", "/v2/documents", status=429)
    # Telnyx marks what can succeed later with meta.retryable, whatever the status.
    telnyx.fail_next("GET", "/v2/porting_orders/", status=409, retryable=True)
    order = submitted(ready, pm_a)
    assert order.state == "loa_submitted"
    assert len(telnyx.calls("POST", "/v2/documents")) == 3  # the LOA twice, then the bill
    assert len(telnyx.calls("GET", "/v2/porting_orders/")) == 2  # the FOC windows twice


def test_a_submission_whose_answer_was_lost_is_not_sent_again(ready, pm_a, telnyx):
    # The confirm reaches Telnyx and the order is submitted, but the answer is a 500: the
    # retry reads the order and records it instead of editing a submitted order.
    telnyx.fail_next("POST", "/v2/porting_orders/", after=True)
    order = submitted(ready, pm_a)
    assert order.state == "loa_submitted"
    [provider] = telnyx.orders.values()
    assert provider["status"]["value"] == "submitted"
    assert len(telnyx.calls("POST", f"/v2/porting_orders/{provider['id']}/actions/confirm")) == 1
    assert len(telnyx.calls("PATCH", f"/v2/porting_orders/{provider['id']}")) == 1


def test_a_split_submission_that_failed_part_way_resumes_every_provider_order(
    ready, pm_a, telnyx, world_a
):
    from porting.services import change_order_numbers

    migration, account = world_a["migration"], world_a["carrier_account"]
    second = PhoneNumber.objects.create(
        migration=migration, number="+12145550101", organization=migration.organization
    )
    account.csr_numbers = [BTN, "+12145550101"]
    account.save()
    change_order_numbers(ready, add=[second], by=pm_a)
    sign_loa(ready.current_loa(), by=pm_a)
    acknowledge_warnings(ready, by=pm_a)
    telnyx.split_at_create.add("+12145550101")
    telnyx.fail_next("POST", "/v2/porting_orders/", status=503, times=3)  # a confirm fails
    with pytest.raises(Transient):
        submitted(fresh(ready), pm_a)
    assert fresh(ready).state == "loa_pending" and len(telnyx.orders) == 2
    order = submitted(fresh(ready), pm_a)
    assert len(telnyx.orders) == 2  # found again by our reference, none created
    assert len(telnyx.calls("POST", "/v2/porting_orders")) == 1
    assert {o["status"]["value"] for o in telnyx.orders.values()} == {"submitted"}
    child = PortOrder.objects.get(parent=order)
    assert [str(n.number) for n in child.numbers.all()] == ["+12145550101"]
    assert [str(n.number) for n in fresh(order).numbers.all()] == [BTN]


def test_an_orders_numbers_are_read_page_by_page(connection, telnyx):
    numbers = [f"+1214555{n:04d}" for n in range(45)]
    provider = telnyx._new_order(numbers, "ref")
    bound = adapter_for(connection)
    assert bound.order_numbers(provider["id"]) == numbers
    assert len(telnyx.calls("GET", "/v2/porting_phone_numbers")) == 1  # page[size] 100
    provider = telnyx._new_order([f"+1972555{n:04d}" for n in range(130)], "ref2")
    assert len(bound.order_numbers(provider["id"])) == 130
    assert len(telnyx.calls("GET", "/v2/porting_phone_numbers")) == 3


def test_submission_is_refused_before_anything_is_sent_when_the_rules_refuse(
    world_a, pm_a, connection, telnyx
):
    order = world_a["port_order"]
    carriers.set_order_connection(order, connection, by=pm_a)
    with pytest.raises(TransitionRefused) as refused:
        carriers.submit_to_carrier(order, by=pm_a)
    assert refused.value.rule == "signed_current_loa"
    assert telnyx.requests == []
    # And by hand it is refused too: the connection submits.
    with pytest.raises(TransitionRefused) as by_hand:
        transition_order(order, "submit_loa", by=pm_a)
    assert by_hand.value.rule in ("submit_through_carrier", "signed_current_loa")


def test_a_provider_side_split_at_create_becomes_a_linked_child_order(ready, pm_a, telnyx, world_a):
    migration = world_a["migration"]
    second = PhoneNumber.objects.create(
        migration=migration, number="+12145550101", organization=migration.organization
    )
    account = world_a["carrier_account"]
    account.csr_numbers = [BTN, "+12145550101"]
    account.save()
    order = ready
    from porting.services import change_order_numbers

    change_order_numbers(order, add=[second], by=pm_a)
    sign_loa(order.current_loa(), by=pm_a)
    acknowledge_warnings(order, by=pm_a)
    telnyx.split_at_create.add("+12145550101")
    order = submitted(fresh(order), pm_a)
    assert len(telnyx.orders) == 2
    child = PortOrder.objects.get(parent=order)
    assert [str(n.number) for n in child.numbers.all()] == ["+12145550101"]
    assert [str(n.number) for n in order.numbers.all()] == [BTN]
    assert child.provider_order_id and child.provider_order_id != order.provider_order_id
    assert child.state == "loa_submitted" and child.carrier_account == account


def test_a_split_told_by_an_event_becomes_a_linked_child_order(
    ready, pm_a, telnyx, world_a, client
):
    from porting.services import change_order_numbers

    migration, account = world_a["migration"], world_a["carrier_account"]
    second = PhoneNumber.objects.create(
        migration=migration, number="+12145550101", organization=migration.organization
    )
    account.csr_numbers = [BTN, "+12145550101"]
    account.save()
    change_order_numbers(ready, add=[second], by=pm_a)
    sign_loa(ready.current_loa(), by=pm_a)
    acknowledge_warnings(ready, by=pm_a)
    order = submitted(fresh(ready), pm_a)
    telnyx.drop_outbox()
    new_id = telnyx.split(order.provider_order_id, ["+12145550101"])
    [response] = telnyx.deliver(client, hook_url(order.connection))
    assert response.json()["status"] == "applied"
    child = PortOrder.objects.get(parent=order)
    assert child.provider_order_id == new_id and child.state == "loa_submitted"
    assert [str(n.number) for n in child.numbers.all()] == ["+12145550101"]
    assert [str(n.number) for n in fresh(order).numbers.all()] == [BTN]


# -- 4. events in ------------------------------------------------------------------------------


def test_exception_becomes_a_rejection_with_the_mapped_code_and_a_new_loa_resubmits(
    ready, pm_a, telnyx, client
):
    order = submitted(ready, pm_a)
    telnyx.drop_outbox()
    telnyx.set_status(
        order.provider_order_id,
        "exception",
        details=[("ENTITY_NAME_MISMATCH", "Entity name does not match that on the CSR")],
    )
    [response] = telnyx.deliver(client, hook_url(order.connection))
    assert response.status_code == 200 and response.json()["status"] == "applied"
    order = fresh(order)
    assert order.state == "rejected"
    rejection = order.rejections.get()
    assert rejection.code == "NAME_MISMATCH" and rejection.provider_code == "ENTITY_NAME_MISMATCH"
    assert "does not match" in rejection.carrier_text
    # A corrected LOA version (prepared at once for a name mismatch), signed, then resubmit.
    loa = order.current_loa()
    assert loa.version == 2
    sign_loa(loa, by=pm_a)
    acknowledge_warnings(order, by=pm_a)
    order = transition_order(order, "reopen", by=pm_a)
    order = carriers.submit_to_carrier(order, by=pm_a)
    assert order.state == "loa_submitted"
    provider = telnyx.orders[order.provider_order_id]
    assert provider["status"]["value"] == "submitted"
    assert len(telnyx.calls("POST", "/v2/porting_orders")) == 1  # the same provider order
    assert order.provider_documents["loa_version"] == 2


@pytest.mark.dates
def test_foc_confirmed_generates_the_steps_and_a_moved_foc_moves_them(ready, pm_a, telnyx, client):
    from cutover.models import Step

    order = submitted(ready, pm_a)
    foc = datetime.now(UTC).replace(microsecond=0) + timedelta(days=14)
    telnyx.set_status(order.provider_order_id, "foc-date-confirmed", foc=foc)
    telnyx.deliver(client, hook_url(order.connection))
    order = fresh(order)
    assert order.state == "foc_received" and order.foc_at == foc
    port_step = Step.objects.get(port_order=order, code="port")
    assert port_step.due_at == foc
    later = foc + timedelta(days=2)
    telnyx.set_status(order.provider_order_id, "foc-date-confirmed", foc=later)
    [response] = telnyx.deliver(client, hook_url(order.connection))
    assert response.json()["status"] == "applied"
    order = fresh(order)
    assert order.foc_at == later and order.foc_changes.count() == 1
    port_step.refresh_from_db()
    assert port_step.due_at == later


def test_ported_leads_to_port_day_and_comments_become_notes(ready, pm_a, telnyx, client):
    order = submitted(ready, pm_a)
    e911_ready(order, pm_a)
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=30)
    telnyx.set_status(order.provider_order_id, "foc-date-confirmed", foc=soon)
    telnyx.comment(order.provider_order_id, "The losing carrier confirmed the FOC.")
    telnyx.set_status(order.provider_order_id, "ported")
    responses = telnyx.deliver(client, hook_url(order.connection))
    assert [r.json()["status"] for r in responses][-3:] == ["applied", "applied", "applied"]
    order = fresh(order)
    assert order.state == "port_day" and order.ported_at
    note = order.notes.get(source="provider")
    assert note.body == "The losing carrier confirmed the FOC."


def test_an_event_that_does_not_fit_is_flagged_never_forced(ready, pm_a, telnyx, client):
    order = submitted(ready, pm_a)
    telnyx.set_status(
        order.provider_order_id, "foc-date-confirmed", foc=datetime.now(UTC) + timedelta(days=20)
    )
    telnyx.set_status(order.provider_order_id, "ported")  # but E911 is not ready here
    telnyx.deliver(client, hook_url(order.connection))
    order = fresh(order)
    assert order.state == "foc_received"
    flagged = CarrierEvent.objects.get(connection=order.connection, status="flagged")
    assert "Not applied" in flagged.reason
    login(client, pm_a)
    page = client.get(order.get_absolute_url()).content.decode()
    assert "did not fit this order" in page


def test_a_flagged_change_applies_once_a_later_poll_finds_it_fits(ready, pm_a, telnyx, client):
    import time_machine

    order = submitted(ready, pm_a)
    e911_ready(order, pm_a)
    foc = datetime.now(UTC).replace(microsecond=0) + timedelta(hours=3)
    telnyx.set_status(order.provider_order_id, "foc-date-confirmed", foc=foc)
    telnyx.set_status(order.provider_order_id, "ported")  # early, by the carrier's clock
    telnyx.deliver(client, hook_url(order.connection))
    order = fresh(order)
    assert order.state == "foc_received" and order.provider_status == "ported"
    assert (
        "foc_reached"
        in CarrierEvent.objects.get(connection=order.connection, status="flagged").reason
    )
    PortOrder.objects.filter(pk=order.pk).update(provider_next_sync_at=timezone.now())
    carriers.poll_due()  # still too early: flagged again, not forced
    assert fresh(order).state == "foc_received"
    with time_machine.travel(foc - timedelta(hours=1), tick=True):
        carriers.sync_order(order, by=pm_a)
    order = fresh(order)
    assert order.state == "port_day"
    polled = CarrierEvent.objects.get(
        connection=order.connection, source="poll", event_type="porting_order.status_changed"
    )
    assert polled.status == "applied"


@pytest.mark.dates
def test_a_forged_or_replayed_webhook_is_refused_and_a_duplicate_applied_once(
    ready, pm_a, telnyx, client
):
    order = submitted(ready, pm_a)
    telnyx.drop_outbox()
    telnyx.set_status(order.provider_order_id, "exception", details=[("OTHER", "Call us")])
    envelope = telnyx.outbox[0]
    body = json.dumps(envelope).encode()
    url = hook_url(order.connection)

    def post(headers, data=body):
        return client.post(
            url,
            data=data,
            content_type="application/json",
            HTTP_TELNYX_SIGNATURE_ED25519=headers["telnyx-signature-ed25519"],
            HTTP_TELNYX_TIMESTAMP=headers["telnyx-timestamp"],
        )

    good = telnyx.signed(body)
    forged = dict(
        good,
        **{"telnyx-signature-ed25519": TelnyxDouble().signed(body)["telnyx-signature-ed25519"]},
    )
    assert post(forged).status_code == 403
    tampered = body.replace(b"Call us", b"Call me")
    assert post(good, tampered).status_code == 403
    stale = telnyx.signed(body, timestamp=datetime.now(UTC).timestamp() - 3600)
    assert post(stale).status_code == 403
    assert client.post(url, data=body, content_type="application/json").status_code == 403
    # Timestamps that are no time at all: refused, never a 500.
    for nonsense in ("9" * 40, "999999999999", "\u00b2", "0" * 5000, "-1", "1.5"):
        assert post(dict(good, **{"telnyx-timestamp": nonsense})).status_code == 403, nonsense
    assert not CarrierEvent.objects.filter(connection=order.connection).exists()
    first, again = post(good), post(telnyx.signed(body))
    assert first.json()["status"] == "applied" and again.json()["duplicate"] is True
    assert CarrierEvent.objects.filter(connection=order.connection).count() == 1
    assert fresh(order).rejections.count() == 1


def test_another_organizations_webhook_url_or_connection_answers_404(
    ready, pm_a, telnyx, client, org_b, pm_b, world_b
):
    order = submitted(ready, pm_a)
    telnyx.drop_outbox()
    telnyx.set_status(order.provider_order_id, "exception", details=[("OTHER", "x")])
    body = json.dumps(telnyx.outbox[0]).encode()
    headers = telnyx.signed(body)
    wrong = reverse("carrier-webhook", args=[org_b.slug, order.connection.uuid])
    response = client.post(
        wrong,
        data=body,
        content_type="application/json",
        HTTP_TELNYX_SIGNATURE_ED25519=headers["telnyx-signature-ed25519"],
        HTTP_TELNYX_TIMESTAMP=headers["telnyx-timestamp"],
    )
    assert response.status_code == 404
    assert fresh(order).state == "loa_submitted"
    login(client, pm_b)
    for path in (
        reverse("carrier-connection-detail", args=[org_b.slug, order.connection.pk]),
        reverse("port-order-carrier-submit", args=[org_b.slug, order.pk]),
        reverse("port-order-carrier-sync", args=[org_b.slug, order.pk]),
        f"/api/o/{org_b.slug}/carrier-connections/{order.connection.pk}/",
        f"/api/o/{org_b.slug}/port-orders/{order.pk}/carrier/sync/",
    ):
        assert client.get(path).status_code == 404, path
        assert client.post(path).status_code == 404, path


def test_cancel_at_the_carrier_then_its_event_cancels_and_notes_go_both_ways(
    ready, pm_a, telnyx, client
):
    order = submitted(ready, pm_a)
    telnyx.drop_outbox()
    note = carriers.add_note(order, "Customer asks to hold the port.", by=pm_a)
    [comment] = telnyx.comments[order.provider_order_id]
    assert comment["body"] == "Customer asks to hold the port." and note.provider_note_id
    assert comment["id"] == note.provider_note_id
    with pytest.raises(TransitionRefused):
        carriers.cancel_at_carrier(order, by=pm_a, reason="")
    assert carriers.cancel_at_carrier(order, by=pm_a, reason="Customer stays") == "cancel-pending"
    [pending] = telnyx.deliver(client, hook_url(order.connection))
    assert pending.json()["status"] == "applied" and fresh(order).state == "loa_submitted"
    telnyx.set_status(order.provider_order_id, "cancelled")
    [cancelled] = telnyx.deliver(client, hook_url(order.connection))
    assert cancelled.json()["status"] == "applied"
    assert fresh(order).state == "cancelled"


def test_a_disabled_or_unknown_connections_webhook_answers_404(ready, pm_a, telnyx, client):
    import uuid

    order = submitted(ready, pm_a)
    connection = order.connection
    body = json.dumps(telnyx.outbox[-1]).encode()
    headers = telnyx.signed(body)
    extra = {
        "HTTP_TELNYX_SIGNATURE_ED25519": headers["telnyx-signature-ed25519"],
        "HTTP_TELNYX_TIMESTAMP": headers["telnyx-timestamp"],
    }
    unknown = reverse("carrier-webhook", args=[connection.organization.slug, uuid.uuid4()])
    assert (
        client.post(unknown, data=body, content_type="application/json", **extra).status_code == 404
    )
    CarrierConnection.objects.filter(pk=connection.pk).update(is_active=False)
    response = client.post(
        hook_url(connection), data=body, content_type="application/json", **extra
    )
    assert response.status_code == 404
    assert not CarrierEvent.objects.filter(connection=connection).exists()


# -- 4b. polling -------------------------------------------------------------------------------


@pytest.mark.dates
def test_a_missed_webhook_is_recovered_by_polling(ready, pm_a, telnyx):
    from porting.tasks import poll_carriers

    order = submitted(ready, pm_a)
    foc = datetime.now(UTC).replace(microsecond=0) + timedelta(days=14)
    telnyx.set_status(order.provider_order_id, "foc-date-confirmed", foc=foc)
    telnyx.drop_outbox()  # the webhook never arrives
    PortOrder.objects.filter(pk=order.pk).update(provider_next_sync_at=timezone.now())
    counts = poll_carriers()
    assert counts["synced"] == 1
    order = fresh(order)
    assert order.state == "foc_received" and order.foc_at == foc
    event = CarrierEvent.objects.get(port_order=order, source="poll")
    assert event.status == "applied"
    # Backoff: the next look is later, and later again while nothing changes.
    first_next = order.provider_next_sync_at
    assert first_next > timezone.now() + timedelta(minutes=10)
    PortOrder.objects.filter(pk=order.pk).update(provider_next_sync_at=timezone.now())
    poll_carriers()
    order = fresh(order)
    assert order.provider_quiet_polls == 1
    assert order.provider_next_sync_at - timezone.now() > timedelta(minutes=25)
    assert CarrierEvent.objects.filter(connection=order.connection).count() == 1  # nothing new


def test_polling_recovers_a_second_exception_with_the_same_code(ready, pm_a, telnyx):
    def poll():
        PortOrder.objects.filter(pk=order.pk).update(provider_next_sync_at=timezone.now())
        carriers.poll_due()
        return fresh(order)

    order = submitted(ready, pm_a)
    details = [("ENTITY_NAME_MISMATCH", "Entity name does not match that on the CSR")]
    telnyx.set_status(order.provider_order_id, "exception", details=details)
    telnyx.drop_outbox()
    order = poll()
    assert order.state == "rejected"
    sign_loa(order.current_loa(), by=pm_a)
    acknowledge_warnings(order, by=pm_a)
    order = carriers.submit_to_carrier(transition_order(order, "reopen", by=pm_a), by=pm_a)
    assert poll().state == "loa_submitted"  # nothing new: no event, no flag
    telnyx.set_status(order.provider_order_id, "exception", details=details)  # again
    telnyx.drop_outbox()
    order = poll()
    assert order.state == "rejected" and order.rejections.count() == 2
    assert not CarrierEvent.objects.filter(connection=order.connection, status="flagged").exists()


def test_polling_backs_off_while_the_provider_fails(ready, pm_a, telnyx):
    order = submitted(ready, pm_a)
    telnyx.fail_next("GET", "/v2/porting_orders/", status=500, times=10)
    PortOrder.objects.filter(pk=order.pk).update(provider_next_sync_at=timezone.now())
    assert carriers.poll_due()["failed"] == 1
    order = fresh(order)
    assert order.provider_sync_failures == 1 and "500" in order.provider_error
    assert order.provider_next_sync_at > timezone.now() + timedelta(minutes=25)


# -- 5. port day activation --------------------------------------------------------------------


def test_on_demand_activation_is_role_checked_recorded_and_comes_back_as_events(
    ready, pm_a, telnyx, client, viewer_a, tech_a, org_a
):
    telnyx.fast_portable.add(BTN)
    order = submitted(ready, pm_a)
    e911_ready(order, pm_a)
    soon = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=30)
    telnyx.set_status(order.provider_order_id, "foc-date-confirmed", foc=soon)
    telnyx.deliver(client, hook_url(order.connection))
    order = fresh(order)
    with pytest.raises(TransitionRefused):
        carriers.activate_on_carrier(order, by=viewer_a)
    # The port-day step offers it, and its form asks the carrier (the same service).
    steps = reverse("cutover-steps", args=[org_a.slug, order.migration.uuid])
    activate = reverse("port-order-carrier-activate", args=[org_a.slug, order.pk])
    client.force_login(pm_a)
    page = client.get(steps).content.decode()
    assert page.count('data-testid="activate-port"') == 1 and f'action="{activate}"' in page
    client.force_login(tech_a)
    assert client.post(activate).status_code == 302
    note = order.notes.get()  # recorded, with who asked
    assert "On-demand activation requested" in note.body and note.created_by == tech_a
    asked = order.exchanges.get(operation="activate")
    assert asked.method == "POST" and asked.path.endswith("/actions/activate")
    assert asked.status_code == 202
    assert fresh(order).state == "foc_received"  # nothing forced: the event says ported
    telnyx.deliver(client, hook_url(order.connection))
    assert fresh(order).state == "port_day"


# -- 8. CLI and API ----------------------------------------------------------------------------


def test_cli_submit_sync_and_csr_in_json(ready, pm_a, telnyx, world_a, capsys):
    migration = world_a["migration"]
    call_command(
        "porting",
        "--action",
        "submit",
        "--migration-id",
        str(migration.uuid),
        "--order",
        str(ready.pk),
        "--user",
        "pm_a",
        "--json",
    )
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] and out["order"]["state"] == "loa_submitted"
    assert out["order"]["provider_order_id"]
    telnyx.set_status(
        out["order"]["provider_order_id"],
        "foc-date-confirmed",
        foc=datetime.now(UTC) + timedelta(days=14),
    )
    telnyx.drop_outbox()
    call_command(
        "porting",
        "--action",
        "sync",
        "--migration-id",
        str(migration.uuid),
        "--order",
        str(ready.pk),
        "--user",
        "pm_a",
        "--json",
    )
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] and out["order"]["state"] == "foc_received"
    telnyx.csr_records[BTN] = {
        "admin": {"name": "Acme Tax Services LLC"},
        "associated_phone_numbers": [BTN],
    }
    call_command(
        "porting",
        "--action",
        "csr",
        "--migration-id",
        str(migration.uuid),
        "--carrier",
        "AT&T",
        "--user",
        "pm_a",
        "--json",
    )
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] and out["csr"]["status"] == "completed"


def test_api_connections_submit_sync_csr_and_logs(
    ready, pm_a, telnyx, world_a, api_client_for, org_a
):
    api = api_client_for(pm_a)
    base = f"/api/o/{org_a.slug}"
    listed = api.get(f"{base}/carrier-connections/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert rows[0]["has_api_key"] is True and "api_key" not in rows[0]
    created = api.post(
        f"{base}/carrier-connections/",
        {
            "provider": "telnyx",
            "name": "Second",
            "api_key": "SECRET-KEY",
            "base_url": telnyx.base_url,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert "SECRET-KEY" not in created.content.decode()
    response = api.post(f"{base}/port-orders/{ready.pk}/carrier/submit/", format="json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "loa_submitted"
    telnyx.set_status(
        fresh(ready).provider_order_id,
        "foc-date-confirmed",
        foc=datetime.now(UTC) + timedelta(days=14),
    )
    synced = api.post(f"{base}/port-orders/{ready.pk}/carrier/sync/", format="json")
    assert synced.json()["state"] == "foc_received"
    log = api.get(f"{base}/port-orders/{ready.pk}/carrier/exchanges/").json()
    assert log and {"request_id", "status_code", "ms", "request_body"} <= set(log[0])
    events = api.get(f"{base}/port-orders/{ready.pk}/carrier/events/").json()
    assert events[0]["status"] == "applied"
    telnyx.csr_records[BTN] = {"admin": {"name": "Acme Tax Services LLC"}}
    account = world_a["carrier_account"]
    csr = api.post(
        f"{base}/carrier-accounts/{account.pk}/csr/",
        {"connection": fresh(ready).connection_id},
        format="json",
    )
    assert csr.status_code == 200 and csr.json()["status"] == "completed"
    # Portability before an order exists, on the numbers.
    number = world_a["number"]
    checked = api.post(
        f"{base}/numbers/portability/",
        {"connection": fresh(ready).connection_id, "numbers": [number.pk]},
        format="json",
    )
    assert checked.status_code == 200 and checked.json()[0]["portable"] is True
    # A provider failure is a clear 502 with the provider's words, nothing changed.
    telnyx.fail_next("POST", "/v2/portability_checks", status=500, times=5)
    failed = api.post(f"{base}/port-orders/{ready.pk}/carrier/portability/", format="json")
    assert failed.status_code == 502 and "500" in failed.json()["detail"]


def test_connections_are_the_owners_and_pms_in_the_api_as_on_the_pages(
    connection, api_client_for, pm_a, viewer_a, tech_a, org_a
):
    url = reverse("api:carrier-connection-list", args=[org_a.slug])
    detail = reverse("api:carrier-connection-detail", args=[org_a.slug, connection.pk])
    assert api_client_for(pm_a).get(detail).status_code == 200
    for member in (viewer_a, tech_a):
        client = api_client_for(member)
        assert client.get(url).status_code == 403
        assert client.get(detail).status_code == 403
