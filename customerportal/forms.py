from django import forms


class SendLinkForm(forms.Form):
    name = forms.CharField(max_length=200, label="Contact's name")
    email = forms.EmailField(label="Contact's email")


class ReasonForm(forms.Form):
    reason = forms.CharField(required=False, max_length=200, label="Reason (history)")


class BillForm(forms.Form):
    account = forms.IntegerField(widget=forms.HiddenInput)
    bill = forms.FileField(label="The bill (PDF, PNG or JPEG, at most 10 MB)")


class ContactsForm(forms.Form):
    site = forms.IntegerField(widget=forms.HiddenInput)
    contact_name = forms.CharField(max_length=200, label="On-site contact")
    contact_phone = forms.CharField(max_length=40, label="Their phone")
    contact_email = forms.EmailField(required=False, label="Their email")
    after_hours_contact = forms.CharField(max_length=200, required=False,
                                          label="After hours: name and phone")  # fmt: skip


class StuckForm(forms.Form):
    task = forms.CharField(widget=forms.HiddenInput, max_length=60)
    note = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, label="What is in the way?",
        error_messages={"required": "Tell us what is in the way, so we can help."},
    )  # fmt: skip
