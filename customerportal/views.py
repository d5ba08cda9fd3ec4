"""The customer's portal (no account: the token is the key) and the PM's page that sends
its links and clears stuck flags."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView
from django.views.generic.detail import SingleObjectMixin

from customers.views_base import ParentMigrationMixin
from documents.paper import paper_for
from documents.render import render_pdf
from esign.models import LoaSignature
from porting import bills
from sites.models import Endpoint, Site
from tenancy import clock
from tenancy.portal import (
    DEAD_LINK_TEXT,
    LinkDead,
    LinkState,
    portal_base_url,
    portal_response,
    rate_limited,
)
from tenancy.views_base import OrgMixin, ServiceActionView

from . import questionnaire as q
from . import services
from .forms import BillForm, ContactsForm, ReasonForm, SendLinkForm, StuckForm
from .models import CustomerPortalLink, Questionnaire, StuckFlag
from .reminders import unsubscribe_legacy
from .selectors import find_link, pm_page, portal_page


class _PortalBase(View):
    def dispatch(self, request, token, **kwargs):
        if rate_limited(request, "customer-portal", settings.PORTAL_RATE_LIMIT_PER_MINUTE):
            return self.message(
                "Too many requests", "Please wait a minute and try again.", status=429
            )
        self.token = token
        self.link = find_link(token)
        if self.link is None:
            raise Http404("No such link.")
        state = self.link.link_state()
        if state != LinkState.ACTIVE:
            return self.message(
                "Link no longer valid",
                DEAD_LINK_TEXT[state],
                "Ask your project manager for a new link.",
                status=410,
            )
        return super().dispatch(request, token, **kwargs)

    def message(self, title, text, hint="", status=200):
        return portal_response(
            self.request,
            "esign/portal_message.html",
            {"title": title, "text": text, "hint": hint},
            status=status,
        )


@method_decorator(never_cache, name="dispatch")
class Portal(_PortalBase):
    http_method_names = ["get", "post"]

    DONE = {
        "contacts": "Thank you: the contacts are confirmed.",
        "bill": "Thank you: the bill is uploaded.",
        "stuck": "Thank you: your project manager has been told and will help.",
    }

    def page(self, *, status=200, action="", form=None, task_key=""):
        """The portal; with `form`, the refused form of `action` for task `task_key`,
        shown beside its task, or its errors at the top when that task shows no such form
        any more (done, or gone from the list)."""
        context = portal_page(self.link)
        context.update(
            link=self.link,
            link_token=self.token,
            notice=self.DONE.get(self.request.GET.get("done")),
            bill_form=form if action == "bill" else None,
            contacts_form=form if action == "contacts" else None,
            stuck_form=form if action == "stuck" else None,
            stuck_task=task_key if action == "stuck" else "",
        )
        if form is not None and not any(
            t.key == task_key and (t.action == action or (action == "stuck" and t.status != "done"))
            for t in context["tasks"]
        ):
            context["page_error"] = " ".join(e for errors in form.errors.values() for e in errors)
        return portal_response(self.request, "customerportal/portal.html", context, status=status)

    def get(self, request, token):
        services.seen(self.link)
        return self.page()

    def post(self, request, token):
        action = request.POST.get("action")
        if action == "bill":
            form = BillForm(request.POST, request.FILES)
            task_key = f"bill:{request.POST.get('account', '')}"
        elif action == "contacts":
            form = ContactsForm(request.POST)
            task_key = f"contacts:{request.POST.get('site', '')}"
        elif action == "stuck":
            form = StuckForm(request.POST)
            task_key = request.POST.get("task", "")
        else:
            raise Http404("No such action.")
        if not form.is_valid():
            return self.page(status=400, action=action, form=form, task_key=task_key)
        data = dict(form.cleaned_data)
        try:
            if action == "bill":
                upload = data["bill"]
                if upload.size > bills.MAX_BILL_BYTES:  # refused before it is read in
                    raise ValidationError(bills.too_large())
                services.upload_bill(self.link, account_id=data["account"],
                                     data=upload.read(), name=upload.name)  # fmt: skip
            elif action == "contacts":
                services.confirm_contacts(self.link, site_id=data.pop("site"), **data)
            else:
                services.raise_stuck(self.link, task_key=data["task"], note=data["note"])
        except LinkDead:
            return self.message(
                "Link no longer valid",
                "This link no longer works.",
                "Ask your project manager for a new link.",
                status=410,
            )
        except ValidationError as exc:
            for field, errors in getattr(exc, "message_dict", {None: exc.messages}).items():
                form.add_error(field if field in form.fields else None, errors)
            return self.page(status=400, action=action, form=form, task_key=task_key)
        # Post/redirect/get: a reload does not send it twice; the page says what happened.
        return HttpResponseRedirect(f"{request.path}?done={action}")


@method_decorator(never_cache, name="dispatch")
class PortalDocument(_PortalBase):
    """A signed LOA of this migration, sealed, as the customer's own copy."""

    http_method_names = ["get"]

    def get(self, request, token, pk):
        signature = LoaSignature.objects.filter(
            pk=pk, loa__port_order__migration=self.link.migration_id
        ).first()
        if signature is None:
            raise Http404("No such document.")
        with signature.sealed_pdf.open("rb") as handle:
            data = handle.read()
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{signature.document_id}.pdf"'
        response["Cache-Control"] = "no-store"
        return response


