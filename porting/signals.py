"""A signed LOA that no longer matches its order is superseded the moment it stops
matching, wherever the change came from (page, API, admin, import, shell)."""

from django.db.models.signals import m2m_changed, post_save
from django.dispatch import receiver

from .models import CarrierAccount, PortOrder


@receiver(m2m_changed, sender=PortOrder.numbers.through)
def numbers_changed(sender, instance, action, reverse, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    from .services import supersede_stale_signed_loa

    # reverse: number.port_orders.add(order), where `instance` is the number
    orders = PortOrder.objects.filter(pk__in=pk_set or ()) if reverse else [instance]
    for order in orders:
        supersede_stale_signed_loa(order)


@receiver(post_save, sender=CarrierAccount)
def account_changed(sender, instance, created, **kwargs):
    if created:
        return
    from .services import supersede_stale_signed_loa

    for order in instance.port_orders.filter(state__in=PortOrder.LOA_EDITABLE_STATES):
        supersede_stale_signed_loa(order)
