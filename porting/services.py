from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django_fsm import can_proceed

from tenancy.history import save_with_history

from .models import PhoneNumber

# Transitions a person may trigger by hand until port orders drive them.
MANUAL_NUMBER_TRANSITIONS = ("start_porting", "abandon_port", "mark_ported", "go_live")


@transaction.atomic
def transition_number(number: PhoneNumber, name: str, *, by=None, reason: str = ""):
    """Apply one status transition, with the row locked against a concurrent change."""
    if name not in MANUAL_NUMBER_TRANSITIONS:
        raise PermissionDenied(f"'{name}' is not a transition you can apply by hand.")
    locked = PhoneNumber.objects.select_for_update().get(pk=number.pk)
    method = getattr(locked, name)
    if not can_proceed(method):
        raise ValidationError(
            f"Cannot {name.replace('_', ' ')}: the number is {locked.get_status_display().lower()}."
        )
    method()
    return save_with_history(locked, by=by, reason=reason)