class PortalReadinessSummary(_PortalBase):
    """The readiness summary in the customer's words, printed: where the migration
    stands, each order's port date, the customer's tasks and the 911 checks, without the
    PM's fix links or internal details (A4 or Letter: `?paper=`)."""

    http_method_names = ["get"]

    def get(self, request, token):
        paper = paper_for(request)  # a wrong ?paper= is refused before any work
        context = {**portal_page(self.link), "paper": paper, "generated_at": clock.now()}
        html = render_to_string("customerportal/readiness_summary_pdf.html", context)
        response = HttpResponse(render_pdf(html), content_type="application/pdf")
        name = f"readiness-summary-{self.link.migration.uuid}-{paper.key}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "no-store"
        return response


# --- the PM's side --------------------------------------------------------------------


class PortalLinks(ParentMigrationMixin, OrgMixin, TemplateView):
    model = CustomerPortalLink
    template_name = "customerportal/pm_page.html"

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        migration = self.get_migration()
        customer = migration.customer
        initial = {"name": customer.main_contact_name, "email": customer.main_contact_email}
        context.update(pm_page(migration), form=form or SendLinkForm(initial=initial))
        return context

    def post(self, request, *args, **kwargs):
        form = SendLinkForm(request.POST)
        if form.is_valid():
            try:
                link = services.send_portal_link(
                    self.get_migration(),
                    name=form.cleaned_data["name"],
                    email=form.cleaned_data["email"],
                    by=request.user,
                    base_url=portal_base_url(request),
                )
            except ValidationError as exc:
                form.add_error(None, exc.messages)
            except OSError as exc:
                form.add_error(None, f"The email could not be sent ({exc}): nothing changed.")
            else:
                messages.success(request, f"Portal link sent to {link.email}.")
                return HttpResponseRedirect(request.path)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class RevokePortalLink(OrgMixin, SingleObjectMixin, ServiceActionView):
    model = CustomerPortalLink
    form_class = ReasonForm

    def act(self, link, data):
        services.revoke_portal_link(link, by=self.request.user, reason=data["reason"])
        return f"The link of {link.email} no longer works."

    def back_url(self, link):
        return reverse("customer-portal-links", args=[self.organization.slug, link.migration.uuid])


class ClearStuckFlag(OrgMixin, SingleObjectMixin, ServiceActionView):
    model = StuckFlag
    form_class = ReasonForm

    def act(self, flag, data):
        services.clear_stuck(flag, by=self.request.user, reason=data["reason"])
        return f"Cleared: {flag.task_title}."

    def back_url(self, flag):
        return flag.migration.get_absolute_url()


