"""Who changed what, and why: helpers around django-simple-history.

The request middleware records the browser user. Services, commands and tasks have no
request, so they name the actor and reason explicitly through these helpers.
"""

import phonenumbers
from django.core.exceptions import FieldDoesNotExist
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from .phone import shown


def stamp(instance, *, by=None, reason: str = ""):
    """Attach actor and reason to the next history row `instance.save()` writes."""
    if by is not None:
        instance._history_user = by
    instance._change_reason = reason or ""
    return instance


def save_with_history(instance, *, by=None, reason: str = "", **save_kwargs):
    stamp(instance, by=by, reason=reason)
    instance.save(**save_kwargs)
    return instance


def delete_with_history(instance, *, by=None, reason: str = ""):
    stamp(instance, by=by, reason=reason)
    instance.delete()


def bulk_create_with_reason(model, objs, *, by=None, reason: str = "", batch_size=1000):
    """Bulk insert that still writes one history row per object (one query per batch)."""
    return bulk_create_with_history(
        objs,
        model,
        batch_size=batch_size,
        default_user=by,
        default_change_reason=reason,
    )


def bulk_update_with_reason(model, objs, fields, *, by=None, reason: str = "", batch_size=500):
    """Bulk update that still writes one history row per object (a query per batch)."""
    return bulk_update_with_history(
        objs, model, fields, batch_size=batch_size, default_user=by,
        default_change_reason=reason,
    )  # fmt: skip


def field_label(model, name: str) -> str:
    """A field's label as forms show it ("Address line 2"), not its column name."""
    try:
        label = str(model._meta.get_field(name).verbose_name)
    except FieldDoesNotExist:
        label = name.replace("_", " ")
    return label[:1].upper() + label[1:]


def _shown(model, name: str, value):
    """A stored choice as its label ("Port day", not "port_day"); a telephone number, or a
    list of them, as pages show numbers ("(720) 555-0100")."""
    if isinstance(value, phonenumbers.PhoneNumber) or _e164_list(value):
        return shown(value)
    try:
        choices = dict(model._meta.get_field(name).flatchoices)
    except FieldDoesNotExist:
        return value
    return choices.get(value, value) if choices else value


def _e164_list(value) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(item, str) and item.startswith("+") for item in value)
    )


def history_rows(instance, limit=50):
    """History rows newest first, each with the fields that changed against the previous."""
    records = list(
        instance.history.select_related("history_user").order_by("-history_id")[: limit + 1]
    )
    rows = []
    for newer, older in zip(records, [*records[1:], None], strict=False):
        changes = []
        if older is not None and newer.history_type == "~":
            delta = newer.diff_against(older)
            model = type(instance)
            changes = [
                (field_label(model, c.field), _shown(model, c.field, c.old),
                 _shown(model, c.field, c.new))
                for c in delta.changes
            ]  # fmt: skip
        rows.append({"record": newer, "changes": changes})
    return rows[:limit]
