"""manage.py porting: the port-order tracker on top of the porting services.

Every write goes through porting.services, so these tests check what the command adds:
choosing the order and the carrier account, reading FOC dates, what it prints (the
lines docs/cli.md shows), JSON shapes, exit status, and that it only ever
touches the migration named by --migration-id."""

import json
from datetime import UTC, date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from esign import services as esign
from esign.models import SigningRequest
from porting.models import FocChange, PhoneNumber, PortOrder
from porting.services import (
    create_port_order,
    prepare_loa,
    record_test_call,
)

from . import factories as f
from .clock import clock_frozen_at
from .e911_helpers import e911_ready
from .signing import META, sign_loa, token_from_outbox

pytestmark = pytest.mark.django_db

# The FOCs below are in June 2026: the tests run on June 1, 2026, whatever the real date.
frozen_clock = clock_frozen_at(datetime(2026, 6, 1, 15, tzinfo=UTC))


LA = ZoneInfo("America/Los_Angeles")
SPECTRUM_NUMBERS = ["+14155550100", "+14155550101", "+14155550102"]


@pytest.fixture
def migration(org_a, pm_a):
    customer = f.CustomerFactory(organization=org_a, legal_name="Bay Dental Group LLC")
    return f.MigrationFactory(customer=customer, name="Bay Dental phones", owner=pm_a)


@pytest.fixture
def site(migration):
    return f.SiteFactory(
        migration=migration, name="SF office", city="San Francisco", state="CA",
        postal_code="94105", timezone="America/Los_Angeles",
    )  # fmt: skip


@pytest.fixture
def spectrum(migration):
    return f.CarrierAccountFactory(
        migration=migration, carrier_name="Spectrum Business", carrier_type="major_clec",
        account_number="8353-1100", btn=SPECTRUM_NUMBERS[0], csr_numbers=SPECTRUM_NUMBERS,
        csr_city="San Francisco", csr_state="CA", csr_postal_code="94105",
    )  # fmt: skip


@pytest.fixture
def numbers(migration, site, spectrum):
    return [
        f.PhoneNumberFactory(migration=migration, number=n, site=site) for n in SPECTRUM_NUMBERS
    ]


@pytest.fixture
def att(migration, site):
    account = f.CarrierAccountFactory(
        migration=migration, carrier_name="AT&T", btn="+14155550200",
        csr_numbers=["+14155550200"],
    )  # fmt: skip
    f.PhoneNumberFactory(migration=migration, number="+14155550200", site=site,
                         carrier_account=account)  # fmt: skip
    return account


@pytest.fixture
def toll_free(migration, site):
    return f.PhoneNumberFactory(migration=migration, number="+18885550123", site=site)


def run(migration, *args, user=None, json_out=False):
    """Run the command; return its stdout (text, or parsed JSON)."""
    out, err = StringIO(), StringIO()
    argv = ["--migration-id", str(migration.uuid), *args]
    if user is not None:
        argv += ["--user", user.username]
    if json_out:
        argv.append("--json")
    call_command("porting", *argv, stdout=out, stderr=err)
    return json.loads(out.getvalue()) if json_out else out.getvalue()


def fails(migration, *args, user=None, json_out=False):
    """Run the command expecting exit status 1; return (message, stdout)."""
    out = StringIO()
    argv = ["--migration-id", str(migration.uuid), *args]
    if user is not None:
        argv += ["--user", user.username]
    if json_out:
        argv.append("--json")
    with pytest.raises(CommandError) as exc:
        call_command("porting", *argv, stdout=out, stderr=StringIO())
    return str(exc.value), out.getvalue()


def create(migration, user, numbers="415-555-0100,(415) 555-0101,4155550102",
           carrier="Spectrum Business", *extra):  # fmt: skip
    return run(migration, "--action", "create", "--numbers", numbers, "--carrier", carrier,
               "--winning-carrier", "Zoom Phone", *extra, user=user)  # fmt: skip


def sign(order, user, **changes):
    loa = prepare_loa(order, by=user, **changes)
    sign_loa(loa, by=user)
    e911_ready(order, user)  # registrations made before the port (make before break)
    return loa


def update(migration, user, stage, *extra):
    return run(migration, "--action", "update", "--stage", stage, *extra, user=user)


def the_order(migration):
    return PortOrder.objects.get(migration=migration)


# -- create ----------------------------------------------------------------------------


def test_create_prints_the_order_id_and_loa_pending(migration, numbers, spectrum, pm_a):
    out = create(migration, pm_a, "415-555-0100,(415) 555-0101,+1 415 555 0102",
                 "spectrum business")  # fmt: skip
    order = the_order(migration)
    assert f"Created port order #{order.pk}: status loa_pending." in out
    assert order.state == "loa_pending" and order.carrier_account == spectrum
    assert order.winning_carrier == "Zoom Phone"
    assert set(order.numbers.all()) == set(numbers)
    assert order.history.latest().history_user == pm_a


