"""Tenant scoping, in one place.

Every organization-owned model inherits `OrgScopedModel`, whose manager has
`.for_org(org)`. Views, the API, forms, filters and the admin all reach rows through
`scope_queryset()` below, so the rule "only this organization's rows" is written once.
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from .models import Organization


class OrgQuerySet(models.QuerySet):
    def for_org(self, organization):
        return self.filter(organization=organization)


class OrgScopedModel(models.Model):
    """Abstract base: the row belongs to `organization`, derived from its parents.

    `org_parents` names the foreign keys that must belong to the same organization;
    the first one set supplies the organization on save.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="+", editable=False
    )
    objects = OrgQuerySet.as_manager()

    org_parents: tuple[str, ...] = ()
    # Parents an existing row may not move to: its children would be left behind.
    fixed_parents: tuple[str, ...] = ()
    # Browser URL names are "<ui_name>-<action>" taking (org slug, url_key).
    ui_name: str = ""
    # Pages beyond overview and history (orders change only through their transitions).
    ui_actions: tuple[str, ...] = ("update", "delete")

    class Meta:
        abstract = True

    @property
    def url_key(self):
        return self.pk

    def ui_url(self, action="detail"):
        return reverse(f"{self.ui_name}-{action}", args=[self.organization.slug, self.url_key])

    def get_absolute_url(self):
        return self.ui_url("detail")

    def breadcrumb_parents(self):
        """Objects above this one in the browser's navigation, outermost first."""
        return []

    def _parent_orgs(self):
        for name in self.org_parents:
            parent_id = getattr(self, f"{name}_id", None)
            if parent_id is not None:
                yield name, getattr(self, name).organization_id

    def assign_organization(self):
        """Take the organization from the parents; refuse parents from two organizations."""
        orgs = dict(self._parent_orgs())
        if orgs and not self.organization_id:
            self.organization_id = next(iter(orgs.values()))
        wrong = [name for name, org_id in orgs.items() if org_id != self.organization_id]
        if wrong:
            raise ValidationError({name: "Belongs to another organization." for name in wrong})

    def derive_from_parents(self):
        """Fill fields that follow from other parents (e.g. a site's customer from its
        migration). Runs before field validation and on every save."""

    def clean_fields(self, exclude=None):
        self.derive_from_parents()
        super().clean_fields(exclude=exclude)

    def clean(self):
        super().clean()
        self.assign_organization()
        self.refuse_moving_parents()

    def refuse_moving_parents(self):
        if not self.pk or not self.fixed_parents:
            return
        columns = [f"{name}_id" for name in self.fixed_parents]
        stored = type(self)._default_manager.filter(pk=self.pk).values(*columns).first()
        if stored is None:
            return
        moved = {
            name: f"A saved {self._meta.verbose_name} cannot move to another {name}; "
            f"create a new one there instead."
            for name, column in zip(self.fixed_parents, columns, strict=True)
            if stored[column] != getattr(self, column)
        }
        if moved:
            raise ValidationError(moved)

    def save(self, *args, **kwargs):
        self.derive_from_parents()
        self.assign_organization()
        super().save(*args, **kwargs)


def is_org_scoped(model) -> bool:
    return isinstance(model, type) and issubclass(model, OrgScopedModel)


def scope_queryset(queryset, organization):
    """Narrow any queryset to what `organization` may see. The only scoping rule."""
    model = queryset.model
    if is_org_scoped(model):
        return queryset.filter(organization=organization)
    if model is Organization:
        return queryset.filter(pk=organization.pk)
    if model is get_user_model():
        return queryset.filter(memberships__organization=organization).distinct()
    raise TypeError(f"{model.__name__} has no organization scoping rule")


def scope_form_fields(fields, organization):
    """Restrict every model-choice field (form or filter) to the organization."""
    for field in fields.values():
        queryset = getattr(field, "queryset", None)
        if isinstance(queryset, models.QuerySet):
            field.queryset = scope_queryset(queryset, organization)
