from celery import shared_task

import rowsecurity
from tenancy import clock

from .models import SchedulerHeartbeat


@shared_task(name="tenancy.tasks.record_heartbeat")
@rowsecurity.no_organization("the scheduler heartbeat")
def record_heartbeat(name: str = "beat") -> str:
    """Proves beat and a worker run: the health page shows the last beat's age."""
    now = clock.now()
    SchedulerHeartbeat.objects.update_or_create(name=name, defaults={"beat_at": now})
    return now.isoformat()