def test_create_json_shape(migration, numbers, pm_a):
    payload = run(migration, "--action", "create", "--numbers", "415-555-0100",
                  "--carrier", "Spectrum Business", "--winning-carrier", "Zoom Phone",
                  user=pm_a, json_out=True)  # fmt: skip
    assert set(payload) == {"ok", "migration", "order"}
    assert payload["ok"] is True and payload["migration"]["id"] == str(migration.uuid)
    assert set(payload["order"]) == ORDER_KEYS
    assert payload["order"]["state"] == "loa_pending"
    assert payload["order"]["numbers"] == ["+14155550100"]


def test_create_reuses_the_migrations_winning_carrier(migration, numbers, pm_a):
    create(migration, pm_a, "415-555-0100")
    out = run(migration, "--action", "create", "--numbers", "415-555-0101",
              "--carrier", "Spectrum Business", user=pm_a)  # fmt: skip
    assert "winning carrier Zoom Phone (as on the other orders)" in out


def test_create_refuses_mixing_carriers(migration, numbers, att, pm_a):
    message, _ = fails(migration, "--action", "create", "--numbers", "415-555-0100,415-555-0200",
                       "--carrier", "Spectrum Business", "--winning-carrier", "Zoom",
                       user=pm_a)  # fmt: skip
    assert message.startswith("Port order not created:")
    assert "one port order (and one LOA) per carrier account" in message
    assert "AT&T" in message
    assert not PortOrder.objects.filter(migration=migration).exists()


def test_create_refuses_toll_free_with_geographic(migration, numbers, toll_free, pm_a):
    message, out = fails(migration, "--action", "create", "--numbers",
                         "415-555-0100,888-555-0123", "--carrier", "Spectrum Business",
                         "--winning-carrier", "Zoom", user=pm_a, json_out=True)  # fmt: skip
    assert "Toll-free numbers always get their own order" in message
    payload = json.loads(out)
    assert payload["ok"] is False and payload["problems"]
    assert not PortOrder.objects.filter(migration=migration).exists()


def test_create_refuses_a_number_already_on_an_open_order(migration, numbers, pm_a):
    create(migration, pm_a)
    message, _ = fails(migration, "--action", "create", "--numbers", "415-555-0100",
                       "--carrier", "Spectrum Business", user=pm_a)  # fmt: skip
    assert "already on open port order" in message


def test_create_unknown_carrier_says_how_to_add_it(migration, numbers, pm_a):
    message, _ = fails(migration, "--action", "create", "--numbers", "415-555-0100",
                       "--carrier", "Comcast Business", "--winning-carrier", "Zoom",
                       user=pm_a)  # fmt: skip
    assert "No Comcast Business in this migration's carrier accounts" in message
    assert "Spectrum Business 8353-1100" in message
    assert f"/migrations/{migration.uuid}/carriers/new/" in message


def test_create_with_two_accounts_at_one_carrier_needs_account(migration, numbers, pm_a):
    f.CarrierAccountFactory(migration=migration, carrier_name="Spectrum Business",
                            carrier_type="major_clec", account_number="8353-2200",
                            btn="+14155550300")  # fmt: skip
    message, _ = fails(migration, "--action", "create", "--numbers", "415-555-0100",
                       "--carrier", "Spectrum Business", "--winning-carrier", "Zoom",
                       user=pm_a)  # fmt: skip
    assert "has 2 accounts" in message and "--account" in message
    create(migration, pm_a, "415-555-0100", "Spectrum Business", "--account", "8353 1100")
    assert the_order(migration).carrier_account.account_number == "8353-1100"


def test_create_only_takes_numbers_from_this_migrations_inventory(
    migration, numbers, pm_a, world_a
):
    # world_a's number is in the same organization but another migration.
    message, _ = fails(migration, "--action", "create", "--numbers", "415-555-0100,214-555-0100",
                       "--carrier", "Spectrum Business", "--winning-carrier", "Zoom",
                       user=pm_a)  # fmt: skip
    assert "Not in this migration's inventory: (214) 555-0100" in message
    message, _ = fails(migration, "--action", "create", "--numbers", "555-0100",
                       "--carrier", "Spectrum Business", user=pm_a)  # fmt: skip
    assert "--numbers" in message


