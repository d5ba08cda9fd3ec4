from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView
from django.views.generic.detail import SingleObjectMixin

from customers.views_base import (
    MigrationBulkActionView,
    MigrationChildListView,
    ParentMigrationMixin,
)
from documents.render import render_pdf
from tenancy import clock
from tenancy.csp import allow_document_styles
from tenancy.rules import TransitionRefused
from tenancy.selectors import count_of
from tenancy.views_base import OrgMixin, ServiceActionView, refusal_text
from tenancy.views_crud import (
    OrgCreateView,
    OrgDeleteView,
    OrgDetailView,
    OrgHistoryView,
    OrgUpdateView,
    ReasonForm,
)

from .carriers.base import Operation
from .carriers.selectors import order_carrier
from .carriers.services import active_connections
from .filters import CarrierAccountFilter, PhoneNumberFilter
from .forms import (
    NUMBER_TRANSITION_CHOICES,
    CarrierAccountForm,
    FocChangeForm,
    LoaFieldsForm,
    NumberBulkEditForm,
    OrderNumbersForm,
    OrderTransitionForm,
    PartialPortForm,
    PhoneNumberForm,
    PortOrderForm,
    TestCallForm,
    TransitionForm,
)
from .models import CarrierAccount, PhoneNumber, PortOrder, PostPortTestCall
from .selectors import loa_document, order_page, porting_board, reject_code_choices
from .services import (
    LOA_FIELDS,
    acknowledge_warnings,
    bulk_edit_numbers,
    change_foc,
    change_order_numbers,
    create_port_order,
    loa_defaults,
    old_service_cancel_refusal,
    prepare_loa,
    record_old_service_cancelled,
    record_test_call,
    save_carrier_account,
    split_partial_port,
    transition_number,
    transition_order,
)
from .zones import order_zones


class NumberViews:
    model = PhoneNumber

    def get_queryset(self):
        return super().get_queryset().select_related("site", "endpoint", "migration__customer")


class NumberList(NumberViews, MigrationChildListView):
    template_name = "porting/number_list.html"
    filterset_class = PhoneNumberFilter
    table_template = "porting/_number_table.html"
    title = "Numbers"
    sort_fields = {
        "number": "number", "kind": "kind", "purpose": "purpose", "status": "status",
        "site": "site__name", "endpoint": ("endpoint__extension", "endpoint__display_name"),
    }  # fmt: skip
    bulk_form_class = NumberBulkEditForm
    bulk_url_name = "number-bulk-edit"
    export_kind = "numbers"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["portability_connections"] = active_connections(
            self.organization, Operation.PORTABILITY
        )
        return context


class NumberBulkEdit(MigrationBulkActionView):
    model = PhoneNumber
    form_class = NumberBulkEditForm
    filterset_class = PhoneNumberFilter
    list_url_name = "number-list"

    def act(self, migration, data):
        changed = bulk_edit_numbers(
            migration, self.rows(data), purpose=data["purpose"], transition=data["transition"],
            by=self.request.user, reason=data["reason"],
        )  # fmt: skip
        return f"{len(changed)} number{'s' if len(changed) != 1 else ''} updated."


class NumberDetail(NumberViews, OrgDetailView):
    template_name = "porting/number_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        number = self.object
        orders = list(number.port_orders.select_related("organization").order_by("-pk"))
        open_order = next((o for o in orders if o.state in PortOrder.OPEN_STATES), None)
        available = {t.name for t in number.get_available_status_transitions()}
        context.update(
            port_orders=orders,
            open_order=open_order,
            # An open order drives the status; by hand only when no order does.
            transitions=[] if open_order else [
                (name, label) for name, label in NUMBER_TRANSITION_CHOICES if name in available
            ],
            portability_connections=active_connections(self.organization, Operation.PORTABILITY),
        )  # fmt: skip
        return context


class _NumberFormMixin:
    form_class = PhoneNumberForm

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["migration"] = self.form_migration()
        return kwargs


class NumberCreate(_NumberFormMixin, ParentMigrationMixin, NumberViews, OrgCreateView):
    def form_migration(self):
        return self.get_migration()

    def new_instance(self):
        return PhoneNumber(organization=self.organization, migration=self.get_migration())


class NumberUpdate(_NumberFormMixin, NumberViews, OrgUpdateView):
    def form_migration(self):
        return self.object.migration


class NumberDelete(NumberViews, OrgDeleteView):
    def get_success_url(self):
        return reverse("number-list", args=[self.organization.slug, self.object.migration.uuid])


class NumberHistory(NumberViews, OrgHistoryView):
    pass


class NumberTransition(OrgMixin, SingleObjectMixin, ServiceActionView):
    model = PhoneNumber
    form_class = TransitionForm

    def act(self, number, data):
        transition_number(number, data["transition"], by=self.request.user,
                          reason=data["reason"])  # fmt: skip
        return "Status updated."

    def back_url(self, number):
        return number.get_absolute_url()


