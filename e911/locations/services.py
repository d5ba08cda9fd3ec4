"""E911 writes: dispatchable locations (create, validate, change), endpoint assignment and
registrations. Kari's Law, 933 tests, compliance and remote workers have their own
packages (e911/karis, e911/compliance, e911/remote)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from e911.models import (
    ADDRESS_FIELDS,
    UNIT_FIELDS,
    DispatchableLocation,
    EndpointE911,
    Registration,
    RemoteWorker,
    ValidationStatus,
)
from e911.validation import AddressInput, ValidationResult, get_validator
from tenancy import clock
from tenancy.history import save_with_history
from tenancy.roles import OWNER_PM, Role, require_role

E911_WRITERS = OWNER_PM | {Role.TECHNICIAN}


def _apply(location: DispatchableLocation, result: ValidationResult, validator_name: str):
    location.validation_status = result.status
    location.validation_message = result.message[:500]
    location.validator = validator_name[:60]
    location.provider_reference = result.reference[:120]
    location.validated_at = clock.now()
    location.normalized_line1 = result.line1
    location.normalized_line2 = result.line2
    location.normalized_city = result.city
    location.normalized_state = result.state
    location.normalized_postal_code = result.postal_code


def _input(location) -> AddressInput:
    return AddressInput(
        location.address_line1, location.address_line2, location.city, location.state,
        location.postal_code, location.floor, location.suite, location.room,
    )  # fmt: skip


@transaction.atomic
def create_location(*, migration, by, site=None, remote_worker=None, reason="", **fields):
    """A new location, validated at once by the configured validator."""
    require_role(migration.organization_id, by, E911_WRITERS, "Adding an E911 location")
    unknown = set(fields) - {*ADDRESS_FIELDS, *UNIT_FIELDS, "label", "is_site_default"}
    if unknown:
        raise ValidationError(f"Not location fields: {', '.join(sorted(unknown))}.")
    fields["state"] = (fields.get("state") or "").upper()
    location = DispatchableLocation(
        migration=migration, site=site, remote_worker=remote_worker, **fields
    )
    location.full_clean()
    validator = get_validator()
    _apply(location, validator.validate(_input(location)), validator.name)
    if location.is_site_default and site is not None:
        for old in DispatchableLocation.objects.select_for_update().filter(
            site=site, is_site_default=True, is_current=True
        ):
            old.is_site_default = False
            save_with_history(old, by=by, reason="another location became the site default",
                              update_fields=["is_site_default"])  # fmt: skip
    save_with_history(location, by=by, reason=reason or "E911 location added")
    return location


@transaction.atomic
def change_location(location: DispatchableLocation, *, by, reason="", **changes):
    """Change an address or unit: a new location replaces this one, which stays (not
    current) in history. Endpoints and registrations that used it move to the new one;
    their registrations go back to pending (the provider must see the new address)."""
    require_role(location.organization_id, by, E911_WRITERS, "Changing an E911 location")
    location = DispatchableLocation.objects.select_for_update().get(pk=location.pk)
    if not location.is_current:
        raise ValidationError("This location was already replaced; change the current one.")
    fields = {name: getattr(location, name) for name in (*ADDRESS_FIELDS, *UNIT_FIELDS, "label")}
    fields.update(changes)
    was_default = location.is_site_default
    location.is_current = False
    location.is_site_default = False
    save_with_history(location, by=by, reason=reason or "replaced by a changed address")
    new = create_location(
        migration=location.migration, by=by, site=location.site,
        remote_worker=location.remote_worker, reason=reason or "changed address",
        is_site_default=was_default, **fields,
    )  # fmt: skip
    location.superseded_by = new
    save_with_history(location, by=by, reason=f"superseded by location #{new.pk}")
    for assignment in EndpointE911.objects.select_for_update().filter(location=location):
        assignment.location = new
        save_with_history(assignment, by=by, reason=f"location #{location.pk} changed")
    if location.remote_worker_id:
        # The worker confirms their home themselves: a change made for them needs it again.
        worker = RemoteWorker.objects.select_for_update().get(pk=location.remote_worker_id)
        worker.confirmed_at = None
        save_with_history(worker, by=by, reason="home location changed: to be confirmed again",
                          update_fields=["confirmed_at"])  # fmt: skip
    for registration in Registration.objects.select_for_update().filter(location=location):
        registration.location = new
        registration.status = Registration.Status.PENDING
        registration.message = "The address changed: register the new one."
        save_with_history(registration, by=by, reason=f"location #{location.pk} changed")
    return new


@transaction.atomic
def revalidate_location(location: DispatchableLocation, *, by, reason=""):
    """Run the configured validator again (e.g. after a provider adapter was set up)."""
    require_role(location.organization_id, by, E911_WRITERS, "Validating an E911 location")
    location = DispatchableLocation.objects.select_for_update().get(pk=location.pk)
    if location.validation_status == ValidationStatus.VALIDATED:
        return location
    validator = get_validator()
    _apply(location, validator.validate(_input(location)), validator.name)
    save_with_history(location, by=by, reason=reason or f"validated by {validator.name}")
    return location


@transaction.atomic
def assign_endpoint(endpoint, *, by, location=None, non_dialing=False, exempt_reason="",
                    reason=""):  # fmt: skip
    """Give an endpoint its own location, or mark it a non-dialing line (with why)."""
    require_role(endpoint.organization_id, by, E911_WRITERS, "Assigning an E911 location")
    if location is not None and location.migration_id != endpoint.migration_id:
        raise ValidationError("The location belongs to another migration.")
    assignment, _created = EndpointE911.objects.select_for_update().get_or_create(endpoint=endpoint)
    assignment.location = location
    assignment.non_dialing = non_dialing
    assignment.exempt_reason = exempt_reason if non_dialing else ""
    assignment.full_clean()
    save_with_history(assignment, by=by, reason=reason or "E911 assignment changed")
    return assignment


@transaction.atomic
def set_registration(*, migration, by, number=None, endpoint=None, status, location=None,
                     provider_reference="", message="", reason=""):  # fmt: skip
    """Record a number's or endpoint's E911 registration at the winning carrier (by the
    PM, or by a provider adapter acting as a user)."""
    require_role(migration.organization_id, by, OWNER_PM, "Recording an E911 registration")
    if status not in Registration.Status.values:
        raise ValidationError(f"Unknown registration status {status!r}.")
    lookup = {"number": number} if number is not None else {"endpoint": endpoint}
    registration = Registration.objects.select_for_update().filter(**lookup).first()
    registration = registration or Registration(migration=migration, **lookup)
    if status == Registration.Status.ACTIVE and location is None and registration.location is None:
        raise ValidationError("An active registration names the location it registered.")
    if location is not None:
        if not location.dispatchable:
            raise ValidationError("Register a current, normalized or validated location.")
        registration.location = location
    registration.status = status
    registration.provider_reference = provider_reference[:120]
    registration.message = message[:500]
    registration.updated_by = by
    registration.updated_at = clock.now()
    registration.full_clean()
    save_with_history(registration, by=by, reason=reason or f"registration {status}")
    return registration
