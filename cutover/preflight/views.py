"""Pre-flight pages under /o/<slug>/: the technician's checklist form (phone width), the
migration's "print checklists" page that starts a job, the job's progress (polled by
htmx every 2 s) and the PDF download (docs/cutover-preflight.md)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.urls import reverse
from django.views.generic import DetailView, TemplateView

from customers.views_base import ParentMigrationMixin
from cutover.models import ChecklistJob, Preflight
from cutover.preflight.forms import PreflightForm, PrintChecklistsForm
from cutover.preflight.selectors import (
    CALLS,
    call_problem,
    not_passed_endpoints,
    passing_lines,
    preflight_summary,
    with_status,
)
from cutover.preflight.services import record_preflight, start_checklist_job
from e911.locations.selectors import coverage
from sites.models import Endpoint
from tenancy.portal import portal_base_url
from tenancy.views_base import OrgMixin
from tenancy.views_crud import OrgListView

NOT_PASSED_PER_PAGE = OrgListView.paginate_by  # like every list


class EndpointPreflight(OrgMixin, DetailView):
    """One endpoint's checklist: its facts, the checks, three calls and the sign-off."""

    model = Endpoint
    write_model = Preflight
    template_name = "cutover/preflight_form.html"
    context_object_name = "endpoint"

    def get_queryset(self):
        return (
            super().get_queryset()
            .select_related("site", "migration__customer", "preflight__signed_by")
            .defer("sip_password")
        )  # fmt: skip

    def _preflight(self):
        try:
            return self.object.preflight
        except Preflight.DoesNotExist:
            return None

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        endpoint = self.object
        preflight = self._preflight()
        context.update(
            preflight=preflight,
            status=preflight.status if preflight else Preflight.Status.NOT_STARTED,
            status_display=(
                preflight.get_status_display() if preflight else Preflight.Status.NOT_STARTED.label
            ),
            form=form or PreflightForm(preflight=preflight),
            numbers=list(endpoint.numbers.order_by("number")),
            location=self._location(endpoint),
            calls_required=CALLS,
            call_problem=call_problem(preflight.test_calls) if preflight else "",
            lines_passing=len(passing_lines(preflight.test_calls)) if preflight else 0,
        )
        return context

    def _location(self, endpoint):
        """The E911 location this endpoint's 911 calls carry (e911.selectors.coverage)."""

        for row in coverage(endpoint.migration, load="missing").rows:
            if row.endpoint_id == endpoint.pk:
                return row
        return None

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        form = PreflightForm(request.POST, preflight=self._preflight())
        if form.is_valid():
            try:
                preflight = record_preflight(
                    self.object, by=request.user, checks=form.checks(),
                    test_calls=form.test_calls(), sign=form.cleaned_data["sign"],
                )  # fmt: skip
            except ValidationError as exc:
                form.add_error("sign", exc)
            else:
                saved = f"Checklist saved: {preflight.get_status_display().lower()}."
                problem = call_problem(preflight.test_calls)
                if preflight.status == Preflight.Status.PASSED or not problem:
                    messages.success(request, saved)
                else:
                    # Saved, but why it has not passed comes with it, at the top.
                    messages.warning(request, f"{saved} Not passed yet: {problem}")
                return HttpResponseRedirect(request.path)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class MigrationChecklists(ParentMigrationMixin, OrgMixin, TemplateView):
    """Go/no-go counts, the endpoints not passed, and "print checklists" (a site or the
    whole migration) with the recent jobs."""

    model = ChecklistJob
    write_model = Preflight
    template_name = "cutover/preflight_migration.html"

    def get_context_data(self, form=None, **kwargs):
        context = super().get_context_data(**kwargs)
        migration = self.get_migration()
        summary = preflight_summary(migration, limit=0)  # the counts; the list is paged
        paginator = Paginator(not_passed_endpoints(migration), NOT_PASSED_PER_PAGE)
        paginator.count = summary.not_passed_count  # counted already: no second COUNT
        page = paginator.get_page(self.request.GET.get("page"))
        context.update(
            migration=migration,
            summary=summary,
            not_passed=with_status(page.object_list),
            page_obj=page,
            paginator=page.paginator,
            is_paginated=page.has_other_pages(),
            statuses=Preflight.Status.choices,
            form=form or PrintChecklistsForm(migration=migration),
            jobs=list(
                migration.checklist_jobs.select_related("site", "requested_by").order_by(
                    "-created_at", "-pk"
                )[:10]
            ),
        )
        return context

    def post(self, request, *args, **kwargs):
        migration = self.get_migration()
        form = PrintChecklistsForm(request.POST, migration=migration)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        job = start_checklist_job(
            migration, site=form.cleaned_data["site"], by=request.user,
            base_url=portal_base_url(request),
        )  # fmt: skip
        if getattr(job, "queue_down", False):
            # The job is saved; the broker is not answering (docs/operations.md).
            messages.warning(request, job.message)
        return HttpResponseRedirect(reverse("checklist-job", args=[self.organization.slug, job.pk]))


class _JobView(OrgMixin, DetailView):
    model = ChecklistJob
    write_model = Preflight  # who may start a job again ("can_write")
    context_object_name = "job"

    def get_queryset(self):
        return super().get_queryset().select_related("migration__customer", "site")


class ChecklistJobPage(_JobView):
    template_name = "cutover/preflight_job.html"


class ChecklistJobStatus(_JobView):
    """The progress partial htmx polls every 2 s (it stops polling once finished)."""

    template_name = "cutover/preflight_job_status.html"


class ChecklistJobDownload(_JobView):
    def get(self, request, *args, **kwargs):
        job = self.get_object()
        if job.status != ChecklistJob.Status.DONE or not job.pdf:
            raise Http404("The PDF is not ready.")
        scope = job.site.name if job.site else job.migration.name
        filename = f"preflight-checklists-{scope}-{job.pk}.pdf".replace(" ", "-")
        return FileResponse(
            job.pdf.open("rb"),
            content_type="application/pdf",
            as_attachment=True,
            filename=filename,
        )
