from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail

from .models import PortOrder


@shared_task(name="porting.tasks.escalate_port_failure")
def escalate_port_failure(order_id: int) -> bool:
    """Port day failed: tell the migration's owner at once (calls still reach the old
    system; keep it running and call the winning carrier's porting NOC)."""
    order = PortOrder.objects.select_related("migration__owner", "carrier_account").get(pk=order_id)
    owner = order.migration.owner
    if owner is None or not owner.email:
        return False
    send_mail(
        subject=f"[PORT FAILED] {order.migration.name}: {order}",
        message=(
            f"Port order #{order.pk} ({order.carrier_account}) failed on port day.\n\n"
            "Calls still reach the old system: keep it running. Call the winning carrier's "
            "porting NOC now; do not wait for business hours.\n"
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=[owner.email],
    )
    return True
