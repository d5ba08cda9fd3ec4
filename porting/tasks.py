from datetime import datetime

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction

import rowsecurity
from tenancy import clock

from .follow_up import flags_for, open_orders
from .models import FollowUp, PortFailureEscalation, PortOrder


@shared_task(name="porting.tasks.escalate_port_failure")
@rowsecurity.for_row(PortOrder, "order_id")
def escalate_port_failure(order_id: int, failed_at: str | None = None) -> bool:
    """Port day failed: tell the migration's owner at once (calls still reach the old
    system; keep it running and call the winning carrier's porting NOC).

    Safe to run twice: the failure (the order and when it failed) is claimed first, in a
    row that exists once; a re-delivered task finds it and sends nothing. A crash between
    the claim and the send loses that email (at most once), never doubles it."""
    order = PortOrder.objects.select_related("migration__owner", "carrier_account").get(pk=order_id)
    owner = order.migration.owner
    if owner is None or not owner.email:
        return False
    failed = datetime.fromisoformat(failed_at) if failed_at else order.state_changed_at
    try:
        with transaction.atomic():
            _claim, created = PortFailureEscalation.objects.get_or_create(
                port_order=order, failed_at=failed,
                defaults={"organization": order.organization},
            )  # fmt: skip
    except IntegrityError:  # a concurrent run claimed it first
        return False
    if not created:
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


@shared_task(name="porting.tasks.daily_follow_up")
@rowsecurity.spans_organizations("porting follow-up, every organization")
def daily_follow_up() -> int:
    """Flag stuck orders and orders near their date without an FOC; email each migration's
    owner once per day. Safe to run twice: a flag exists once per order, kind and day."""
    day = clock.today()
    new_by_migration = {}
    for flag in flags_for(open_orders(), today=day):
        try:
            with transaction.atomic():
                follow_up = FollowUp.objects.create(
                    organization_id=flag.order.organization_id,
                    port_order=flag.order,
                    kind=flag.kind,
                    for_date=day,
                    message=flag.message,
                )
        except IntegrityError:
            continue  # already raised today
        new_by_migration.setdefault(flag.order.migration, []).append(follow_up)
    sent = 0
    for migration, follow_ups in new_by_migration.items():
        owner = migration.owner
        if owner and owner.email:
            send_mail(
                subject=f"[Porting follow-up] {migration.name}: {len(follow_ups)} item(s)",
                message="\n\n".join(f.message for f in follow_ups),
                from_email=settings.DEFAULT_FROM_EMAIL,
                recipient_list=[owner.email],
            )
            sent += 1
        FollowUp.objects.filter(pk__in=[f.pk for f in follow_ups]).update(notified_at=clock.now())
    return sent


@shared_task(name="porting.tasks.poll_carriers")
@rowsecurity.spans_organizations("carrier polling: open provider orders of every organization")
def poll_carriers() -> dict:
    """Every 5 minutes (beat): the open orders at a carrier whose next look is due (with
    backoff), CSRs not yet returned, and events still to apply: the fallback for missed
    webhooks (porting.carriers.services.poll_due)."""
    from .carriers.services import poll_due

    return poll_due()
