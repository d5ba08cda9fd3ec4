"""The organization's webhook endpoints and their delivery log. Owners manage endpoints;
project managers see the log and replay deliveries. The services check roles again."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.generic import TemplateView
from django.views.generic.detail import SingleObjectMixin

from tenancy.roles import OWNER_ONLY, OWNER_PM
from tenancy.rules import TransitionRefused
from tenancy.views_base import OrgMixin, ServiceActionView

from . import services
from .forms import EndpointForm, ToggleForm
from .models import WebhookDelivery, WebhookEndpoint
from .selectors import endpoint_rows, recent_deliveries


class _WebhookPage(OrgMixin, TemplateView):
    model = WebhookEndpoint

    def get(self, request, *args, **kwargs):
        if self.membership.role not in OWNER_PM:
            raise PermissionDenied("Webhooks are for the organization's owners and PMs.")
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_manage"] = self.membership.role in OWNER_ONLY
        return context


class WebhookList(_WebhookPage):
    template_name = "webhooks/list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            endpoints=endpoint_rows(self.organization), form=EndpointForm(),
            new_secret=kwargs.get("new_secret"), new_endpoint=kwargs.get("new_endpoint"),
        )  # fmt: skip
        return context

    def post(self, request, org_slug):
        form = EndpointForm(request.POST)
        if form.is_valid():
            try:
                endpoint, secret = services.create_endpoint(
                    self.organization, by=request.user, url=form.cleaned_data["url"],
                    description=form.cleaned_data["description"],
                    event_types=form.cleaned_data["event_types"],
                )  # fmt: skip
            except (ValidationError, TransitionRefused) as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, f"Endpoint {endpoint.url} added.")
                # The secret is shown in this response only: it is stored encrypted.
                return self.render_to_response(
                    self.get_context_data(new_secret=secret, new_endpoint=endpoint)
                )
        context = self.get_context_data()
        context["form"] = form
        return self.render_to_response(context, status=400)


def _add_errors(form, exc):
    if isinstance(exc, TransitionRefused):
        form.add_error(None, exc.message)
    elif hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class WebhookDetail(_WebhookPage):
    template_name = "webhooks/detail.html"

    def resolve_url_objects(self):
        self.endpoint = get_object_or_404(self.scoped(WebhookEndpoint.objects.all()),
                                          pk=self.kwargs["pk"])  # fmt: skip

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        endpoint = self.endpoint
        form = EndpointForm(initial={"url": endpoint.url, "description": endpoint.description,
                                     "event_types": endpoint.event_types})  # fmt: skip
        context.update(endpoint=endpoint, deliveries=recent_deliveries(endpoint), form=form,
                       new_secret=kwargs.get("new_secret"))  # fmt: skip
        return context


class _EndpointAction(OrgMixin, SingleObjectMixin, ServiceActionView):
    model = WebhookEndpoint

    def back_url(self, endpoint):
        return reverse("webhook-detail", args=[self.organization.slug, endpoint.pk])


class UpdateEndpoint(_EndpointAction):
    form_class = EndpointForm

    def act(self, endpoint, data):
        services.update_endpoint(endpoint, by=self.request.user, url=data["url"],
                                 description=data["description"],
                                 event_types=data["event_types"])  # fmt: skip
        return "Endpoint saved."


class ToggleEndpoint(_EndpointAction):
    form_class = ToggleForm

    def act(self, endpoint, data):
        services.update_endpoint(endpoint, by=self.request.user, is_active=data["is_active"])
        return (
            "Endpoint enabled: new events are sent to it."
            if data["is_active"]
            else ("Endpoint disabled: nothing is sent to it.")
        )


class RotateSecret(WebhookDetail):
    """POST: a new secret, shown once on the endpoint's page."""

    http_method_names = ["post"]

    def post(self, request, org_slug, pk):
        try:
            secret = services.rotate_secret(self.endpoint, by=request.user)
        except TransitionRefused as exc:
            messages.error(request, f"Nothing changed: {exc.message}")
            secret = None
        else:
            messages.success(request, "New secret made: the old one no longer signs anything.")
        return self.render_to_response(self.get_context_data(new_secret=secret))


class DeleteEndpoint(_EndpointAction):
    def act(self, endpoint, data):
        services.delete_endpoint(endpoint, by=self.request.user)
        return f"Endpoint {endpoint.url} removed."

    def back_url(self, endpoint):
        return reverse("webhook-list", args=[self.organization.slug])


class ReplayDelivery(OrgMixin, SingleObjectMixin, ServiceActionView):
    model = WebhookDelivery

    def act(self, delivery, data):
        services.replay(delivery, by=self.request.user)
        return f"{delivery.event.type} {delivery.event.message_id} queued again."

    def back_url(self, delivery):
        return reverse("webhook-detail", args=[self.organization.slug, delivery.endpoint_id])