# -- carrier accounts --------------------------------------------------------------------


class CarrierAccountViews:
    model = CarrierAccount

    def get_queryset(self):
        return super().get_queryset().select_related("migration__customer")


class CarrierAccountList(CarrierAccountViews, MigrationChildListView):
    filterset_class = CarrierAccountFilter
    table_template = "porting/_carrier_account_table.html"
    title = "Carrier accounts"
    sort_fields = {
        "carrier": "carrier_name", "type": "carrier_type", "account": "account_number",
        "btn": "btn", "csr_name": "csr_account_name", "csr_date": "csr_date",
        "numbers": "number_count",
    }  # fmt: skip

    def decorate(self, queryset):
        return (
            super()
            .decorate(queryset)
            .annotate(number_count=count_of(PhoneNumber, carrier_account="pk"))
        )


class CarrierAccountBill(CarrierAccountViews, OrgDetailView):
    """A bill of the account, as uploaded (checked to be a PDF, PNG or JPEG)."""

    def get(self, request, *args, **kwargs):
        account = self.get_object()
        bill = account.bills.filter(pk=kwargs["bill_pk"]).first()
        if bill is None:
            raise Http404("No such bill.")
        with bill.file.open("rb") as handle:
            response = HttpResponse(handle.read(), content_type=bill.content_type)
        extension = {"application/pdf": "pdf", "image/png": "png"}.get(bill.content_type, "jpg")
        response["Content-Disposition"] = f'attachment; filename="bill-{bill.pk}.{extension}"'
        response["X-Content-Type-Options"] = "nosniff"
        return response


class CarrierAccountDetail(CarrierAccountViews, OrgDetailView):
    template_name = "porting/carrier_account_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["cancel_refusal"] = old_service_cancel_refusal(self.object)
        context["csr_connections"] = active_connections(self.organization, Operation.CSR)
        return context


@method_decorator(sensitive_post_parameters("pin"), name="dispatch")
class CarrierAccountCreate(ParentMigrationMixin, CarrierAccountViews, OrgCreateView):
    form_class = CarrierAccountForm

    def new_instance(self):
        return CarrierAccount(organization=self.organization, migration=self.get_migration())


@method_decorator(sensitive_post_parameters("pin"), name="dispatch")
class CarrierAccountUpdate(CarrierAccountViews, OrgUpdateView):
    form_class = CarrierAccountForm
    save_service = staticmethod(save_carrier_account)


class CarrierAccountDelete(CarrierAccountViews, OrgDeleteView):
    def get_success_url(self):
        return reverse(
            "carrier-account-list", args=[self.organization.slug, self.object.migration.uuid]
        )


class CarrierAccountHistory(CarrierAccountViews, OrgHistoryView):
    pass


# -- port orders -------------------------------------------------------------------------


class PortingBoard(ParentMigrationMixin, OrgMixin, TemplateView):
    """Orders by stage, days in stage and the FOC countdown, with the planner's dates."""

    model = PortOrder
    template_name = "porting/board.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(porting_board(self.get_migration(), now=clock.now()))
        return context


