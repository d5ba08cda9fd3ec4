"""Port orders: creation rules, the lifecycle's guards (each refusal names its rule),
roles, conflicts, FOC changes, rejections, partial ports, cancellation, history."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from esign.services import send_refusal
from porting.models import PhoneNumber, PortOrder
from porting.planner import FOC_INTERVALS, add_business_days
from porting.selectors import migration_plan
from porting.services import (
    acknowledge_warnings,
    change_foc,
    change_order_numbers,
    create_port_order,
    prepare_loa,
    record_test_call,
    split_partial_port,
    transition_order,
)
from porting.tasks import escalate_port_failure
from tenancy.rules import TransitionConflict, TransitionRefused

from . import factories as f
from .e911_helpers import e911_ready
from .signing import sign_loa

pytestmark = pytest.mark.django_db


@pytest.fixture
def migration(world_a, pm_a):
    return f.MigrationFactory(customer=world_a["customer"], name="Plano office", owner=pm_a)


@pytest.fixture
def account(migration):
    return f.CarrierAccountFactory(
        migration=migration, btn="+14695550100",
        csr_numbers=["+14695550100", "+14695550101", "+14695550102"],
    )  # fmt: skip


@pytest.fixture
def numbers(migration, account):
    return [f.PhoneNumberFactory(migration=migration, number=f"+1469555010{i}") for i in range(3)]


@pytest.fixture
def order(account, numbers, pm_a):
    return create_port_order(account, numbers, winning_carrier="Zoom Phone", by=pm_a)


def sign(order, pm, **changes):
    loa = prepare_loa(order, by=pm, **changes)
    sign_loa(loa, by=pm)
    e911_ready(order, pm)  # registrations made before the port (make before break)
    return loa


def submitted(order, pm):
    sign(order, pm)
    acknowledge_warnings(order, by=pm)
    return transition_order(order, "submit_loa", by=pm, reason="sent to Zoom porting")


def at_port_day(order, pm, now):
    order = submitted(order, pm)
    order = transition_order(
        order, "record_foc", by=pm, foc_at=now, foc_timezone="America/Chicago",
        confirmation_number="FOC-1",
    )  # fmt: skip
    return transition_order(order, "start_port_day", by=pm, now=now)


def test_order_takes_numbers_of_one_account(order, numbers, account):
    assert order.state == "loa_pending"
    assert set(order.numbers.all()) == set(numbers)
    assert all(n.carrier_account == account for n in PhoneNumber.objects.filter(port_orders=order))


def test_mixing_accounts_or_carriers_is_refused(migration, account, numbers, pm_a):
    other = f.CarrierAccountFactory(migration=migration, carrier_name="Spectrum")
    stray = f.PhoneNumberFactory(migration=migration, number="+14695550199",
                                 carrier_account=other)  # fmt: skip
    with pytest.raises(ValidationError) as exc:
        create_port_order(account, [*numbers, stray], winning_carrier="Zoom", by=pm_a)
    assert "one port order (and one LOA) per carrier account" in str(exc.value)
    assert "Spectrum" in str(exc.value)


def test_toll_free_always_gets_its_own_order(migration, account, numbers, pm_a):
    tf = f.PhoneNumberFactory(migration=migration, number="+18885550123")
    with pytest.raises(ValidationError, match="Toll-free numbers always get their own order"):
        create_port_order(account, [numbers[0], tf], winning_carrier="Zoom", by=pm_a)
    resporg = f.CarrierAccountFactory(
        migration=migration, carrier_name="Somos RespOrg", carrier_type="toll_free",
        btn="+18885550123", csr_numbers=["+18885550123"],
    )  # fmt: skip
    order = create_port_order(resporg, [tf], winning_carrier="Zoom", by=pm_a)
    assert list(order.numbers.all()) == [tf]
    with pytest.raises(ValidationError, match="RespOrg change"):
        create_port_order(account, [tf], winning_carrier="Zoom", by=pm_a)


def test_a_number_on_an_open_order_cannot_join_another(order, account, numbers, pm_a):
    with pytest.raises(ValidationError, match="already on open port order"):
        create_port_order(account, numbers[:1], winning_carrier="Zoom", by=pm_a)


def test_no_submission_without_a_signed_current_loa(order, pm_a):
    with pytest.raises(TransitionRefused) as exc:
        transition_order(order, "submit_loa", by=pm_a)
    assert exc.value.rule == "signed_current_loa"
    prepare_loa(order, by=pm_a)
    with pytest.raises(TransitionRefused, match="is not signed") as exc:
        transition_order(order, "submit_loa", by=pm_a)
    assert exc.value.rule == "signed_current_loa"


@pytest.mark.dates
def test_a_clean_signed_loa_submits_and_numbers_start_porting(order, pm_a):
    order = submitted(order, pm_a)
    assert order.state == "loa_submitted" and order.loa_submitted_at
    assert set(order.numbers.values_list("status", flat=True)) == {"porting"}
    record = order.history.latest()
    assert record.history_user == pm_a
    assert record.history_change_reason == "Submit LOA: sent to Zoom porting"


def test_blockers_prevent_submission_and_name_the_rule(order, pm_a):
    sign(order, pm_a, business_name="Acme Tax")  # CSR: Acme Tax Services LLC
    with pytest.raises(TransitionRefused) as exc:
        transition_order(order, "submit_loa", by=pm_a)
    assert exc.value.rule == "no_loa_blockers"
    assert "blocker" in exc.value.message
    assert PortOrder.objects.get(pk=order.pk).state == "loa_pending"


def test_numbers_changed_after_signing_need_a_new_signature(order, pm_a):
    sign(order, pm_a)
    change_order_numbers(order, remove=[order.numbers.order_by("number").last()], by=pm_a)
    order.forget_cached()
    assert order.loas.get(version=1).status == "superseded"  # kept, with its signature
    # A new version lists the order's numbers now, ready to send for signature.
    draft = order.loas.get(version=2)
    assert draft.status == "draft"
    assert sorted(draft.numbers) == sorted(n.number for n in order.numbers.all())
    with pytest.raises(TransitionRefused, match="not signed"):
        transition_order(order, "submit_loa", by=pm_a)


@pytest.mark.dates
def test_no_foc_received_without_an_foc_time(order, pm_a):
    order = submitted(order, pm_a)
    with pytest.raises(TransitionRefused) as exc:
        transition_order(order, "record_foc", by=pm_a)
    assert exc.value.rule == "foc_time_recorded"


def test_viewer_and_technician_roles(order, pm_a, viewer_a, tech_a):
    with pytest.raises(TransitionRefused) as exc:
        transition_order(order, "submit_loa", by=viewer_a)
    assert exc.value.rule == "role"
    with pytest.raises(TransitionRefused) as exc:
        transition_order(order, "cancel", by=tech_a, cancel_reason="x")
    assert exc.value.rule == "role"


def test_two_users_advancing_one_order_one_wins(order, pm_a, owner_a):
    sign(order, pm_a)
    acknowledge_warnings(order, by=pm_a)
    transition_order(order, "submit_loa", by=pm_a, expected_state="loa_pending")
    with pytest.raises(TransitionConflict, match="Someone else changed this order"):
        transition_order(order, "submit_loa", by=owner_a, expected_state="loa_pending")


def test_concurrent_save_of_a_stale_instance_is_refused(order, pm_a):
    from django_fsm import ConcurrentTransition

    stale = PortOrder.objects.get(pk=order.pk)
    transition_order(order, "cancel", by=pm_a, cancel_reason="customer changed plans")
    stale.transition_context = {}
    with pytest.raises(ConcurrentTransition):
        stale.cancel()
        stale.save()


@pytest.mark.dates
def test_rejection_of_a_field_produces_a_new_version_to_sign(order, pm_a):
    order = submitted(order, pm_a)
    with pytest.raises(TransitionRefused, match="reason code"):
        transition_order(order, "reject", by=pm_a)
    order.carrier_account.csr_address_line2 = "Suite 200"  # the carrier's record, corrected
    order.carrier_account.save()
    order = transition_order(order, "reject", by=pm_a, code="ADDRESS_MISMATCH",
                             carrier_text="Service address does not match")  # fmt: skip
    assert order.state == "rejected" and order.rejections.get().loa_version == 1
    # The rejection made version 2 from the CSR; version 1 is kept, signed but superseded.
    v1, v2 = order.loas.get(version=1), order.current_loa()
    assert (v2.version, v2.status, v2.service_line2) == (2, "draft", "Suite 200")
    assert v1.status == "superseded" and v1.has_portal_signature()
    order = transition_order(order, "reopen", by=pm_a)
    assert order.state == "loa_pending"
    with pytest.raises(TransitionRefused) as exc:
        transition_order(order, "submit_loa", by=pm_a)
    assert exc.value.rule == "signed_current_loa"
    sign_loa(v2, by=pm_a)
    acknowledge_warnings(order, by=pm_a)
    order = transition_order(order, "submit_loa", by=pm_a)
    assert order.state == "loa_submitted"


def test_rejection_without_a_field_needs_a_corrected_version_before_reopening(order, pm_a):
    order = submitted(order, pm_a)
    order = transition_order(order, "reject", by=pm_a, code="PENDING_ORDER",
                             carrier_text="Another order is pending")  # fmt: skip
    assert order.current_loa().version == 1
    with pytest.raises(TransitionRefused) as exc:
        transition_order(order, "reopen", by=pm_a)
    assert exc.value.rule == "corrected_loa_prepared"
    sign(order, pm_a)
    order = transition_order(order, "reopen", by=pm_a)
    assert order.state == "loa_pending" and order.current_loa().version == 2
    assert order.loas.get(version=1).status == "superseded"  # kept, read-only


@pytest.mark.dates
def test_foc_change_keeps_old_and_new_and_the_state(order, pm_a):
    now = timezone.now()
    order = submitted(order, pm_a)
    order = transition_order(order, "record_foc", by=pm_a, foc_at=now + timedelta(days=10))
    order = change_foc(order, new_foc_at=now + timedelta(days=13), reason="carrier backlog",
                       by=pm_a)  # fmt: skip
    change = order.foc_changes.get()
    assert change.previous_foc_at == now + timedelta(days=10)
    assert change.new_foc_at == now + timedelta(days=13)
    assert order.state == "foc_received" and order.foc_at == now + timedelta(days=13)


@pytest.mark.dates
def test_port_day_not_before_the_foc(order, pm_a):
    now = timezone.now()
    order = submitted(order, pm_a)
    order = transition_order(order, "record_foc", by=pm_a, foc_at=now + timedelta(days=3))
    with pytest.raises(TransitionRefused) as exc:
        transition_order(order, "start_port_day", by=pm_a, now=now)
    assert exc.value.rule == "foc_reached"


@pytest.mark.dates
def test_complete_needs_test_calls_and_48_hours(order, pm_a, numbers):
    now = timezone.now()
    order = at_port_day(order, pm_a, now)
    with pytest.raises(TransitionRefused) as exc:
        transition_order(order, "complete", by=pm_a, now=now + timedelta(hours=49))
    assert exc.value.rule == "post_port_tests_passed"
    for number in numbers:
        for line in ("+14695559001", "+14695559002", "+14695559003"):
            record_test_call(order, number, called_from=line, passed=True, by=pm_a)
    with pytest.raises(TransitionRefused) as exc:
        transition_order(order, "complete", by=pm_a, now=now + timedelta(hours=47))
    assert exc.value.rule == "port_back_window_closed"
    order = transition_order(order, "complete", by=pm_a, now=now + timedelta(hours=49))
    assert order.state == "complete"
    assert set(order.numbers.values_list("status", flat=True)) == {"ported"}


def test_three_calls_from_the_same_line_do_not_count(order, pm_a, numbers):
    now = timezone.now()
    order = at_port_day(order, pm_a, now)
    for number in numbers:
        for _ in range(3):
            record_test_call(order, number, called_from="+14695559001", passed=True, by=pm_a)
    assert len(order.numbers_missing_tests()) == 3


def test_only_an_owner_overrides_with_a_reason(order, pm_a, owner_a):
    now = timezone.now()
    order = at_port_day(order, pm_a, now)
    with pytest.raises(TransitionRefused) as exc:
        transition_order(order, "complete", by=pm_a, override_reason="customer insists")
    assert exc.value.rule == "override_owner_only"
    order = transition_order(order, "complete", by=owner_a, override_reason="tested by phone")
    assert order.state == "complete" and order.override_reason == "tested by phone"


@pytest.mark.dates
def test_port_failure_escalates_to_the_owner(order, pm_a, mailoutbox, settings,
                                             django_capture_on_commit_callbacks):  # fmt: skip
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from config.celery import app

    app.conf.task_always_eager = True
    try:
        order = at_port_day(order, pm_a, timezone.now())
        with django_capture_on_commit_callbacks(execute=True):
            order = transition_order(order, "fail_port", by=pm_a, reason="calls still on PBX")
    finally:
        app.conf.task_always_eager = False
    assert order.state == "port_failed"
    assert mailoutbox and "[PORT FAILED]" in mailoutbox[0].subject
    assert mailoutbox[0].to == [pm_a.email]


def test_a_failed_post_port_test_call_starts_the_port_failed_path(
    order, pm_a, tech_a, numbers, mailoutbox, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    from config.celery import app

    app.conf.task_always_eager = True
    try:
        order = at_port_day(order, pm_a, timezone.now())
        record_test_call(order, numbers[0], called_from="+12125550100", passed=True, by=tech_a)
        with django_capture_on_commit_callbacks(execute=True):
            record_test_call(order, numbers[1], called_from="+12125550101", passed=False,
                             by=tech_a, note="rings the old PBX")  # fmt: skip
    finally:
        app.conf.task_always_eager = False
    order.refresh_from_db()
    assert order.state == "port_failed"
    last = order.history.first()
    assert last.history_user == tech_a and "failed: rings the old PBX" in (
        last.history_change_reason
    )
    assert mailoutbox and "[PORT FAILED]" in mailoutbox[0].subject


@pytest.mark.dates
def test_partial_port_moves_the_rest_to_a_linked_child(order, pm_a, numbers):
    order = at_port_day(order, pm_a, timezone.now())
    child = split_partial_port(order, moved=numbers[:1], by=pm_a, reason="2 TNs not released")
    assert child.parent == order and child.state == "loa_pending"
    assert set(child.numbers.all()) == set(numbers[1:])
    assert list(order.numbers.all()) == numbers[:1]
    assert {n.status for n in child.numbers.all()} == {"legacy"}


def test_cancel_returns_numbers_to_legacy(order, pm_a):
    order = submitted(order, pm_a)
    with pytest.raises(TransitionRefused, match="Say why"):
        transition_order(order, "cancel", by=pm_a)
    order = transition_order(order, "cancel", by=pm_a, cancel_reason="customer stays")
    assert order.state == "cancelled"
    assert set(order.numbers.values_list("status", flat=True)) == {"legacy"}


def test_state_cannot_be_set_directly(order):
    with pytest.raises(AttributeError):
        order.state = "complete"


def test_pin_is_encrypted_and_not_in_history(account):
    from django.db import connection

    account.pin = "4821"
    account.save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pin FROM porting_carrieraccount WHERE id = %s", [account.pk])
        assert "4821" not in cursor.fetchone()[0]
    assert "pin" not in {f.name for f in account.history.model._meta.fields}
    assert "4821" not in repr(account)


@pytest.mark.dates
def test_old_service_cannot_be_cancelled_before_the_port_and_30_days(order, account, pm_a,
                                                                      owner_a):  # fmt: skip
    from porting.services import record_old_service_cancelled

    with pytest.raises(TransitionRefused) as exc:
        record_old_service_cancelled(account, by=pm_a)
    assert exc.value.rule == "ports_not_complete"
    now = timezone.now()
    order = at_port_day(order, pm_a, now)
    order = transition_order(order, "complete", by=owner_a, override_reason="tested by phone",
                             now=now)  # fmt: skip
    with pytest.raises(TransitionRefused) as exc:
        record_old_service_cancelled(account, by=pm_a, now=now + timedelta(days=29))
    assert exc.value.rule == "thirty_days_after_last_port"
    account = record_old_service_cancelled(account, by=pm_a, now=now + timedelta(days=31))
    assert account.old_service_cancelled_at


def test_pin_on_the_csr_but_not_on_file_is_a_blocker(order, account, pm_a):
    account.csr_has_pin = True
    account.save()
    sign(order, pm_a)
    assert any(f.field == "pin" and f.severity == "blocker" for f in order.loa_findings())
    with pytest.raises(TransitionRefused) as exc:
        transition_order(order, "submit_loa", by=pm_a)
    assert exc.value.rule == "no_loa_blockers"


def test_suite_200_versus_suite_200_is_caught_before_submission(order, pm_a):
    sign(order, pm_a, service_line2="200")  # the CSR says "Suite 200"
    blockers = [f for f in order.loa_findings() if f.severity == "blocker"]
    assert [f.field for f in blockers] == ["service_address.line2"]
    assert "Suite 200" in blockers[0].fix


def test_a_rejected_or_failed_order_is_not_counted_as_foc_confirmed(order, pm_a):
    from porting.selectors import migration_plan

    now = timezone.now()
    order = submitted(order, pm_a)
    order = transition_order(order, "record_foc", by=pm_a, foc_at=now + timedelta(days=5))
    assert migration_plan(order.migration).ready_for_cutover
    transition_order(order, "reject", by=pm_a, code="CSR_STALE", carrier_text="CSR expired")
    assert not migration_plan(order.migration).ready_for_cutover


@pytest.mark.dates
def test_foc_change_keeps_the_carriers_time_zone_and_reschedule_is_recorded(order, pm_a):
    now = timezone.now()
    order = submitted(order, pm_a)
    order = transition_order(order, "record_foc", by=pm_a, foc_at=now, foc_timezone="UTC")
    order = change_foc(order, new_foc_at=now + timedelta(days=2), reason="slip", by=pm_a,
                       foc_timezone="America/Denver")  # fmt: skip
    assert order.foc_timezone == "America/Denver"
    order = transition_order(order, "start_port_day", by=pm_a, now=now + timedelta(days=2))
    order = transition_order(order, "fail_port", by=pm_a)
    order = transition_order(order, "reschedule", by=pm_a, reason="NOC re-issued FOC",
                             foc_at=now + timedelta(days=6))  # fmt: skip
    latest = order.foc_changes.order_by("-changed_at", "-pk").first()
    assert latest.new_foc_at == now + timedelta(days=6) and latest.reason == "NOC re-issued FOC"
    assert order.foc_changes.count() == 2


def test_services_check_roles_themselves(account, numbers, viewer_a):
    with pytest.raises(TransitionRefused) as exc:
        create_port_order(account, numbers, winning_carrier="Zoom", by=viewer_a)
    assert exc.value.rule == "role"


def test_long_reasons_are_kept_whole(order, pm_a):
    reason = "Carrier says: " + "the CSR lists the suite as 'Suite 200' not '200'. " * 6
    order = transition_order(order, "cancel", by=pm_a, reason=reason, cancel_reason="x")
    assert order.history.latest().history_change_reason.endswith(reason)


def test_reject_codes_come_from_the_catalog(order, pm_a):
    order = submitted(order, pm_a)
    with pytest.raises(TransitionRefused, match="Unknown reject code"):
        transition_order(order, "reject", by=pm_a, code="WHATEVER", carrier_text="x")


def test_an_account_number_spaced_differently_is_the_same_and_signs_and_submits(
    account, order, pm_a
):
    """The check says "8301 2244 5567" and "830122445567" are the same number (a carrier
    compares characters, not spacing); staleness agrees, so sending and submitting work."""
    account.account_number = "830122445567"
    account.save()
    loa = prepare_loa(order, by=pm_a, account_number="8301 2244 5567")
    assert "ACCOUNT_MISMATCH" not in {f.code for f in order.loa_findings()}
    assert loa.stale_fields() == []
    assert send_refusal(loa) is None
    sign_loa(loa, by=pm_a)
    e911_ready(order, pm_a)
    acknowledge_warnings(order, by=pm_a)
    order = transition_order(order, "submit_loa", by=pm_a)
    assert order.state == "loa_submitted"


def test_a_number_on_another_accounts_csr_is_refused_naming_that_account(
    migration, account, numbers, pm_a
):
    """The number has no account recorded yet, but another account's CSR lists it: the
    order for this account is refused (it would be rejected: TN not on the account), and
    nothing records the number on the wrong account."""
    other = f.CarrierAccountFactory(
        migration=migration, carrier_name="Spectrum Business", account_number="8353-1100",
        btn="+14695550199", csr_numbers=["+14695550199", "+14695550177"],
    )  # fmt: skip
    stray = f.PhoneNumberFactory(migration=migration, number="+14695550177")
    with pytest.raises(ValidationError) as exc:
        create_port_order(account, [numbers[0], stray], winning_carrier="Zoom Phone", by=pm_a)
    assert "Spectrum Business account 8353-1100" in str(exc.value)
    stray.refresh_from_db()
    assert stray.carrier_account_id is None and not stray.port_orders.exists()
    # The right account takes it.
    order = create_port_order(other, [stray], winning_carrier="Zoom Phone", by=pm_a)
    stray.refresh_from_db()
    assert stray.carrier_account == other and order.numbers.get() == stray


def test_an_loa_submitted_on_a_friday_evening_in_chicago_counts_from_friday(
    migration, account, order, pm_a
):
    """19:30 on Friday in Chicago is Saturday 00:30 in UTC: the carrier's business days
    count from the local Friday (docs/porting-planner.md), so the estimate is a day
    earlier than from Saturday."""
    f.SiteFactory(migration=migration, timezone="America/Chicago")
    order.numbers.update(site=migration.sites.get())
    chicago = ZoneInfo("America/Chicago")
    friday_evening = datetime(2026, 6, 5, 19, 30, tzinfo=chicago)
    PortOrder.objects.filter(pk=order.pk).update(
        state="loa_submitted", loa_submitted_at=friday_evening
    )
    plan = migration_plan(migration, today=date(2026, 6, 5))
    (planned,) = [p for p in plan.orders if p.key == str(order.pk)]
    _low, high = FOC_INTERVALS[account.carrier_type]
    assert planned.start == date(2026, 6, 5)
    assert planned.estimated_foc == add_business_days(date(2026, 6, 5), high)


def test_a_redelivered_failure_task_emails_once_and_a_second_failure_again(
    order, pm_a, mailoutbox, django_capture_on_commit_callbacks
):
    """CELERY_TASK_ACKS_LATE: a task can run twice. The failure is claimed first."""
    order = at_port_day(order, pm_a, timezone.now())
    with django_capture_on_commit_callbacks() as callbacks:
        order = transition_order(order, "fail_port", by=pm_a, reason="calls still on PBX")
    failed_at = order.state_changed_at.isoformat()
    assert len(callbacks) == 1  # the task is enqueued after the commit
    assert escalate_port_failure(order.pk, failed_at) is True
    assert escalate_port_failure(order.pk, failed_at) is False  # re-delivered
    assert [m.subject for m in mailoutbox].count(mailoutbox[0].subject) == 1
    # Rescheduled and failed again: that failure is told too.
    order = transition_order(order, "reschedule", by=pm_a, foc_at=timezone.now(),
                             reason="new FOC")  # fmt: skip
    order = transition_order(order, "start_port_day", by=pm_a)
    order = transition_order(order, "fail_port", by=pm_a, reason="again")
    assert escalate_port_failure(order.pk, order.state_changed_at.isoformat()) is True
    assert len([m for m in mailoutbox if "[PORT FAILED]" in m.subject]) == 2