def test_create_needs_a_member_with_a_write_role(migration, numbers, viewer_a, pm_b):
    message, _ = fails(migration, "--action", "create", "--numbers", "415-555-0100",
                       "--carrier", "Spectrum Business")  # fmt: skip
    assert "give --user" in message
    message, _ = fails(migration, "--action", "create", "--numbers", "415-555-0100",
                       "--carrier", "Spectrum Business", "--winning-carrier", "Zoom Phone",
                       user=viewer_a)  # fmt: skip
    assert message.startswith("Refused by rule role:")
    message, _ = fails(migration, "--action", "status", user=pm_b)
    assert "pm_b is not a member of Northwind Integrators" in message
    assert not PortOrder.objects.filter(migration=migration).exists()


def test_unknown_or_malformed_migration_id(db):
    with pytest.raises(CommandError, match="No migration with ID"):
        call_command("porting", "--action", "status", "--migration-id",
                     "0d20790c-a2eb-40d3-9e8f-e6e86003f512", stdout=StringIO())  # fmt: skip
    with pytest.raises(CommandError, match="is not a UUID"):
        call_command("porting", "--action", "status", "--migration-id", "42", stdout=StringIO())


# -- update ----------------------------------------------------------------------------


def test_whole_lifecycle_through_the_command(migration, numbers, pm_a, tech_a, owner_a):
    create(migration, pm_a)
    order = the_order(migration)

    message, _ = fails(migration, "--action", "update", "--stage", "loa_submitted", user=pm_a)
    assert message.startswith("Refused by rule signed_current_loa:")
    sign(order, pm_a)
    out = update(migration, pm_a, "loa_submitted", "--acknowledge-warnings",
                 "--reason", "uploaded to Zoom porting portal")  # fmt: skip
    assert "Status changes to loa_submitted (was loa_pending)." in out
    assert set(PhoneNumber.objects.filter(migration=migration).values_list("status", flat=True)) \
        == {"porting"}  # fmt: skip

    foc = (timezone.now() - timedelta(hours=1)).astimezone(LA).replace(second=0, microsecond=0)
    out = update(migration, pm_a, "foc_received", "--foc-date", f"{foc:%Y-%m-%dT%H:%M}",
                 "--confirmation", "FOC123")  # fmt: skip
    assert "Status changes to foc_received" in out
    assert f"FOC: {foc:%Y-%m-%d %H:%M %Z} (America/Los_Angeles), confirmation FOC123." in out
    order.refresh_from_db()
    assert order.foc_at == foc and order.foc_timezone == "America/Los_Angeles"
    assert order.foc_confirmation_number == "FOC123"

    out = update(migration, tech_a, "port_day")  # technicians start port day
    assert "Status changes to port_day" in out

    message, _ = fails(migration, "--action", "update", "--stage", "complete", user=pm_a)
    assert message.startswith("Refused by rule post_port_tests_passed:")
    assert "--override" in message
    order.refresh_from_db()
    for number in numbers:
        for line in ("+14155559001", "+14155559002", "+14155559003"):
            record_test_call(order, number, called_from=line, passed=True, by=tech_a)
    message, _ = fails(migration, "--action", "update", "--stage", "complete", user=pm_a)
    assert message.startswith("Refused by rule port_back_window_closed:")
    message, _ = fails(migration, "--action", "update", "--stage", "complete",
                       "--override", "customer confirmed", user=pm_a)  # fmt: skip
    assert message.startswith("Refused by rule override_owner_only:")

    out = update(migration, owner_a, "complete", "--override", "tested with the customer")
    assert "Status changes to complete (was port_day)." in out
    assert "Completed with an owner override: tested with the customer" in out
    order.refresh_from_db()
    assert order.state == "complete" and order.override_reason == "tested with the customer"
    assert set(order.numbers.values_list("status", flat=True)) == {"ported"}
    assert order.history.latest().history_user == owner_a


def test_complete_without_override_after_48_hours(migration, numbers, pm_a):
    order = create_port_order(migration.carrier_accounts.get(), numbers,
                              winning_carrier="Zoom", by=pm_a)  # fmt: skip
    sign(order, pm_a)
    update(migration, pm_a, "loa_submitted", "--acknowledge-warnings")
    three_days_ago = f"{timezone.now() - timedelta(days=3):%Y-%m-%dT%H:%M}"
    update(migration, pm_a, "foc_received", "--foc-date", three_days_ago, "--foc-timezone", "UTC")
    update(migration, pm_a, "port_day")
    order.refresh_from_db()
    for number in numbers:
        for line in ("+14155559001", "+14155559002", "+14155559003"):
            record_test_call(order, number, called_from=line, passed=True, by=pm_a)
    # The numbers moved 49 hours ago: the port-back window is closed.
    PortOrder.objects.filter(pk=order.pk).update(ported_at=timezone.now() - timedelta(hours=49))
    out = update(migration, pm_a, "complete", "--reason", "old trunk decommissioned")
    assert "Status changes to complete" in out
    assert "override" not in out


