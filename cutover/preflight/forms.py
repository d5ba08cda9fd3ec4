"""The technician's pre-flight form: each check pass/fail with a note, three external test
calls (outside line + result) and the sign-off; and the print-checklists form."""

from __future__ import annotations

from django import forms

from cutover.preflight.selectors import CALLS, CHECKS
from porting.forms import NanpNumberField
from sites.models import Site

RESULT_CHOICES = [("", "Not done"), ("pass", "Pass"), ("fail", "Fail")]


class PreflightForm(forms.Form):
    sign = forms.BooleanField(
        required=False,
        label="I tested this endpoint as recorded above (sign-off)",
    )

    def __init__(self, *args, preflight=None, **kwargs):
        initial = kwargs.pop("initial", None) or {}
        if preflight is not None:
            for code, value in (preflight.checks or {}).items():
                ok = value.get("ok")
                initial[f"check_{code}"] = "" if ok is None else ("pass" if ok else "fail")
                initial[f"note_{code}"] = value.get("note", "")
            for i, call in enumerate(preflight.test_calls or [], start=1):
                initial[f"call{i}_line"] = call.get("line", "")
                initial[f"call{i}_result"] = call.get("result", "")
        super().__init__(*args, initial=initial, **kwargs)
        for check in CHECKS:
            self.fields[f"check_{check.code}"] = forms.ChoiceField(
                choices=RESULT_CHOICES, required=False, label=check.title,
                help_text=check.how, widget=forms.RadioSelect,
            )  # fmt: skip
            self.fields[f"note_{check.code}"] = forms.CharField(
                required=False, max_length=300, label="Note",
                widget=forms.TextInput(attrs={"placeholder": "Note (optional)"}),
            )  # fmt: skip
        for i in range(1, CALLS + 1):
            self.fields[f"call{i}_line"] = NanpNumberField(
                required=False, max_length=30, label=f"Call {i}: called from (outside line)",
                widget=forms.TextInput(attrs={"inputmode": "tel", "placeholder": "(303) 555-0100"}),
            )  # fmt: skip
            self.fields[f"call{i}_result"] = forms.ChoiceField(
                choices=RESULT_CHOICES, required=False, label=f"Call {i}: result",
                widget=forms.RadioSelect,
            )  # fmt: skip
        self.fields["sign"] = self.fields.pop("sign")  # last

    def check_rows(self):
        return [(c, self[f"check_{c.code}"], self[f"note_{c.code}"]) for c in CHECKS]

    def call_rows(self):
        return [(i, self[f"call{i}_line"], self[f"call{i}_result"]) for i in range(1, CALLS + 1)]

    def clean(self):
        data = super().clean()
        for i in range(1, CALLS + 1):
            if data.get(f"call{i}_result") and not data.get(f"call{i}_line"):
                self.add_error(f"call{i}_line", "Which outside line called?")
        return data

    def checks(self) -> dict:
        data = self.cleaned_data
        result = {}
        for check in CHECKS:
            value = data.get(f"check_{check.code}") or ""
            note = data.get(f"note_{check.code}") or ""
            if value or note:
                result[check.code] = {"ok": None if not value else value == "pass", "note": note}
        return result

    def test_calls(self) -> list:
        data = self.cleaned_data
        calls = []
        for i in range(1, CALLS + 1):
            line, outcome = data.get(f"call{i}_line") or "", data.get(f"call{i}_result") or ""
            calls.append({"line": line, "result": outcome})
        while calls and not calls[-1]["line"] and not calls[-1]["result"]:
            calls.pop()
        return calls


class PrintChecklistsForm(forms.Form):
    site = forms.ModelChoiceField(
        queryset=Site.objects.none(), required=False, empty_label="Whole migration (all sites)"
    )

    def __init__(self, *args, migration, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = migration.sites.order_by("name")
