"""Writes to sites and endpoints beyond one form's save."""

from django.core.exceptions import ValidationError
from django.db import transaction

from tenancy import clock
from tenancy.history import bulk_update_with_reason, save_with_history
from tenancy.roles import ON_SITE, require_role

from .models import Endpoint, Site

# Values meaning "leave as it is" in a bulk edit.
KEEP = ""


@transaction.atomic
def bulk_edit_endpoints(
    migration, endpoints, *, site=None, kind=KEEP, firmware=KEEP, remote_worker=KEEP,
    by=None, reason="",
):  # fmt: skip
    """Set the site, kind, firmware or remote-worker flag of many endpoints at once: one
    history row each, all in one transaction with the rows locked. `remote_worker` is
    "yes", "no" or KEEP."""
    require_role(migration.organization_id, by, ON_SITE, "Editing endpoints in bulk")
    changes = {
        name: value
        for name, value in (
            ("site", site), ("kind", kind), ("firmware", firmware),
            ("is_remote_worker", {"yes": True, "no": False}.get(remote_worker)),
        )
        if value not in (None, KEEP)
    }  # fmt: skip
    if not changes:
        raise ValidationError("Choose at least one change to apply.")
    if site is not None and site.migration_id != migration.pk:
        raise ValidationError("The site must belong to this migration.")
    locked = list(
        Endpoint.objects.select_for_update()
        .filter(migration=migration, pk__in=[e.pk for e in endpoints])
        .order_by("pk")
    )
    if not locked:
        raise ValidationError("Choose at least one endpoint.")
    for endpoint in locked:
        for name, value in changes.items():
            setattr(endpoint, name, value)
    bulk_update_with_reason(Endpoint, locked, list(changes), by=by, reason=reason or "bulk edit")
    return locked


SITE_CONTACT_FIELDS = ("contact_name", "contact_phone", "contact_email", "after_hours_contact")


@transaction.atomic
def confirm_site_contacts(site, *, confirmed_by: str, **fields):
    """The customer confirms (and corrects) who to call at the site, from their portal.
    History says who confirmed it and what changed."""
    site = Site.objects.select_for_update().get(pk=site.pk)
    changed = [name for name in SITE_CONTACT_FIELDS
               if name in fields and getattr(site, name) != fields[name]]  # fmt: skip
    for name in changed:
        setattr(site, name, fields[name])
    site.full_clean()
    site.contacts_confirmed_at = clock.now()
    site.contacts_confirmed_by = confirmed_by[:200]
    what = f"changed {', '.join(changed)}" if changed else "unchanged"
    return save_with_history(
        site,
        reason=f"site contacts confirmed by {confirmed_by} through the customer portal ({what})",
    )