def test_foc_date_alone_is_midnight_in_the_sites_time_zone(migration, numbers, pm_a):
    create(migration, pm_a)
    order = the_order(migration)
    sign(order, pm_a)
    update(migration, pm_a, "loa_submitted", "--acknowledge-warnings")
    out = update(migration, pm_a, "foc_received", "--foc-date", "2026-06-15")
    order.refresh_from_db()
    assert order.foc_at == datetime(2026, 6, 15, 0, 0, tzinfo=LA)
    assert order.foc_timezone == "America/Los_Angeles"
    assert "FOC: 2026-06-15 00:00 PDT (America/Los_Angeles), no confirmation number." in out
    assert "--foc-date gave no time" in out and "site SF office" in out


def test_foc_slip_is_a_change_with_reason_and_keeps_the_time(migration, numbers, pm_a):
    create(migration, pm_a)
    order = the_order(migration)
    sign(order, pm_a)
    update(migration, pm_a, "loa_submitted", "--acknowledge-warnings")
    update(migration, pm_a, "foc_received", "--foc-date", "2026-06-15T02:00",
           "--foc-timezone", "America/Chicago")  # fmt: skip
    message, _ = fails(migration, "--action", "update", "--foc-date", "2026-06-17", user=pm_a)
    assert "Say why the FOC moved" in message
    out = run(migration, "--action", "update", "--foc-date", "2026-06-17", "--confirmation",
              "FOC-77", "--reason", "carrier backlog", user=pm_a)  # fmt: skip
    assert "FOC changes from 2026-06-15 02:00 CDT (America/Chicago) to 2026-06-17 02:00 CDT" in out
    assert "Status stays foc_received" in out
    change = FocChange.objects.get(port_order=order)
    chicago = ZoneInfo("America/Chicago")
    assert change.previous_foc_at == datetime(2026, 6, 15, 2, 0, tzinfo=chicago)
    assert change.new_foc_at == datetime(2026, 6, 17, 2, 0, tzinfo=chicago)
    assert change.reason == "carrier backlog"
    order.refresh_from_db()
    assert order.state == "foc_received" and order.foc_confirmation_number == "FOC-77"
    # The documented form (--stage foc_received again) moves the FOC too.
    update(migration, pm_a, "foc_received", "--foc-date", "2026-06-18", "--reason", "again")
    assert FocChange.objects.filter(port_order=order).count() == 2


def test_bad_foc_input(migration, numbers, pm_a):
    create(migration, pm_a)
    sign(the_order(migration), pm_a)
    update(migration, pm_a, "loa_submitted", "--acknowledge-warnings")
    for value, expected in (("15/06/2026", "use YYYY-MM-DD"), ("2026-02-30", "not a date")):
        message, _ = fails(migration, "--action", "update", "--stage", "foc_received",
                           "--foc-date", value, user=pm_a)  # fmt: skip
        assert expected in message
    message, _ = fails(migration, "--action", "update", "--stage", "foc_received",
                       "--foc-date", "2026-06-15", "--foc-timezone", "Mars/Olympus",
                       user=pm_a)  # fmt: skip
    assert "not an IANA time zone" in message
    message, _ = fails(migration, "--action", "update", "--stage", "foc_received", user=pm_a)
    assert message.startswith("Refused by rule foc_time_recorded:")
    message, _ = fails(migration, "--action", "update", "--stage", "port_day",
                       "--code", "X", user=pm_a)  # fmt: skip
    assert "--code" in message and "does not apply" in message


def test_refusal_names_the_rule_in_text_and_json(migration, numbers, pm_a, viewer_a):
    create(migration, pm_a)
    order = the_order(migration)
    message, out = fails(migration, "--action", "update", "--stage", "loa_submitted",
                         user=pm_a, json_out=True)  # fmt: skip
    assert message.startswith("Refused by rule signed_current_loa: There is no LOA")
    payload = json.loads(out)
    assert payload["ok"] is False and payload["order"] == order.pk
    assert payload["refused"]["rule"] == "signed_current_loa"
    assert set(payload["refused"]) == {"rule", "message", "hint"}
    sign(order, pm_a)
    message, _ = fails(migration, "--action", "update", "--stage", "loa_submitted",
                       user=viewer_a)  # fmt: skip
    assert message.startswith("Refused by rule role:")
    assert PortOrder.objects.get(pk=order.pk).state == "loa_pending"


def test_blockers_refuse_submission_and_nothing_is_acknowledged(migration, numbers, pm_a):
    create(migration, pm_a)
    order = the_order(migration)
    loa = sign(order, pm_a, business_name="Bay Dental")
    message, _ = fails(migration, "--action", "update", "--stage", "loa_submitted",
                       "--acknowledge-warnings", user=pm_a)  # fmt: skip
    assert message.startswith("Refused by rule no_loa_blockers:")
    assert "--action validate" in message
    loa.refresh_from_db()
    assert loa.acknowledged_at is None


