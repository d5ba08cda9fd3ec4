"""Writes shared by the browser, the API, the admin-free CLI and tasks."""

from django.db import transaction

from .history import delete_with_history, save_with_history


@transaction.atomic
def save_org_object(instance, *, organization, by=None, reason: str = ""):
    """Validate and save an organization-owned object, recording actor and reason.

    Root objects (customers) take `organization`; children derive it from their parents,
    and a parent from another organization is refused by `full_clean()`."""
    if not instance.organization_id:
        instance.organization = organization
    instance.full_clean()
    if instance.organization_id != organization.pk:
        # Defence in depth: the scoped querysets should make this unreachable.
        raise PermissionError("Object belongs to another organization.")
    return save_with_history(instance, by=by, reason=reason)


@transaction.atomic
def delete_org_object(instance, *, organization, by=None, reason: str = ""):
    if instance.organization_id != organization.pk:
        raise PermissionError("Object belongs to another organization.")
    delete_with_history(instance, by=by, reason=reason)
