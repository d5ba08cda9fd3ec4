"""The PM's side of remote workers: the list with each worker's status, adding a
worker, sending (or re-sending) the home-location link, revoking it."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.views.generic import TemplateView
from django.views.generic.detail import SingleObjectMixin

from customers.views_base import ParentMigrationMixin
from e911.models import RemoteWorker
from e911.remote.forms import BulkSendForm, RemoteWorkerForm, RevokeLinkForm
from e911.remote.selectors import worker_rows
from e911.remote.services import (
    add_remote_worker,
    revoke_location_link,
    send_location_link,
    send_location_links,
)
from tenancy.portal import portal_base_url, request_meta
from tenancy.roles import OWNER_PM
from tenancy.rules import TransitionRefused
from tenancy.views_base import OrgMixin, ServiceActionView


def _refusal(exc) -> str:
    if isinstance(exc, TransitionRefused):
        return exc.message
    return " ".join(exc.messages)


class RemoteWorkerList(ParentMigrationMixin, OrgMixin, TemplateView):
    """GET: the list. POST: add a worker."""

    model = RemoteWorker
    template_name = "e911/remote_workers.html"

    def get_form(self, data=None):
        return RemoteWorkerForm(data, migration=self.get_migration())

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = worker_rows(self.get_migration())
        context.update(
            rows=rows,
            form=form or self.get_form(),
            unconfirmed=sum(1 for r in rows if r["worker"].confirmed_at is None),
            waiting=sum(1 for r in rows if _waiting(r)),
            can_send=self.membership.role in OWNER_PM,
        )
        return context

    def post(self, request, *args, **kwargs):
        form = self.get_form(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                worker = add_remote_worker(
                    self.get_migration(), name=data["name"], email=data["email"],
                    endpoints=data["endpoints"], by=request.user,
                )  # fmt: skip
            except (ValidationError, TransitionRefused) as exc:
                if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
                    for field, errors in exc.message_dict.items():
                        form.add_error(field if field in form.fields else None, errors)
                else:
                    form.add_error(None, _refusal(exc))
            else:
                messages.success(request, f"Added {worker.name}. Send them the link next.")
                return HttpResponseRedirect(request.path)
        return self.render_to_response(self.get_context_data(form=form), status=400)


def _waiting(row) -> bool:
    """Still waiting for a link: not confirmed, and no link that works."""
    return row["worker"].confirmed_at is None and not row["live"]


class RemoteWorkerBulkSend(ParentMigrationMixin, OrgMixin, ServiceActionView):
    """Send the link to the ticked workers, or to every worker still waiting for one."""

    model = RemoteWorker
    form_class = BulkSendForm

    def target(self):
        return self.get_migration()

    def act(self, migration, data):
        if data["which"] == "waiting":
            workers = [r["worker"] for r in worker_rows(migration) if _waiting(r)]
        else:
            picked = [int(pk) for pk in self.request.POST.getlist("pk") if pk.isdigit()]
            workers = list(
                RemoteWorker.objects.filter(migration=migration, pk__in=picked).order_by("name")
            )
        if not workers:
            raise ValidationError(
                "Tick the workers to send to." if data["which"] == "selected"
                else "Every remote worker has a working link or has confirmed."
            )  # fmt: skip
        result = send_location_links(
            migration, workers, by=self.request.user, base_url=portal_base_url(self.request),
            meta=request_meta(self.request),
        )  # fmt: skip
        if result.not_sent:
            names = ", ".join(w.name for w in result.not_sent)
            messages.error(
                self.request,
                f"The mail server refused ({result.error}): nothing was sent to {names}. "
                "Send again to reach them; the links already sent still work.",
            )
        count = len(result.sent)
        return f"Link sent to {count} remote worker{'s' if count != 1 else ''}."

    def back_url(self, migration):
        return reverse("remote-worker-list", args=[self.organization.slug, migration.uuid])


class _WorkerAction(OrgMixin, SingleObjectMixin, ServiceActionView):
    model = RemoteWorker

    def get_queryset(self):
        return self.scoped(RemoteWorker.objects.select_related("migration"))

    def back_url(self, worker):
        return reverse("remote-worker-list", args=[self.organization.slug, worker.migration.uuid])


class RemoteWorkerSend(_WorkerAction):
    def act(self, worker, data):
        send_location_link(
            worker, by=self.request.user, base_url=portal_base_url(self.request),
            meta=request_meta(self.request),
        )  # fmt: skip
        # The link went to the worker only; the PM is told where, never what.
        return f"Link sent to {worker.email}; any earlier link no longer works."


class RemoteWorkerRevoke(_WorkerAction):
    form_class = RevokeLinkForm

    def act(self, worker, data):
        revoke_location_link(worker, by=self.request.user, reason=data.get("reason", ""))
        return f"The link sent to {worker.email} no longer works."