@method_decorator(never_cache, name="dispatch")
class QuestionnairePage(_PortalBase):
    """A site's questionnaire: save a draft at any time; submit runs every check and
    comes back with the problems beside their rows, the answers kept."""

    http_method_names = ["get", "post"]

    def dispatch(self, request, token, site_pk):
        self.site_pk = site_pk
        return super().dispatch(request, token, site_pk=site_pk)

    def page(self, answers, *, status=200, refused=None, notice=""):
        site = self.site
        people = list(answers.get("people", []))
        rows = [
            {"person": p, "errors": (refused.rows.get(i) if refused else None) or {}}
            for i, p in enumerate(people, start=1)
        ]
        rows += [{"person": {}, "errors": {}} for _ in range(max(3, 8 - len(people)))]
        return portal_response(self.request, "customerportal/questionnaire.html", {
            "link": self.link, "link_token": self.token, "site": site, "rows": rows,
            "answers": answers, "refused": refused, "notice": notice,
            "kinds": Endpoint.Kind.choices, "days": q.DAYS, "routing": q.ROUTING.items(),
            "organization": self.link.migration.organization,
            "questionnaire": self.questionnaire,
        }, status=status)  # fmt: skip

    def load(self):
        self.site = get_object_or_404(Site, pk=self.site_pk, migration=self.link.migration_id)
        self.questionnaire = Questionnaire.objects.filter(
            migration=self.link.migration_id, site=self.site
        ).first()

    def get(self, request, token, site_pk):
        self.load()
        notice = {"draft": "Draft saved.", "submitted": "Submitted: thank you."}.get(
            request.GET.get("done"), ""
        )
        return self.page(self.questionnaire.answers if self.questionnaire else {}, notice=notice)

    def post(self, request, token, site_pk):
        self.load()
        answers = q.clean_answers(request.POST)
        try:
            if request.POST.get("action") == "submit":
                q.submit(self.link, self.site, answers)
                done = "submitted"
            else:
                q.save_draft(self.link, self.site, answers)
                done = "draft"
        except LinkDead:
            return self.message(
                "Link no longer valid",
                "This link no longer works.",
                "Ask your project manager for a new link.",
                status=410,
            )
        except q.QuestionnaireRefused as exc:
            self.questionnaire = (
                Questionnaire.objects.filter(pk=getattr(self.questionnaire, "pk", None)).first()
                or self.questionnaire
            )
            return self.page(answers, status=400, refused=exc)
        except ValidationError as exc:
            return self.page(answers, status=400, refused=q.QuestionnaireRefused({}, exc.messages))
        return HttpResponseRedirect(f"{request.path}?done={done}")


class AcceptQuestionnaire(OrgMixin, SingleObjectMixin, ServiceActionView):
    model = Questionnaire
    form_class = ReasonForm

    def act(self, questionnaire, data):
        q.accept(questionnaire, by=self.request.user, base_url=portal_base_url(self.request))
        return (
            f"{questionnaire.site.name}: {len(questionnaire.people)} people added to the "
            "inventory; remote workers were sent their address links."
        )

    def back_url(self, questionnaire):
        return reverse(
            "customer-portal-links", args=[self.organization.slug, questionnaire.migration.uuid]
        )


@method_decorator(never_cache, name="dispatch")
class Unsubscribe(View):
    """No more reminders for this contact: honoured at once, said plainly."""

    http_method_names = ["get"]

    def get(self, request, token):
        link = unsubscribe_legacy(token)
        if link is None:
            raise Http404("No such link.")
        return portal_response(request, "esign/portal_message.html", {
            "title": "No more reminders",
            "text": f"We will not send reminders to {link.email} any more. Your portal link "
            "still works, and your project manager can still write to you.",
        })  # fmt: skip
