from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from .selectors import memberships_of


@login_required
def home(request):
    """Send a user with one organization straight to it; otherwise let them choose."""
    memberships = list(memberships_of(request.user))
    if len(memberships) == 1:
        return redirect("org-home", org_slug=memberships[0].organization.slug)
    return render(request, "tenancy/choose_organization.html", {"memberships": memberships})
