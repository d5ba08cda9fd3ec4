"""Forms of the site network page."""

from __future__ import annotations

from django import forms

from cutover.models import NetworkAssessment
from cutover.plan.forms import _WHEN


class AssessmentForm(forms.ModelForm):
    reason = forms.CharField(required=False, max_length=200, label="Reason (history)")

    class Meta:
        model = NetworkAssessment
        fields = ["peak_concurrent_calls", "codec", "upstream_kbps", "downstream_kbps",
                  "jitter_ms", "loss_percent", "latency_ms", "test_days",
                  "voice_reservation_percent", "dscp_voice_ef", "dscp_signaling_cs3",
                  "poe_confirmed"]  # fmt: skip
        labels = {
            "upstream_kbps": "Measured upstream (kbps)",
            "downstream_kbps": "Measured downstream (kbps)",
            "jitter_ms": "Jitter (ms)",
            "loss_percent": "Packet loss (%)",
            "latency_ms": "One-way latency (ms)",
            "test_days": "Readiness test length (days)",
            "voice_reservation_percent": "Upstream reserved for voice (%)",
        }

    def clean_voice_reservation_percent(self):
        value = self.cleaned_data["voice_reservation_percent"]
        if value is not None and value > 100:
            raise forms.ValidationError("A percentage: 0 to 100.")
        return value


class ReadinessCsvForm(forms.Form):
    file = forms.FileField(label="Readiness test (CSV)")
    reason = forms.CharField(required=False, max_length=200, label="Reason (history)")


class SignOffForm(forms.Form):
    role = forms.ChoiceField(choices=[("it_lead", "IT lead"), ("vendor", "Vendor")])
    name = forms.CharField(max_length=200, label="Name of the person signing")
    signed_at = forms.DateTimeField(widget=_WHEN, required=False,
                                    label="Signed at (site's local time; empty: now)")  # fmt: skip
