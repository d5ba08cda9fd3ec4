"""Writes shared by the browser, the API, the admin-free CLI and tasks."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import models, transaction
from django_fsm import ConcurrentTransition

from . import clock
from .api_auth import hash_key
from .history import delete_with_history, save_with_history
from .locking import lock_for_update
from .models import API_TOKEN_DEFAULT_DAYS, ApiToken, Organization
from .portal import new_token
from .roles import OWNER_ONLY, require_role
from .rules import as_conflict


@transaction.atomic
def save_org_object(instance, *, organization, by=None, reason: str = "", fields=None):
    """Validate and save an organization-owned object, recording actor and reason.

    Root objects (customers) take `organization`; children derive it from their parents,
    and a parent from another organization is refused by `full_clean()`.

    An existing row is locked first. `fields` names what the caller changed (a PATCH's
    fields, an edit form's changed fields): every other column is then taken from the
    locked row, so a concurrent change to them is kept, not reverted (tenancy.locking).
    A stale state that could not be brought up to date is a TransitionConflict."""
    if instance.pk is not None and not instance._state.adding:
        lock_for_update(instance, changed=fields)
    if not instance.organization_id:
        instance.organization = organization
    instance.full_clean()
    if instance.organization_id != organization.pk:
        # Defence in depth: the scoped querysets should make this unreachable.
        raise PermissionError("Object belongs to another organization.")
    try:
        return save_with_history(instance, by=by, reason=reason)
    except ConcurrentTransition as exc:
        raise as_conflict(exc) from exc


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


# -- personal API tokens -------------------------------------------------------------

MAX_ACTIVE_TOKENS = 20
# How long a new token works: chosen when it is made, 90 days unless said otherwise, never
# more than a year (docs/api.md). There is no token that never expires.
TOKEN_LIFETIME_DAYS = (30, 90, 180, 365)
DEFAULT_TOKEN_LIFETIME_DAYS = API_TOKEN_DEFAULT_DAYS
MAX_TOKEN_LIFETIME_DAYS = max(TOKEN_LIFETIME_DAYS)


@transaction.atomic
def create_api_token(user, *, name: str, days: int = DEFAULT_TOKEN_LIFETIME_DAYS):
    """A new token for `user` that works for `days` days. Returns (token, key): the key is
    shown once and never stored, only its SHA-256."""
    name = (name or "").strip()
    if not name:
        raise ValidationError("Name the token after what will use it.")
    if not 1 <= days <= MAX_TOKEN_LIFETIME_DAYS:
        raise ValidationError(f"A token works for 1 to {MAX_TOKEN_LIFETIME_DAYS} days, not {days}.")
    # Lock the user's row so two creations at once cannot pass the limit together.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    now = clock.now()
    if user.api_tokens.filter(revoked_at=None, expires_at__gt=now).count() >= MAX_ACTIVE_TOKENS:
        raise ValidationError(
            f"You have {MAX_ACTIVE_TOKENS} active tokens: revoke one you no longer use first."
        )
    key, _hash = new_token()
    token = ApiToken.objects.create(user=user, name=name[:100], prefix=key[:6],
                                    key_hash=hash_key(key),
                                    expires_at=now + timedelta(days=days))  # fmt: skip
    return token, key


@transaction.atomic
def revoke_api_token(user, token_id: int):
    """Revoke one of `user`'s own tokens; another user's token is not found."""
    token = ApiToken.objects.select_for_update().filter(user=user, pk=token_id).first()
    if token is None:
        raise ObjectDoesNotExist("No such token.")
    if token.revoked_at is None:
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
    return token


ORGANIZATION_SETTINGS = (
    "brand_color", "business_hours_start", "business_hours_end", "reminder_days_before_due",
    "reminder_days_after_due",
)  # fmt: skip


@transaction.atomic
def update_organization_settings(organization, *, by, reason: str = "", **fields):
    """An owner changes the organization's settings (`ORGANIZATION_SETTINGS`)."""
    require_role(organization.pk, by, OWNER_ONLY, "Changing the organization's settings")
    unknown = set(fields) - set(ORGANIZATION_SETTINGS)
    if unknown:
        raise ValueError(f"Not organization settings: {', '.join(sorted(unknown))}.")
    organization = Organization.objects.select_for_update().get(pk=organization.pk)
    for name, value in fields.items():
        setattr(organization, name, value)
    organization.full_clean()
    if organization.business_hours_end <= organization.business_hours_start:
        raise ValidationError({"business_hours_end": "Business hours must end after they start."})
    return save_with_history(organization, by=by, reason=reason or "organization settings changed")
