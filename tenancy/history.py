"""Who changed what, and why: helpers around django-simple-history.

The request middleware records the browser user. Services, commands and tasks have no
request, so they name the actor and reason explicitly through these helpers.
"""

from simple_history.utils import bulk_create_with_history


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
            changes = [(c.field, c.old, c.new) for c in delta.changes]
        rows.append({"record": newer, "changes": changes})
    return rows[:limit]
