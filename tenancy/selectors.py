from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

import rowsecurity

from .models import Membership


def membership_for(user, org_slug: str) -> Membership:
    """The user's membership in the organization named by the URL, or 404.

    Not being a member answers exactly like a missing organization. Pages and the API
    decide their request's organization here, and only here: from now on the database
    session shows only this organization's rows (rowsecurity, the second wall)."""
    if not user.is_authenticated:
        raise Http404
    try:
        membership = Membership.objects.select_related("organization").get(
            user=user, organization__slug=org_slug
        )
    except Membership.DoesNotExist:
        raise Http404 from None
    rowsecurity.enter_organizations([membership.organization_id])
    return membership


def memberships_of(user):
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user).select_related("organization")


def count_of(model, *, where=None, **outer):
    """Subquery counting `model` rows whose `field` points at the outer row (plus `where`)."""
    field, ref = next(iter(outer.items()))
    rows = (
        model.objects.filter(**{field: OuterRef(ref)}, **(where or {}))
        .order_by()
        .values(field)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)
