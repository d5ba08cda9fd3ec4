"""The site E911 page (Kari's Law, 933 tests, removal of the old carrier's record) with
its POST actions. Services check roles again."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.views.generic import DetailView
from django.views.generic.detail import SingleObjectMixin

from e911.karis.forms import DirectDialForm, RemoveOldRecordForm, Test933Form
from e911.karis.selectors import expected_callback_number, karis_law_items, site_default_location
from e911.karis.services import record_933_test, record_direct_dial, remove_old_e911_record
from e911.locations.services import E911_WRITERS
from e911.models import SiteE911, Test933
from sites.models import Site
from tenancy.rules import TransitionRefused
from tenancy.views_base import OrgMixin, ServiceActionView


class E911Writers:
    """Write roles of Kari's Law verification and 933 tests: technicians too."""

    write_roles = E911_WRITERS


def _site_e911_url(organization, site):
    return reverse("site-e911", args=[organization.slug, site.pk])


class SiteE911Page(OrgMixin, DetailView):
    model = Site
    template_name = "e911/site_e911.html"

    def get_queryset(self):
        return super().get_queryset().select_related("customer", "migration")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        site = self.object
        record = SiteE911.objects.filter(site=site).select_related(
            "direct_dial_verified_by", "old_record_removed_by"
        ).first()  # fmt: skip
        tests = list(
            Test933.objects.filter(site=site).select_related("recorded_by")
            .order_by("-called_at", "-pk")
        )  # fmt: skip
        initial = {}
        if record is not None:
            initial = {
                "method": record.direct_dial_method,
                "prefixes": ", ".join(record.outside_line_prefixes),
                "emergency_matched_first": record.emergency_matched_first,
                "recipients": "\n".join(record.notification_recipients),
            }
        number = expected_callback_number(site)
        context.update(
            record=record,
            items=karis_law_items(
                site, record=record, latest_test=tests[0] if tests else None, _loaded=True
            ),
            tests=tests,
            latest_test=tests[0] if tests else None,
            location=site_default_location(site),
            callback_number=number,
            direct_dial_form=DirectDialForm(initial=initial),
            test_form=Test933Form(),
            remove_form=RemoveOldRecordForm(),
            can_write_e911=self.membership.can_write(E911Writers),
        )
        return context


class _SiteAction(OrgMixin, SingleObjectMixin, ServiceActionView):
    model = Site
    refused = (ValidationError, TransitionRefused)

    def back_url(self, site):
        return _site_e911_url(self.organization, site)


class SiteDirectDial(_SiteAction):
    write_model = E911Writers
    form_class = DirectDialForm

    def act(self, site, data):
        record_direct_dial(
            site, by=self.request.user, method=data["method"], prefixes=data["prefixes"],
            emergency_matched_first=data["emergency_matched_first"],
            recipients=data["recipients"], reason=data["reason"],
        )  # fmt: skip
        return "Kari's Law verification recorded."


class SiteTest933(_SiteAction):
    write_model = E911Writers
    form_class = Test933Form

    def act(self, site, data):
        test = record_933_test(
            site, by=self.request.user, caller=data["caller"], called_at=data["called_at"],
            readback_address=data["readback_address"],
            readback_callback=data["readback_callback"],
        )  # fmt: skip
        if test.result == Test933.Result.PASS:
            return "933 test recorded: the read-back matches."
        messages.warning(
            self.request,
            "933 read-back mismatch: " + " ".join(test.differences)
            + " The project owner was alerted.",
        )  # fmt: skip
        return "933 test recorded."


class SiteRemoveOldRecord(_SiteAction):
    form_class = RemoveOldRecordForm

    def act(self, site, data):
        remove_old_e911_record(site, by=self.request.user, reason=data["reason"])
        return "Recorded: the old carrier's E911 record is removed."
