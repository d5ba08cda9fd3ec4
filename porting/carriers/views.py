"""The carrier pages: the organization's connections (owners and PMs), the actions on
a carrier account (Request CSR), the numbers (Check portability) and an order (Submit to
carrier, Sync, notes, activation), and the provider's webhook endpoint."""

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import TemplateView
from django.views.generic.detail import SingleObjectMixin

import rowsecurity
from customers.views_base import ParentMigrationMixin
from tenancy import clock
from tenancy.models import Organization
from tenancy.roles import OWNER_PM
from tenancy.rules import TransitionRefused
from tenancy.views_base import OrgMixin, ServiceActionView

from ..models import (
    CarrierAccount,
    CarrierConnection,
    CarrierEvent,
    PhoneNumber,
    PortOrder,
    PostPortTestCall,
)
from . import services
from .base import BadSignature, CarrierError, Operation
from .forms import (
    CarrierReasonForm,
    ConnectionChoiceForm,
    ConnectionForm,
    NoteForm,
    OrderConnectionForm,
)
from .registry import MANUAL, adapter_for
from .selectors import connection_page, connection_rows

logger = logging.getLogger(__name__)


def carrier_refusal(exc: CarrierError) -> TransitionRefused:
    return TransitionRefused(
        "carrier_error",
        f"{exc.message} Nothing changed here; the order's exchange log shows the request.",
    )


class _CarrierAction(OrgMixin, SingleObjectMixin, ServiceActionView):
    """A POST action that calls a provider: its failure reads like any refusal."""

    form_class = CarrierReasonForm

    def act(self, target, data):
        try:
            return self.carry(target, data)
        except CarrierError as exc:
            raise carrier_refusal(exc) from exc

    def carry(self, target, data) -> str:
        raise NotImplementedError

    def back_url(self, target):
        return target.get_absolute_url()


# -- connections -----------------------------------------------------------------------------


class _ConnectionPage(OrgMixin, TemplateView):
    model = CarrierConnection

    def get(self, request, *args, **kwargs):
        if self.membership.role not in OWNER_PM:
            raise PermissionDenied("Carrier connections are for owners and project managers.")
        return super().get(request, *args, **kwargs)


@method_decorator(sensitive_post_parameters("api_key"), name="dispatch")
class ConnectionList(_ConnectionPage):
    template_name = "porting/connections.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault(
            "form", ConnectionForm(initial={"provider": "telnyx", "is_active": True})
        )
        context["connections"] = connection_rows(self.organization)
        return context

    def post(self, request, org_slug):
        form = ConnectionForm(request.POST)
        if form.is_valid():
            connection = form.save(commit=False)
            connection.organization = self.organization
            try:
                services.save_connection(
                    connection,
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                    api_key=form.api_key_value() or "",
                )
            except (ValidationError, TransitionRefused) as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, f"Connection {connection.name} added.")
                return _redirect(connection.get_absolute_url())
        return self.render_to_response(self.get_context_data(form=form), status=400)


def _redirect(url):
    from django.http import HttpResponseRedirect

    return HttpResponseRedirect(url)


def _form_errors(form, exc):
    if isinstance(exc, TransitionRefused):
        form.add_error(None, exc.message)
    elif hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


