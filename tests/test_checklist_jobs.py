"""Checklist PDF jobs never lost, never stuck (cutover/preflight/jobs.py): the row is the
outbox (a broker that does not answer is no 500, and the sweep sends the job when it is
back), a job is claimed under a lease (sending it twice is harmless), and a job whose
worker stopped beating is retried or failed, the page saying which. The same faults with
real processes: tests/test_faults.py."""

import threading
import time
from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone
from kombu.exceptions import OperationalError

from cutover.models import ChecklistJob
from cutover.preflight import jobs
from cutover.preflight.tasks import render_checklists
from cutover.tasks import sweep_checklist_jobs

from .conftest import login

Status = ChecklistJob.Status
BROKER_DOWN = OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")
DELAY = "cutover.preflight.tasks.render_checklists.delay"


def _new_job(world_a):
    return ChecklistJob.objects.exclude(pk=world_a["checklist_job"].pk).get()


def _page(client, org, job):
    return client.get(reverse("checklist-job-status", args=[org.slug, job.pk])).content.decode()


@pytest.mark.django_db(transaction=True)  # commits for real: the send runs in the request
def test_broker_down_at_start_is_no_500_and_the_sweep_sends_the_job_later(
    client, world_a, pm_a, org_a
):
    ChecklistJob.objects.filter(pk=world_a["checklist_job"].pk).update(status=Status.DONE)
    login(client, pm_a)
    migration, site = world_a["migration"], world_a["site"]
    url = reverse("migration-preflight", args=[org_a.slug, migration.uuid])
    with mock.patch(DELAY, side_effect=BROKER_DOWN):
        response = client.post(url, {"site": site.pk})
    job = _new_job(world_a)
    assert response.status_code == 302
    assert response["Location"] == reverse("checklist-job", args=[org_a.slug, job.pk])
    page = client.get(response["Location"]).content.decode()
    told = "Queued; the worker will pick it up when the queue is back."
    assert page.count(told) == 2  # the message at the top, and the job's own
    assert job.status == Status.QUEUED and job.sent_at is None and job.attempts == 0
    assert "the worker will pick it up when the queue is back" in _page(client, org_a, job)

    with mock.patch(DELAY, side_effect=BROKER_DOWN):  # still down: nothing lost, no error
        assert sweep_checklist_jobs()["not_sent"] == 1
    job.refresh_from_db()
    assert job.status == Status.QUEUED and job.sent_at is None

    with mock.patch(DELAY) as delay:  # the broker is back
        assert sweep_checklist_jobs()["sent"] == 1
    delay.assert_called_once_with(job.pk)
    job.refresh_from_db()
    assert job.sent_at is not None and job.message == "Queued."
    with mock.patch(DELAY) as delay:  # sent, not yet taken: not sent again at once
        assert sweep_checklist_jobs()["sent"] == 0
    assert render_checklists(job.pk) == "done"
    job.refresh_from_db()
    assert job.status == Status.DONE and job.base_url == "http://testserver/"


@pytest.mark.django_db
def test_a_job_the_broker_lost_is_sent_again(world_a, settings):
    """Sent, then the broker restarted empty: after RESEND_AFTER it goes again."""
    job = world_a["checklist_job"]
    settings.CHECKLIST_JOB_RESEND_AFTER_SECONDS = 300
    ChecklistJob.objects.filter(pk=job.pk).update(sent_at=timezone.now() - timedelta(seconds=299))
    with mock.patch(DELAY) as delay:
        jobs.sweep()
    delay.assert_not_called()
    ChecklistJob.objects.filter(pk=job.pk).update(sent_at=timezone.now() - timedelta(seconds=301))
    with mock.patch(DELAY) as delay:
        assert jobs.sweep()["sent"] == 1
    delay.assert_called_once_with(job.pk)


@pytest.mark.django_db
def test_sending_twice_is_harmless(world_a):
    job = world_a["checklist_job"]
    claimed, outcome = jobs.claim(job.pk)
    assert outcome == "claimed" and claimed.attempts == 1
    # A second message while the first worker holds it (and beats): nothing.
    assert jobs.claim(job.pk) == (None, "running")
    assert render_checklists(job.pk) == "running"
    ChecklistJob.objects.filter(pk=job.pk).update(status=Status.QUEUED, attempts=0)
    assert render_checklists(job.pk) == "done"
    assert render_checklists(job.pk) == "done"  # re-delivered after it finished
    job.refresh_from_db()
    assert job.status == Status.DONE and job.attempts == 1


