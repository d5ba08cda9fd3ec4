"""Writes shared by the browser, the API, the admin-free CLI and tasks."""

from django.db import models, transaction

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
    _unlink_dependents(instance, by=by, reason=reason)
    delete_with_history(instance, by=by, reason=reason)


def _unlink_dependents(instance, *, by, reason):
    """Do by hand, with history, what on_delete=SET_NULL would do silently: a number
    whose endpoint is deleted records that it lost its endpoint, who did it and why."""
    why = f"{instance._meta.verbose_name} “{instance}” deleted" + (f": {reason}" if reason else "")
    for relation in instance._meta.related_objects:
        if relation.on_delete is not models.SET_NULL or relation.many_to_many:
            continue
        dependents = relation.related_model._default_manager.filter(
            **{relation.field.name: instance}
        )
        for dependent in dependents.select_for_update():
            setattr(dependent, relation.field.name, None)
            save_with_history(dependent, by=by, reason=why)