@method_decorator(sensitive_post_parameters("api_key"), name="dispatch")
class ConnectionDetail(_ConnectionPage):
    template_name = "porting/connection_detail.html"

    def resolve_url_objects(self):
        self.object = get_object_or_404(
            self.scoped(CarrierConnection.objects.all()), pk=self.kwargs["pk"]
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        connection = self.object
        context.setdefault("form", ConnectionForm(instance=connection))
        context.update(
            object=connection,
            connection=connection,
            webhook_url=self.request.build_absolute_uri(connection.webhook_path),
            **connection_page(connection),
        )
        return context

    def post(self, request, org_slug, pk):
        connection = self.object
        form = ConnectionForm(request.POST, instance=connection)
        if form.is_valid():
            try:
                services.save_connection(
                    form.save(commit=False),
                    by=request.user,
                    reason=form.cleaned_data["reason"],
                    api_key=form.api_key_value(),
                )
            except (ValidationError, TransitionRefused) as exc:
                _form_errors(form, exc)
            else:
                messages.success(request, "Connection saved.")
                return _redirect(connection.get_absolute_url())
        return self.render_to_response(self.get_context_data(form=form), status=400)


# -- carrier account: CSR --------------------------------------------------------------------


class AccountRequestCsr(_CarrierAction):
    model = CarrierAccount
    write_model = CarrierAccount

    def build_form(self, account):
        return ConnectionChoiceForm(
            self.request.POST,
            connections=services.active_connections(self.organization, Operation.CSR),
        )

    def carry(self, account, data):
        return services.request_csr(account, data["connection"], by=self.request.user).text


# -- numbers: portability --------------------------------------------------------------------


class NumbersPortability(ParentMigrationMixin, OrgMixin, ServiceActionView):
    """Check every number of the migration not yet ported (or one number's)."""

    model = PhoneNumber

    def target(self):
        return self.get_migration()

    def build_form(self, migration):
        return ConnectionChoiceForm(
            self.request.POST,
            connections=services.active_connections(self.organization, Operation.PORTABILITY),
        )

    def act(self, migration, data):
        numbers = migration.numbers.filter(status=PhoneNumber.Status.LEGACY).order_by("number")
        pk = self.request.POST.get("number")
        if pk:
            numbers = numbers.filter(pk=pk)
        try:
            rows = services.check_portability(
                data["connection"], list(numbers), by=self.request.user
            )
        except CarrierError as exc:
            raise carrier_refusal(exc) from exc
        return services.portability_text(rows)

    def back_url(self, migration):
        number = self.request.POST.get("number")
        if number and number.isdigit():
            return reverse("number-detail", args=[self.organization.slug, int(number)])
        return reverse("number-list", args=[self.organization.slug, migration.uuid])


# -- port orders -----------------------------------------------------------------------------


class _OrderCarrierAction(_CarrierAction):
    model = PortOrder

    def get_queryset(self):
        return super().get_queryset().select_related("connection", "carrier_account")


class OrderSetConnection(_OrderCarrierAction):
    def build_form(self, order):
        return OrderConnectionForm(
            self.request.POST, connections=services.active_connections(self.organization)
        )

    def carry(self, order, data):
        services.set_order_connection(
            order, data["connection"], by=self.request.user, reason=data["reason"]
        )
        chosen = data["connection"]
        return f"The order now goes {f'through {chosen}' if chosen else 'by hand'}."


class OrderSubmit(_OrderCarrierAction):
    def carry(self, order, data):
        order = services.submit_to_carrier(order, by=self.request.user, reason=data["reason"])
        foc = (
            f" Requested FOC {order.requested_foc_at:%Y-%m-%d %H:%M} UTC."
            if order.requested_foc_at
            else ""
        )
        return f"Submitted to the carrier (order {order.provider_order_id}).{foc}"


class OrderSync(_OrderCarrierAction):
    def carry(self, order, data):
        rows = services.sync_order(order, by=self.request.user)
        fresh = PortOrder.objects.get(pk=order.pk)
        flagged = sum(r.status == CarrierEvent.Status.FLAGGED for r in rows)
        text = (
            f"Synced: the carrier says {fresh.provider_status or 'nothing new'}; the order is "
            f"{fresh.get_state_display().lower()}."
        )
        return text + (f" {flagged} change(s) flagged for you below." if flagged else "")


class OrderPortability(_OrderCarrierAction):
    def carry(self, order, data):
        rows = services.check_portability(
            order.connection, list(order.numbers.all()), by=self.request.user, order=order
        )
        return services.portability_text(rows)


class OrderNoteAdd(_OrderCarrierAction):
    form_class = NoteForm

    def carry(self, order, data):
        note = services.add_note(order, data["body"], by=self.request.user)
        return "Note added" + (" and sent to the carrier." if note.provider_note_id else ".")


class OrderCancelAtCarrier(_OrderCarrierAction):
    def carry(self, order, data):
        status = services.cancel_at_carrier(order, by=self.request.user, reason=data["reason"])
        return (
            f"Cancellation asked of the carrier (now {status}); the order is cancelled here "
            "when the carrier confirms."
        )


class OrderActivate(_OrderCarrierAction):
    write_model = PostPortTestCall  # technicians run port day

    def carry(self, order, data):
        job = services.activate_on_carrier(order, by=self.request.user)
        return (
            f"Activation requested (job {job.id}, {job.status}): port day starts when the "
            "carrier reports the port."
        )


class EventDismiss(OrgMixin, SingleObjectMixin, ServiceActionView):
    model = CarrierEvent

    def act(self, event, data):
        services.dismiss_event(event, by=self.request.user)
        return "Dismissed."

    def back_url(self, event):
        return (
            event.port_order.get_absolute_url()
            if event.port_order_id
            else reverse(
                "carrier-connection-detail", args=[self.organization.slug, event.connection_id]
            )
        )


# -- the provider's webhooks -----------------------------------------------------------------


@csrf_exempt
def carrier_webhook(request, org, connection_uuid):
    """A provider's event for one connection: verified (a bad signature or a replay is
    refused), stored once, applied. Another organization's URL, a manual or disabled
    connection, or one whose provider sends no events: 404, as for a missing one."""
    organization = Organization.objects.filter(slug=org).first()
    if organization is None:
        raise Http404("No such connection.")
    # The request now serves this organization (row-level security): the URL names it,
    # and only a verified signature lets anything be written.
    rowsecurity.enter_organizations([organization.pk])
    connection = (
        CarrierConnection.objects.filter(
            organization=organization, uuid=connection_uuid, is_active=True
        )
        .exclude(provider=MANUAL)
        .select_related("organization")
        .first()
    )
    bound = adapter_for(connection) if connection else None
    if bound is None or not bound.offered(Operation.EVENTS):
        raise Http404("No such connection.")
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "POST"})
    try:
        event = bound.parse_event(request.headers, request.body, now=clock.now())
    except BadSignature as exc:
        logger.warning("carrier webhook refused for connection #%s: %s", connection.pk, exc)
        return JsonResponse({"refused": str(exc)}, status=403)
    row = services.receive_event(connection, event)
    return JsonResponse(
        {
            "event": event.id,
            "status": row.status,
            "duplicate": bool(getattr(row, "duplicate", False)),
        }
    )