def test_rejection_reopen_and_cancel(migration, numbers, pm_a):
    create(migration, pm_a)
    order = the_order(migration)
    sign(order, pm_a)
    update(migration, pm_a, "loa_submitted", "--acknowledge-warnings")
    message, _ = fails(migration, "--action", "update", "--stage", "rejected", user=pm_a)
    assert message.startswith("Refused by rule rejection_details:") and "--code" in message
    out = update(migration, pm_a, "rejected", "--code", "PENDING_ORDER",
                 "--text", "Another order is pending")  # fmt: skip
    assert "Status changes to rejected" in out
    assert order.rejections.get().code == "PENDING_ORDER"
    message, _ = fails(migration, "--action", "update", "--stage", "loa_pending", user=pm_a)
    assert message.startswith("Refused by rule corrected_loa_prepared:")
    sign(order, pm_a, service_line2="Suite 200")
    assert "Status changes to loa_pending" in update(migration, pm_a, "loa_pending")
    message, _ = fails(migration, "--action", "update", "--stage", "cancelled", user=pm_a)
    assert message.startswith("Refused by rule cancel_reason:")
    out = update(migration, pm_a, "cancelled", "--reason", "customer stays with Spectrum")
    assert "Status changes to cancelled" in out
    assert set(order.numbers.values_list("status", flat=True)) == {"legacy"}


def test_port_failure_then_reschedule_with_a_new_foc(migration, numbers, pm_a):
    create(migration, pm_a)
    order = the_order(migration)
    sign(order, pm_a)
    update(migration, pm_a, "loa_submitted", "--acknowledge-warnings")
    update(migration, pm_a, "foc_received", "--foc-date",
           f"{timezone.now():%Y-%m-%dT%H:%M}", "--foc-timezone", "UTC")  # fmt: skip
    update(migration, pm_a, "port_day")
    out = update(migration, pm_a, "port_failed", "--reason", "calls still reach the PBX")
    assert "Status changes to port_failed" in out and "porting NOC" in out
    out = update(migration, pm_a, "foc_received", "--foc-date", "2026-07-01T01:00")
    assert "Status changes to foc_received (was port_failed)" in out
    order.refresh_from_db()
    assert order.foc_at == datetime(2026, 7, 1, 1, 0, tzinfo=ZoneInfo("UTC"))


def test_several_open_orders_need_order(migration, numbers, att, pm_a, world_a):
    create(migration, pm_a, "415-555-0100")
    create(migration, pm_a, "415-555-0200", "AT&T")
    spectrum_order, att_order = PortOrder.objects.filter(migration=migration).order_by("pk")
    message, out = fails(migration, "--action", "update", "--stage", "cancelled",
                         "--reason", "x", user=pm_a, json_out=True)  # fmt: skip
    assert "2 open port orders: say which with --order" in message
    assert json.loads(out)["open_orders"] == [spectrum_order.pk, att_order.pk]
    update(migration, pm_a, "cancelled", "--order", f"#{att_order.pk}", "--reason", "x")
    assert PortOrder.objects.get(pk=att_order.pk).state == "cancelled"
    # One open order left: it is implied.
    update(migration, pm_a, "cancelled", "--reason", "y")
    assert PortOrder.objects.get(pk=spectrum_order.pk).state == "cancelled"
    # Another migration's order is never reached, even in the same organization.
    other = world_a["port_order"]
    message, _ = fails(migration, "--action", "update", "--stage", "cancelled", "--order",
                       str(other.pk), "--reason", "x", user=pm_a)  # fmt: skip
    assert f"No port order #{other.pk} in this migration" in message
    assert PortOrder.objects.get(pk=other.pk).state == "loa_pending"


# -- send-loa --------------------------------------------------------------------------


def send_loa(migration, user, *extra, email="pat@baydental.example", json_out=False):
    return run(migration, "--action", "send-loa", "--email", email, *extra, user=user,
               json_out=json_out)  # fmt: skip


