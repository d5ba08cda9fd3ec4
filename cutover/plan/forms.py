"""Forms of the cutover plan page. Times a person types are in the site's time zone (a
wave's site; a number's site), never the server's."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from cutover.models import CutoverPlan
from cutover.plan.selectors import number_site, site_zone
from porting.models import PhoneNumber, PortOrder
from sites.models import Endpoint, Site

_WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


_TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


def in_zone(value, zone):
    """A form's datetime (made aware in the server's zone) re-read as `zone`'s wall time."""
    if value is None:
        return None
    wall = timezone.make_naive(value) if timezone.is_aware(value) else value
    return wall.replace(tzinfo=zone)


class PlanForm(forms.ModelForm):
    reason = forms.CharField(required=False, max_length=200, label="Reason (history)")

    class Meta:
        model = CutoverPlan
        fields = ["model", "per_day_cap", "has_sbc", "business_hours_start",
                  "business_hours_end", "notes"]  # fmt: skip
        widgets = {"business_hours_start": _TIME, "business_hours_end": _TIME,
                   "notes": forms.Textarea(attrs={"rows": 2})}  # fmt: skip
        labels = {"per_day_cap": "Numbers per business day (cap)"}


class WaveForm(forms.Form):
    name = forms.CharField(max_length=100)
    site = forms.ModelChoiceField(queryset=Site.objects.none(), required=False,
                                  help_text="The window is in this site's time zone.")  # fmt: skip
    window_start = forms.DateTimeField(widget=_WHEN, label="Window starts (site's local time)")
    window_end = forms.DateTimeField(widget=_WHEN, label="Window ends (site's local time)")
    numbers = forms.ModelMultipleChoiceField(queryset=PhoneNumber.objects.none(), required=False,
                                             widget=forms.CheckboxSelectMultiple)  # fmt: skip
    endpoints = forms.ModelMultipleChoiceField(queryset=Endpoint.objects.none(), required=False,
                                               widget=forms.CheckboxSelectMultiple)  # fmt: skip
    port_orders = forms.ModelMultipleChoiceField(queryset=PortOrder.objects.none(),
                                                 required=False)  # fmt: skip
    reason = forms.CharField(required=False, max_length=200, label="Reason (history)")

    def __init__(self, *args, migration, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = Site.objects.filter(migration=migration)
        self.fields["numbers"].queryset = PhoneNumber.objects.filter(
            migration=migration
        ).select_related("site", "endpoint__site")
        self.fields["endpoints"].queryset = Endpoint.objects.filter(
            migration=migration
        ).select_related("site")
        self.fields["port_orders"].queryset = PortOrder.objects.filter(migration=migration)

    def clean(self):
        data = super().clean()
        site = data.get("site")
        zone = site_zone(site)
        for name in ("window_start", "window_end"):
            data[name] = in_zone(data.get(name), zone)
        if site is not None:
            # A wave cuts over one site: what belongs to another site goes in its own wave.
            for name, site_of in (("numbers", number_site), ("endpoints", lambda e: e.site)):
                elsewhere = [o for o in data.get(name) or () if site_of(o) not in (None, site)]
                if elsewhere:
                    self.add_error(name, f"{len(elsewhere)} of these are at another site "
                                   f"({', '.join(str(o) for o in elsewhere[:3])}): a wave "
                                   f"cuts over {site.name} only.")  # fmt: skip
        return data

    def picker_groups(self, name):
        """The choices of `name` ("numbers" or "endpoints") by site, for a picker that
        shows the chosen site's and counts them: [(site or None, [(value, label)])]."""
        site_of = number_site if name == "numbers" else (lambda e: e.site)
        groups: dict = {}
        for obj in self.fields[name].queryset.order_by("pk"):
            groups.setdefault(site_of(obj), []).append((obj.pk, str(obj)))
        return sorted(groups.items(), key=lambda item: (item[0] is None, str(item[0] or "")))


class ForwardingForm(forms.Form):
    number = forms.ModelChoiceField(queryset=PhoneNumber.objects.none())
    forward_to = forms.CharField(max_length=40, label="Forward to (the old system)")
    starts_at = forms.DateTimeField(widget=_WHEN, label="Starts (number's site local time)",
                                    help_text="Ends 24 hours later.")  # fmt: skip
    reason = forms.CharField(required=False, max_length=200, label="Reason (history)")

    def __init__(self, *args, migration, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["number"].queryset = PhoneNumber.objects.filter(
            migration=migration
        ).select_related("site", "endpoint__site")

    def clean(self):
        data = super().clean()
        number = data.get("number")
        data["starts_at"] = in_zone(data.get("starts_at"), site_zone(number_site(number)))
        return data