def _stale(job, attempts, *, seconds=600):
    ChecklistJob.objects.filter(pk=job.pk).update(
        status=Status.RUNNING, attempts=attempts, message="Rendering the PDF…",
        heartbeat_at=timezone.now() - timedelta(seconds=seconds),
    )  # fmt: skip


@pytest.mark.django_db
def test_a_job_whose_worker_stopped_is_retried_and_the_page_says_so(
    client, world_a, pm_a, org_a, settings
):
    settings.CHECKLIST_JOB_LEASE_SECONDS = 120
    job = world_a["checklist_job"]
    _stale(job, 1, seconds=60)  # within the lease: alive
    with mock.patch(DELAY) as delay:
        assert jobs.sweep() == {"retried": 0, "failed": 0, "sent": 0, "not_sent": 0}
    _stale(job, 1, seconds=121)
    with mock.patch(DELAY) as delay:
        assert jobs.sweep() == {"retried": 1, "failed": 0, "sent": 1, "not_sent": 0}
    delay.assert_called_once_with(job.pk)
    job.refresh_from_db()
    assert job.status == Status.QUEUED and job.attempts == 1
    login(client, pm_a)
    retrying = "The worker stopped while rendering; retrying (attempt 2 of 3)."
    assert retrying in _page(client, org_a, job)

    assert render_checklists(job.pk) == "done"
    job.refresh_from_db()
    assert job.status == Status.DONE and job.attempts == 2
    assert "made on attempt 2 of 3" in _page(client, org_a, job)


@pytest.mark.django_db
def test_after_the_last_attempt_the_job_fails_and_the_page_says_start_again(
    client, world_a, pm_a, viewer_a, org_a
):
    job = world_a["checklist_job"]
    _stale(job, 3)
    with mock.patch(DELAY) as delay:
        assert jobs.sweep()["failed"] == 1
    delay.assert_not_called()
    job.refresh_from_db()
    assert job.status == Status.FAILED and job.finished_at
    login(client, pm_a)
    page = _page(client, org_a, job)
    assert "The worker stopped while rendering; failed after 3 attempts: start again." in page
    assert 'data-testid="start-again"' in page
    login(client, viewer_a)
    assert 'data-testid="start-again"' not in _page(client, org_a, job)  # may not print
    # A message for it that the broker re-delivers later does nothing.
    assert render_checklists(job.pk) == "failed"


@pytest.mark.django_db
def test_a_redelivered_message_of_a_dead_worker_takes_the_next_attempt(world_a, settings):
    """The broker re-delivers the message of a worker that died (after its visibility
    timeout), before the sweep saw it: that counts as the next attempt, up to the last."""
    job = world_a["checklist_job"]
    _stale(job, 1)
    assert render_checklists(job.pk) == "done"
    job.refresh_from_db()
    assert job.attempts == 2
    _stale(job, 3)
    assert render_checklists(job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == Status.FAILED and "failed after 3 attempts" in job.message


@pytest.mark.django_db
def test_a_worker_that_lost_its_lease_does_not_overwrite_the_next_attempt(world_a):
    job, _ = jobs.claim(world_a["checklist_job"].pk)
    assert jobs.update(job, done=1)
    ChecklistJob.objects.filter(pk=job.pk).update(attempts=2)  # the sweep gave it away
    assert not jobs.update(job, status=Status.DONE, message="late")
    assert ChecklistJob.objects.get(pk=job.pk).message != "late"


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_beats_while_the_task_works(world_a):
    job, _ = jobs.claim(world_a["checklist_job"].pk)
    first = ChecklistJob.objects.get(pk=job.pk).heartbeat_at
    with jobs.heartbeat(job, every=0.05):
        time.sleep(0.5)
    beaten = ChecklistJob.objects.get(pk=job.pk).heartbeat_at
    assert beaten > first
    assert not [t for t in threading.enumerate() if t.name.startswith("checklist-job-")]


@pytest.mark.django_db
def test_the_render_keeps_a_heartbeat(world_a, monkeypatch):
    """The task beats around the whole render (the forked child cannot)."""
    entered = []
    real = jobs.heartbeat

    def spy(job, every=None):
        entered.append(job.pk)
        return real(job, every)

    monkeypatch.setattr(jobs, "heartbeat", spy)
    assert render_checklists(world_a["checklist_job"].pk) == "done"
    assert entered == [world_a["checklist_job"].pk]
