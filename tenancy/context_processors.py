from .admin_base import can_use_admin
from .selectors import memberships_of


def organization(request):
    membership = getattr(request, "membership", None)
    return {
        "organization": getattr(request, "organization", None),
        "membership": membership,
        # Lazy: evaluated only by templates that render the switcher.
        "my_memberships": lambda: list(memberships_of(request.user)),
        "can_admin": lambda: can_use_admin(request.user),
    }
