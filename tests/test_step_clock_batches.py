"""The step clock at size (docs/cutover-steps.md, docs/performance.md): many steps due at
once are claimed in batches and emailed over a few connections per batch, from threads,
each step exactly once, also when two ticks run at once (`make bench` does 10,000 with a
real worker; here a few batches)."""

import re
import threading
from collections import Counter
from datetime import timedelta

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connections

from cutover.models import Step
from cutover.steps import clock as step_clock
from cutover.steps.clock import mark_due
from cutover.steps.services import ensure_plan
from tenancy import clock

OPENED = Counter()


class CountingBackend(EmailBackend):
    """locmem, counting the connections opened, by the kind of thread that opened them."""

    def open(self):
        OPENED[threading.current_thread().name.split("_")[0]] += 1
        return True


@pytest.fixture
def many_due(world_a, pm_a):
    plan = ensure_plan(world_a["migration"], by=pm_a)
    due_at = clock.now() - timedelta(seconds=30)
    steps = Step.objects.bulk_create(
        Step(organization=plan.organization, plan=plan, code=f"many-{i}", title=f"Many {i}",
             offset_minutes=0, due_at=due_at, owner=pm_a)
        for i in range(45)
    )  # fmt: skip
    return {s.pk for s in steps}


@pytest.mark.django_db(transaction=True)
def test_many_steps_in_batches_over_several_connections_each_once(many_due, settings, monkeypatch):
    settings.EMAIL_BACKEND = "tests.test_step_clock_batches.CountingBackend"
    monkeypatch.setattr(step_clock, "BATCH", 10)
    OPENED.clear()
    mail.outbox = []

    def tick():
        try:
            mark_due()
        finally:
            connections.close_all()  # this thread's own database connection

    ticks = [threading.Thread(target=tick) for _ in range(2)]  # two ticks at once
    for thread in ticks:
        thread.start()
    for thread in ticks:
        thread.join()
    mark_due()  # a tick stops at its first short batch: whatever the two left (if any)
    assert mark_due() == 0
    emailed = Counter(
        int(re.match(r"Step #(\d+):", m.body)[1])
        for m in mail.outbox
        if m.subject.startswith("[Cutover step due]")
    )
    mine = {pk: count for pk, count in emailed.items() if pk in many_due}
    assert set(mine) == many_due and set(mine.values()) == {1}  # each once, none twice
    # Each batch went over SEND_CONNECTIONS connections, opened in threads of their own:
    # 45 steps are at least 5 batches of 2 steps or more.
    assert set(OPENED) == {"step-mail"}
    assert OPENED["step-mail"] >= 5 * step_clock.SEND_CONNECTIONS
