"""The PM's E911 pages: locations and coverage per migration, endpoint assignment and
registrations, with their POST actions."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.views.generic import TemplateView
from django.views.generic.detail import SingleObjectMixin

from customers.views_base import ParentMigrationMixin
from e911.locations.forms import (
    AssignEndpointForm,
    ChangeLocationForm,
    LocationForm,
    RegistrationForm,
)
from e911.locations.selectors import coverage
from e911.locations.services import (
    assign_endpoint,
    change_location,
    create_location,
    set_registration,
)
from e911.models import DispatchableLocation, Registration
from porting.models import PhoneNumber
from sites.models import Endpoint
from tenancy.rules import TransitionRefused
from tenancy.views_base import OrgMixin, ServiceActionView


def _e911_url(view, migration):
    return reverse("migration-e911", args=[view.organization.slug, migration.uuid])


class MigrationE911(ParentMigrationMixin, OrgMixin, TemplateView):
    """Coverage per site, the locations (as entered, normalized, validation), endpoint
    assignment and registrations, with the forms to change them."""

    model = DispatchableLocation
    template_name = "e911/migration_e911.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        migration = self.get_migration()
        report = coverage(migration)
        for row in report.rows:  # links need the organization's slug: it is loaded already
            row.endpoint.organization = self.organization
            row.endpoint.site.organization = self.organization
        numbers = list(
            PhoneNumber.objects.filter(migration=migration)
            .select_related("e911_registration__location")
            .order_by("number")
        )
        for number in numbers:
            number.registration = getattr(number, "e911_registration", None)
        locations = list(
            DispatchableLocation.objects.filter(migration=migration)
            .select_related("site", "remote_worker")
            .order_by("-is_current", "site__name", "label", "pk")
        )
        # Each row's small form offers the same choices: load them once.
        current = [loc for loc in locations if loc.is_current]
        context.update(
            locations=locations,
            current_locations=current,
            site_locations=[loc for loc in current if loc.site_id],
            coverage=report,
            sites=sorted(report.by_site.items(), key=lambda kv: kv[0].name),
            numbers=numbers,
            location_form=LocationForm(migration=migration),
            statuses=Registration.Status.choices,
        )
        return context


class _Action(OrgMixin, SingleObjectMixin, ServiceActionView):
    """POST-only E911 actions; each goes back to the migration's E911 page."""

    refused = (ValidationError, TransitionRefused)

    def migration_of(self, target):
        return target.migration

    def build_form(self, target):
        return self.form_for(self.migration_of(target))

    def back_url(self, target):
        return _e911_url(self, self.migration_of(target))


class AddLocation(ParentMigrationMixin, OrgMixin, ServiceActionView):
    model = DispatchableLocation
    refused = (ValidationError, TransitionRefused)

    def target(self):
        return self.get_migration()

    def build_form(self, migration):
        return LocationForm(self.request.POST, migration=migration)

    def act(self, migration, data):
        data = dict(data)
        reason = data.pop("reason")
        location = create_location(migration=migration, by=self.request.user, reason=reason, **data)
        text = f"Location added: {location.get_validation_status_display()}."
        if location.validation_message:
            text += f" {location.validation_message}"
        return text

    def back_url(self, migration):
        return _e911_url(self, migration)


class ChangeLocation(_Action):
    model = DispatchableLocation

    def form_for(self, migration):
        return ChangeLocationForm(self.request.POST)

    def act(self, location, data):
        reason = data.pop("reason")
        new = change_location(location, by=self.request.user, reason=reason, **data)
        return (
            f"Location #{location.pk} replaced by #{new.pk} "
            f"({new.get_validation_status_display()}); the old one stays in history."
        )


class AssignEndpoint(_Action):
    model = Endpoint

    def form_for(self, migration):
        return AssignEndpointForm(self.request.POST, migration=migration)

    def act(self, endpoint, data):
        assign_endpoint(
            endpoint, by=self.request.user, location=data["location"],
            non_dialing=data["non_dialing"], exempt_reason=data["exempt_reason"],
        )  # fmt: skip
        return f"{endpoint}: E911 assignment saved."


class SetRegistration(_Action):
    model = PhoneNumber

    def form_for(self, migration):
        return RegistrationForm(self.request.POST, migration=migration)

    def act(self, number, data):
        set_registration(
            migration=number.migration, by=self.request.user, number=number,
            status=data["status"], location=data["location"],
            provider_reference=data["provider_reference"], message=data["message"],
        )  # fmt: skip
        return f"{number.display}: registration {data['status']}."