def test_send_loa_emails_the_link_and_never_prints_it(migration, numbers, pm_a, settings):
    settings.PUBLIC_BASE_URL = "https://voip.example.com/"
    create(migration, pm_a)
    order = the_order(migration)
    loa = prepare_loa(order, by=pm_a)
    out = send_loa(migration, pm_a, "--order", str(order.pk))
    token = token_from_outbox()
    (message,) = mail.outbox
    assert message.to == ["pat@baydental.example"]
    assert f"https://voip.example.com/sign/{token}/" in message.body
    request = SigningRequest.objects.get(loa__port_order=order)
    assert (request.loa, request.sent_by, request.email) == (loa, pm_a, "pat@baydental.example")
    sent_line = (
        f"LOA version 1 sent to pat@baydental.example for signature (signing request #{request.pk})"
    )
    assert sent_line in out
    assert "--stage loa_submitted" in out
    assert token not in out and "/sign/" not in out and request.token_hash not in out
    # The event says where it came from; the signer's link works.
    (sent,) = request.events.all()
    assert sent.kind == "sent" and "send-loa" in sent.user_agent
    request, _shown = esign.open_request(esign.find_request(token), meta=META)
    assert request.pk == SigningRequest.objects.get(loa__port_order=order).pk

    # Again, as JSON (the one open order is implied): the first link is replaced.
    payload = send_loa(migration, pm_a, json_out=True)
    second = token_from_outbox()
    assert payload["ok"] is True and set(payload) == {
        "ok", "migration", "order", "signing_request", "replaced_links",
    }  # fmt: skip
    assert payload["order"]["id"] == order.pk
    link = payload["signing_request"]
    assert set(link) == {"id", "loa_version", "email", "state", "created_at", "expires_at"}
    assert (link["loa_version"], link["state"]) == (1, "active")
    assert payload["replaced_links"] == [request.pk]
    assert token not in json.dumps(payload) and second not in json.dumps(payload)
    request.refresh_from_db()
    assert request.link_state() == "revoked"


def test_send_loa_refused_for_a_viewer(migration, numbers, pm_a, viewer_a):
    create(migration, pm_a)
    order = the_order(migration)
    prepare_loa(order, by=pm_a)
    message, _ = fails(migration, "--action", "send-loa", "--email", "pat@baydental.example",
                       user=viewer_a)  # fmt: skip
    assert message.startswith("Refused by rule role:") and "Viewer" in message
    _, out = fails(migration, "--action", "send-loa", "--email", "pat@baydental.example",
                   user=viewer_a, json_out=True)  # fmt: skip
    payload = json.loads(out)
    assert payload["ok"] is False and payload["refused"]["rule"] == "role"
    message, _ = fails(migration, "--action", "send-loa", "--email", "pat@baydental.example")
    assert "give --user" in message
    assert not mail.outbox and not SigningRequest.objects.filter(loa__port_order=order).exists()


def test_send_loa_refused_with_blockers_or_without_an_loa(migration, numbers, pm_a, settings):
    create(migration, pm_a)
    order = the_order(migration)
    message, _ = fails(migration, "--action", "send-loa", "--email", "pat@baydental.example",
                       user=pm_a)  # fmt: skip
    assert f"Port order #{order.pk} has no LOA yet" in message
    prepare_loa(order, by=pm_a, business_name="Bay Dental")
    message, out = fails(migration, "--action", "send-loa", "--email", "pat@baydental.example",
                         user=pm_a, json_out=True)  # fmt: skip
    assert message.startswith("LOA version 1 not sent: The LOA check found")
    assert "NAME_MISMATCH" in message and "--action validate" in message
    payload = json.loads(out)
    assert payload["ok"] is False and payload["order"] == order.pk
    assert "blocker" in payload["problems"][0]
    message, _ = fails(migration, "--action", "send-loa", user=pm_a)
    assert "needs --email" in message
    message, _ = fails(migration, "--action", "send-loa", "--email", "pat", user=pm_a)
    assert "is not an email address" in message
    settings.PUBLIC_BASE_URL = "voip.example.com"
    prepare_loa(order, by=pm_a, business_name="Bay Dental Group LLC")
    message, _ = fails(migration, "--action", "send-loa", "--email", "pat@baydental.example",
                       user=pm_a)  # fmt: skip
    assert message.startswith("PUBLIC_BASE_URL 'voip.example.com' is not the site's address")
    assert not mail.outbox and not SigningRequest.objects.filter(loa__port_order=order).exists()


# -- reads -----------------------------------------------------------------------------

ORDER_KEYS = {
    "id", "carrier", "account_number", "carrier_type", "winning_carrier", "state",
    "state_label", "state_changed_at", "numbers", "foc_at", "foc_local", "foc_timezone",
    "foc_confirmation_number", "requested_date", "loa_submitted_at", "ported_at",
    "completed_at", "parent", "url",
}  # fmt: skip
MIGRATION_KEYS = {"id", "name", "customer", "organization", "target_start"}
PLAN_ORDER_KEYS = {
    "order", "label", "carrier_type", "carrier_type_label", "interval_business_days",
    "start", "loa_submitted", "estimated_foc", "foc", "confirmed", "overdue", "explanation",
}  # fmt: skip


