"""One-off tasks handed to the broker after a commit (tenancy/enqueue.py): with the broker
down the request still answers, and the urgent emails go out from the web process
instead (docs/operations.md). Checklist jobs and webhook deliveries keep a row as their
outbox instead: tests/test_checklist_jobs.py, tests/test_webhooks.py."""

import logging
from unittest import mock

import pytest
from django.utils import timezone
from kombu.exceptions import OperationalError

from e911.karis.services import record_933_test
from porting.models import PhoneNumber
from porting.services import create_port_order, transition_order
from tenancy.enqueue import send_after_commit

from . import factories as f
from .e911_helpers import site_default
from .test_porting_lifecycle import at_port_day

BROKER_DOWN = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


@pytest.fixture
def port_order(world_a, pm_a):
    migration = f.MigrationFactory(customer=world_a["customer"], name="Plano office", owner=pm_a)
    numbers = ["+14695550100", "+14695550101"]
    account = f.CarrierAccountFactory(migration=migration, btn=numbers[0], csr_numbers=numbers)
    numbers = [f.PhoneNumberFactory(migration=migration, number=n) for n in numbers]
    return create_port_order(account, numbers, winning_carrier="Zoom Phone", by=pm_a)


@pytest.fixture
def e911_site(world_a, pm_a):
    site = world_a["site"]
    site_default(site, pm_a)
    f.PhoneNumberFactory(
        migration=site.migration, site=site, number="+12145550199",
        purpose=PhoneNumber.Purpose.MAIN_LINE,
    )  # fmt: skip
    return site


@pytest.mark.django_db
def test_a_one_off_task_runs_here_when_the_broker_is_down(
    caplog, django_capture_on_commit_callbacks
):
    ran = []

    class Task:
        name = "probe"

        def delay(self, *args):
            raise BROKER_DOWN

        def __call__(self, *args):
            ran.append(args)

    with (
        caplog.at_level(logging.WARNING, logger="tenancy.enqueue"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        send_after_commit(Task(), 7)
        assert ran == []  # not before the commit
    assert ran == [(7,)]
    assert "probe not queued: the broker does not answer" in caplog.text


@pytest.mark.django_db
def test_port_failure_escalates_with_the_broker_down(
    port_order, pm_a, mailoutbox, django_capture_on_commit_callbacks
):
    order = at_port_day(port_order, pm_a, timezone.now())
    with (
        mock.patch("porting.tasks.escalate_port_failure.delay", side_effect=BROKER_DOWN),
        django_capture_on_commit_callbacks(execute=True),
    ):
        order = transition_order(order, "fail_port", by=pm_a, reason="calls still on PBX")
    assert order.state == "port_failed"
    assert [m.subject[:13] for m in mailoutbox] == ["[PORT FAILED]"]


@pytest.mark.django_db
def test_933_mismatch_alerts_with_the_broker_down(
    e911_site, tech_a, pm_a, mailoutbox, django_capture_on_commit_callbacks
):
    with (
        mock.patch("e911.karis.tasks.alert_933_mismatch.delay", side_effect=BROKER_DOWN),
        django_capture_on_commit_callbacks(execute=True),
    ):
        test = record_933_test(
            e911_site, by=tech_a, caller="x102", called_at=timezone.now(),
            readback_address="123 Main St, Suite 300, Dallas TX 75202",
            readback_callback="214 555 0100",
        )  # fmt: skip
    assert test.result == "mismatch"
    assert len(mailoutbox) == 1 and "[933 MISMATCH]" in mailoutbox[0].subject