class PortOrderCreate(ParentMigrationMixin, OrgMixin, FormView):
    model = PortOrder
    form_class = PortOrderForm
    template_name = "porting/order_form.html"

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["migration"] = self.get_migration()
        return kwargs

    def get_initial(self):
        return {"winning_carrier": ""}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            self.order = create_port_order(
                data["carrier_account"],
                data["numbers"],
                winning_carrier=data["winning_carrier"],
                requested_date=data["requested_date"],
                by=self.request.user,
                reason=data["reason"],
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
            return self.form_invalid(form)
        messages.success(self.request, f"Created {self.order}.")
        return HttpResponseRedirect(self.order.get_absolute_url())


class PortOrderViews:
    model = PortOrder

    def get_queryset(self):
        return (
            super()
            .get_queryset()
            .select_related("migration__customer", "migration__owner", "carrier_account", "parent")
        )


class PortOrderDetail(PortOrderViews, OrgDetailView):
    template_name = "porting/order_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(order_page(self.object, user=self.request.user))
        loa = context["loa"]
        # The first version starts from the CSR and the account (what the carrier checks),
        # so the PM changes only what differs; later ones from the previous version.
        context["loa_form"] = LoaFieldsForm(
            initial={f: getattr(loa, f) for f in LOA_FIELDS} if loa else loa_defaults(self.object)
        )
        context["order_zone"] = order_zones([self.object])[self.object.pk].key
        context["test_form"] = TestCallForm(order=self.object)
        context["partial_form"] = PartialPortForm(order=self.object)
        context["foc_form"] = FocChangeForm(
            initial={"foc_timezone": self.object.foc_timezone or "America/New_York"}
        )
        context["reject_codes"] = reject_code_choices()
        context.update(order_carrier(self.object, user=self.request.user))
        return context


class PortOrderHistory(PortOrderViews, OrgHistoryView):
    pass


class _OrderAction(PortOrderViews, OrgMixin, SingleObjectMixin, ServiceActionView):
    """POST-only actions on an order. Each redirects back to it with a message."""

    def back_url(self, order):
        return order.get_absolute_url()


class PortOrderTransition(_OrderAction):
    form_class = OrderTransitionForm
    # Technicians may start port day and report a failure; the service checks each
    # transition's roles and names the rule when it refuses.
    write_model = PostPortTestCall

    def act(self, order, data):
        order = transition_order(
            order, data["transition"], by=self.request.user, reason=data["reason"],
            expected_state=data["expected_state"], **self.form.context(),
        )  # fmt: skip
        return f"{order}: now {order.get_state_display()}."


class PortOrderPrepareLoa(_OrderAction):
    form_class = LoaFieldsForm

    def build_form(self, order):
        return LoaFieldsForm(self.request.POST)

    def act(self, order, data):
        loa = prepare_loa(order, by=self.request.user, **data)
        return f"LOA version {loa.version} prepared: check the findings, then have it signed."


class PortOrderAcknowledge(_OrderAction):
    form_class = ReasonForm

    def act(self, order, data):
        codes = acknowledge_warnings(order, by=self.request.user, reason=data["reason"])
        return f"Acknowledged: {', '.join(codes) or 'no warnings'}."


class PortOrderChangeFoc(_OrderAction):
    form_class = FocChangeForm

    def act(self, order, data):
        change_foc(
            order,
            new_foc_at=data["new_foc_at"],
            reason=data["reason"],
            by=self.request.user,
            confirmation_number=data["confirmation_number"],
            foc_timezone=data["foc_timezone"],
        )
        return "FOC changed; the old date is kept in the FOC history."


class PortOrderTestCall(_OrderAction):
    model = PortOrder
    write_model = PostPortTestCall

    def build_form(self, order):
        return TestCallForm(self.request.POST, order=order)

    def act(self, order, data):
        record_test_call(
            order, data["number"], called_from=data["called_from"], passed=data["passed"],
            note=data["note"], by=self.request.user,
        )  # fmt: skip
        return "Test call recorded."


class PortOrderNumbers(PortOrderViews, OrgMixin, SingleObjectMixin, FormView):
    """Change an order's numbers before it is submitted: numbers taken off go back to
    the migration's inventory; added ones are checked against the accounts' CSRs; the
    LOA gets a new version that lists them, to be signed again."""

    template_name = "porting/order_numbers.html"
    form_class = OrderNumbersForm

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "order": self.object}

    def form_valid(self, form):
        data = form.cleaned_data
        try:
            change_order_numbers(
                self.object, add=data["add"], remove=data["remove"], by=self.request.user,
                reason=data["reason"],
            )  # fmt: skip
        except (ValidationError, TransitionRefused) as exc:
            form.add_error(None, refusal_text(exc))
            return self.form_invalid(form)
        added, removed = len(data["add"]), len(data["remove"])
        text = f"Numbers changed: {added} added, {removed} taken off."
        if self.object.loas.exists():
            text += " The LOA has a new version that lists them: check it and have it signed."
        messages.success(self.request, text)
        return HttpResponseRedirect(self.object.get_absolute_url())


class PortOrderPartial(_OrderAction):
    def build_form(self, order):
        return PartialPortForm(self.request.POST, order=order)

    def act(self, order, data):
        child = split_partial_port(
            order, moved=data["moved"], by=self.request.user, reason=data["reason"]
        )
        return f"Numbers that did not port are now on {child}."


class CarrierAccountCancelService(CarrierAccountViews, OrgMixin, SingleObjectMixin,
                                  ServiceActionView):  # fmt: skip
    """Record that the old carrier's service was cancelled: refused until it is safe."""

    form_class = ReasonForm

    def act(self, account, data):
        record_old_service_cancelled(account, by=self.request.user,
                                     reason=data.get("reason", ""))  # fmt: skip
        return "Recorded: the old carrier service is cancelled."

    def back_url(self, account):
        return account.get_absolute_url()


class PortOrderLoaPreview(PortOrderViews, OrgDetailView):
    """The current LOA version exactly as it will be rendered, in the browser."""

    template_name = "porting/loa_document.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        loa = self.object.current_loa()
        if loa is None:
            raise Http404("No LOA yet.")
        context["doc"] = loa_document(loa)
        return context

    def render_to_response(self, context, **response_kwargs):
        response = super().render_to_response(context, **response_kwargs).render()
        # The letter is a whole document with its own style sheet: that one, and only it,
        # is allowed by its hash (tenancy/csp.py, docs/security.md).
        return allow_document_styles(response, response.content.decode())


class PortOrderLoaPdf(PortOrderLoaPreview):
    """The same document as a PDF, rendered with no access to files or the network."""

    def render_to_response(self, context, **response_kwargs):
        html = render_to_string(self.template_name, context, request=self.request)
        pdf = render_pdf(html)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="{context["doc"]["document_id"]}.pdf"'
        return response
