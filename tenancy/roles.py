"""Roles, the sets of roles that may do things, and the one role check every service
uses, so that the browser, the API and the command line agree (docs/tenancy-and-roles.md)."""

from __future__ import annotations

from django.db import models

from .rules import TransitionRefused


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    PROJECT_MANAGER = "pm", "Project manager"
    TECHNICIAN = "technician", "Technician"
    VIEWER = "viewer", "Viewer"


# Who may plan, change and decide: owners and project managers.
OWNER_PM = frozenset({Role.OWNER, Role.PROJECT_MANAGER})
# Who works on site as well: the technician records tests, checklists and port day.
ON_SITE = frozenset({Role.OWNER, Role.PROJECT_MANAGER, Role.TECHNICIAN})
OWNER_ONLY = frozenset({Role.OWNER})
# Roles that may change inventory records; a model widens it with `write_roles = ON_SITE`.
DEFAULT_WRITE_ROLES = OWNER_PM


def membership_of(organization_id, user):
    """The user's membership in the organization, or None."""
    from .models import Membership

    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return Membership.objects.filter(user=user, organization_id=organization_id).first()


def require_role(organization_id, user, roles, action: str):
    """Refuse (rule "role") unless `user` holds one of `roles` in the organization; the
    message names the action and the user's role. Returns the membership."""
    membership = membership_of(organization_id, user)
    if membership is None or membership.role not in roles:
        role = membership.get_role_display() if membership else "no role"
        raise TransitionRefused("role", f"{action} is not open to your role ({role}).")
    return membership