@pytest.fixture
def two_orders(migration, numbers, att, pm_a):
    """Spectrum with a confirmed FOC, AT&T without one."""
    create(migration, pm_a, "415-555-0100,415-555-0101,415-555-0102")
    create(migration, pm_a, "415-555-0200", "AT&T")
    spectrum_order, att_order = PortOrder.objects.filter(migration=migration).order_by("pk")
    sign(spectrum_order, pm_a)
    update(migration, pm_a, "loa_submitted", "--order", str(spectrum_order.pk),
           "--acknowledge-warnings")  # fmt: skip
    update(migration, pm_a, "foc_received", "--order", str(spectrum_order.pk),
           "--foc-date", "2026-06-15T02:00", "--confirmation", "FOC123")  # fmt: skip
    return spectrum_order, att_order


def test_status_lists_orders_and_says_which_block_cutover(migration, two_orders, world_b):
    spectrum_order, att_order = two_orders
    out = run(migration, "--action", "status")
    assert (
        f"#{spectrum_order.pk}  Spectrum Business 8353-1100  foc_received  0 days in stage" in out
    )
    assert "(415) 555-0100, (415) 555-0101, (415) 555-0102" in out
    assert "FOC: 2026-06-15 02:00 PDT (America/Los_Angeles), confirmation FOC123" in out
    assert "planner: FOC confirmed 2026-06-15" in out
    assert f"#{att_order.pk}  AT&T" in out and "FOC: not received" in out
    assert "Earliest cutover:" in out
    assert (
        "Not ready for cutover until all port orders show foc_received and all FOC dates are "
        f"confirmed. Blocking: #{att_order.pk} AT&T (loa_pending, no FOC yet)."
    ) in out
    assert "Lear" not in out


def test_status_json_shape(migration, two_orders, pm_a):
    spectrum_order, att_order = two_orders
    payload = run(migration, "--action", "status", user=pm_a, json_out=True)
    assert set(payload) == {
        "migration", "orders", "earliest_cutover", "ready_for_cutover", "blocking_orders",
        "readiness", "follow_ups", "warnings",
    }  # fmt: skip
    assert set(payload["migration"]) == MIGRATION_KEYS
    assert [o["id"] for o in payload["orders"]] == [spectrum_order.pk, att_order.pk]
    first = payload["orders"][0]
    assert set(first) == ORDER_KEYS | {"days_in_stage", "plan", "blocks_cutover", "transitions"}
    assert set(first["plan"]) == PLAN_ORDER_KEYS
    assert first["foc_at"] == "2026-06-15T09:00:00+00:00"
    assert first["foc_confirmation_number"] == "FOC123" and first["blocks_cutover"] is False
    assert {t["name"] for t in first["transitions"]} >= {"start_port_day", "cancel"}
    assert payload["ready_for_cutover"] is False
    assert payload["blocking_orders"] == [att_order.pk]
    # Without --user there is nobody to ask about transitions.
    assert run(migration, "--action", "status", json_out=True)["orders"][0]["transitions"] is None


def test_status_of_a_migration_without_orders(migration):
    out = run(migration, "--action", "status")
    assert "No port orders yet" in out and "Not ready for cutover" in out


def test_plan_warns_when_requested_go_live_is_too_early(migration, two_orders):
    migration.target_start = date.today() + timedelta(days=1)
    migration.save()
    payload = run(migration, "--action", "plan", json_out=True)
    assert set(payload) == {
        "migration", "today", "requested_go_live", "earliest_cutover", "latest_foc",
        "stagger_days", "ready_for_cutover", "blocking_orders", "driving_orders", "orders",
        "warnings", "explanation",
    }  # fmt: skip
    assert all(set(o) == PLAN_ORDER_KEYS for o in payload["orders"])
    assert payload["requested_go_live"] == migration.target_start.isoformat()
    assert any("before the earliest honest date" in w for w in payload["warnings"])
    assert payload["ready_for_cutover"] is False
    out = run(migration, "--action", "plan")
    assert f"Earliest cutover: {payload['earliest_cutover']}." in out
    assert "warning: Requested go-live" in out


def test_validate_lists_blockers_first_and_exits_1(migration, numbers, pm_a):
    create(migration, pm_a)
    order = the_order(migration)
    sign(order, pm_a, business_name="Bay Dental", service_line2="200")
    message, out = fails(migration, "--action", "validate")
    assert message.startswith("LOA check: ") and "blocker(s)" in message
    assert "BLOCKER" in out
    assert 'LOA "Bay Dental"  CSR "Bay Dental Group LLC"' in out
    assert "carrier would reject:" in out and "fix:" in out
    _, out = fails(migration, "--action", "validate", json_out=True)
    payload = json.loads(out)
    assert payload["ok"] is False and set(payload) == {"ok", "migration", "orders"}
    row = payload["orders"][0]
    assert row["order"] == order.pk and row["blockers"] >= 1
    severities = [x["severity"] for x in row["findings"]]
    assert severities == sorted(severities, key=lambda s: s != "blocker")
    assert set(row["findings"][0]) == {
        "code", "field", "loa_value", "csr_value", "severity", "reject_reason", "fix",
        "acknowledged",
    }  # fmt: skip
    assert {x["field"] for x in row["findings"]} >= {"business_name"}


