"""/home-location/<token>/: a remote worker enters or confirms their home address and
unit, sees the normalized result ("Is this right?") and confirms it. Same link rules
as the LOA portal (tenancy/portal.py); the link is not used up by confirming."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from e911.models import ValidationStatus
from e911.remote.forms import LOCATION_FIELDS, HomeAddressForm
from e911.remote.selectors import current_home, find_link
from e911.remote.services import ResultChanged, confirm_home_location, propose_home_location
from tenancy.portal import (
    DEAD_LINK_TEXT,
    LinkDead,
    LinkState,
    portal_response,
    rate_limited,
    request_meta,
)


@method_decorator(never_cache, name="dispatch")
class HomeLocationPortal(View):
    http_method_names = ["get", "post"]

    def dispatch(self, request, token):
        if rate_limited(request, "e911-home", settings.PORTAL_RATE_LIMIT_PER_MINUTE):
            return self.message("Too many requests", "Please wait a minute and try again.",
                                status=429)  # fmt: skip
        self.link = find_link(token)
        if self.link is None:
            raise Http404("No such link.")
        self.worker = self.link.worker
        return super().dispatch(request, token)

    def message(self, title, text, hint="", status=200):
        return portal_response(self.request, "esign/portal_message.html",
                      {"title": title, "text": text, "hint": hint}, status=status)  # fmt: skip

    def dead(self, state):
        return self.message(
            "Link no longer valid", DEAD_LINK_TEXT[state],
            "If you still need to enter your home address, ask the sender for a new link.",
            status=410,
        )  # fmt: skip

    def context(self, **extra):
        return {"worker": self.worker, "link": self.link,
                "customer": self.worker.migration.customer, **extra}  # fmt: skip

    def enter(self, form, *, status=200, notice=""):
        home = current_home(self.worker)
        return portal_response(self.request, "e911/remote_enter.html",
                      self.context(form=form, home=home, notice=notice), status=status)  # fmt: skip

    def check(self, form, location, *, status=200, notice=""):
        form = HomeAddressForm(initial={**form.location_fields(), "shown": location.one_line})
        return portal_response(self.request, "e911/remote_check.html",
                      self.context(form=form, location=location, notice=notice),
                      status=status)  # fmt: skip

    def get(self, request, token):
        state = self.link.link_state()
        if state != LinkState.ACTIVE:
            return self.dead(state)
        home = current_home(self.worker)
        initial = {name: getattr(home, name) for name in LOCATION_FIELDS} if home else {}
        return self.enter(HomeAddressForm(initial=initial))

    def post(self, request, token):
        state = self.link.link_state()
        if state != LinkState.ACTIVE:
            return self.dead(state)
        form = HomeAddressForm(request.POST)
        step = request.POST.get("step", "check")
        if not form.is_valid():
            return self.enter(form, status=400)
        if step == "edit":
            return self.enter(HomeAddressForm(initial=form.location_fields()))
        meta = request_meta(request)
        try:
            if step == "confirm":
                done = confirm_home_location(
                    self.link, fields=form.location_fields(), meta=meta,
                    shown=form.cleaned_data["shown"] or None,
                )  # fmt: skip
                return portal_response(request, "e911/remote_done.html", self.context(done=done))
            location = propose_home_location(self.link, fields=form.location_fields(), meta=meta)
        except LinkDead as exc:
            return self.dead(exc.state)
        except ResultChanged as exc:
            return self.check(form, exc.location, status=409, notice=str(exc))
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc.messages)
            return self.enter(form, status=400)
        if location.validation_status == ValidationStatus.FAILED:
            form.add_error(None, location.validation_message)
            return self.enter(form, status=400)
        return self.check(form, location)