def test_validate_passes_a_clean_loa_and_flags_a_missing_one(migration, numbers, att, pm_a):
    create(migration, pm_a, "415-555-0100,415-555-0101,415-555-0102")
    create(migration, pm_a, "415-555-0200", "AT&T")
    spectrum_order, att_order = PortOrder.objects.filter(migration=migration).order_by("pk")
    sign(spectrum_order, pm_a)
    out = run(migration, "--action", "validate", "--order", str(spectrum_order.pk))
    assert "LOA check: 0 blocker(s)." in out
    message, out = fails(migration, "--action", "validate")
    assert f"no LOA yet on #{att_order.pk}" in message


def test_checklist_times_follow_the_foc_in_its_time_zone(migration, two_orders, pm_a):
    spectrum_order, att_order = two_orders
    out = run(migration, "--action", "checklist")
    # Steps that need people fall in business hours (08:00-18:00 weekdays by default).
    assert "2026-06-08 08:00 PDT FOC -7 days" in out
    assert "2026-06-12 08:00 PDT FOC -1 day" in out and "FOC confirmation FOC123 on file" in out
    assert "2026-06-15 00:00 PDT FOC -2 hours" in out
    assert "2026-06-15 02:15 PDT FOC +15 min" in out
    assert "2026-06-17 08:00 PDT FOC +48 hours" in out
    assert "2026-07-15 08:00 PDT last port +30 days" in out
    assert f"#{att_order.pk} AT&T" in out and "no FOC yet" in out
    payload = run(migration, "--action", "checklist", json_out=True)
    assert set(payload) == {
        "migration", "now", "earliest_cutover", "ready_for_cutover", "readiness", "orders",
    }  # fmt: skip
    first, second = payload["orders"]
    assert first["order"] == spectrum_order.pk and second["items"] == []
    items = {i["key"]: i for i in first["items"]}
    # The timeline's codes are the dated steps' codes (cutover.steps.timeline).
    assert list(items) == [
        "platform_ready", "pre_cutover_call", "final_review", "monitoring_open", "port",
        "external_calls", "test_933", "health_check", "decommission_trunk",
        "cancel_old_account",
    ]  # fmt: skip
    assert set(items["port"]) == {
        "key", "offset", "what", "at", "at_local", "past", "status", "detail",
    }  # fmt: skip
    assert items["final_review"]["status"] == "done"
    assert items["port"]["status"] == "pending" and items["platform_ready"]["status"] == "manual"
    assert items["monitoring_open"]["at"] == "2026-06-15T00:00:00-07:00"


def test_checklist_tracks_test_calls_and_the_port_back_window(migration, numbers, pm_a):
    create(migration, pm_a)
    order = the_order(migration)
    sign(order, pm_a)
    update(migration, pm_a, "loa_submitted", "--acknowledge-warnings")
    update(migration, pm_a, "foc_received", "--foc-date",
           f"{timezone.now():%Y-%m-%dT%H:%M}", "--foc-timezone", "UTC")  # fmt: skip
    update(migration, pm_a, "port_day")
    order.refresh_from_db()
    for line in ("+14155559001", "+14155559002", "+14155559003"):
        record_test_call(order, numbers[0], called_from=line, passed=True, by=pm_a)
    items = {
        i["key"]: i
        for i in run(migration, "--action", "checklist", json_out=True)["orders"][0]["items"]
    }
    assert items["port"]["status"] == "done"
    assert items["final_review"]["status"] == "pending"  # no confirmation number
    assert items["external_calls"]["status"] == "pending"
    assert "2 number(s)" in items["external_calls"]["detail"]
    assert "(415) 555-0101" in items["external_calls"]["detail"]
    assert "(415) 555-0100" not in items["external_calls"]["detail"]
    assert items["decommission_trunk"]["status"] == "pending"
    assert "port-back window open" in items["decommission_trunk"]["detail"]
    closes = datetime.fromisoformat(items["decommission_trunk"]["at"])
    assert abs(closes - (order.ported_at + timedelta(hours=48))) < timedelta(minutes=1)


def test_reads_never_touch_another_migration(migration, two_orders, world_a, world_b):
    other = world_b["port_order"]
    for action in ("status", "checklist", "validate", "plan"):
        try:
            out = run(migration, "--action", action)
        except CommandError:
            continue
        assert "Lear" not in out and "Acme" not in out
    message, _ = fails(migration, "--action", "checklist", "--order", str(other.pk))
    assert f"No port order #{other.pk} in this migration" in message
