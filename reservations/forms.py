from pathlib import Path

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import WEEKDAY_CHOICES, ReminderPreference

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
# What a certificate may be, recognised by its first bytes rather than by its name alone.
DOCUMENT_SIGNATURES = {
    ".pdf": (b"%PDF-",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
}


class TypicalWeekForm(forms.Form):
    """Book the same weekdays and unit on every open day of a period."""

    weekdays = forms.TypedMultipleChoiceField(
        label=_("Days of the week"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    unit = forms.TypedChoiceField(label=_("Unit"), coerce=int)
    wait_if_full = forms.BooleanField(
        label=_("Join the waiting list of the days that are full"), required=False
    )

    def __init__(self, *args, period, units, **kwargs):
        super().__init__(*args, **kwargs)
        names = dict(WEEKDAY_CHOICES)
        self.fields["weekdays"].choices = [(day, names[day]) for day in period.weekday_numbers]
        self.fields["unit"].choices = [(unit.pk, unit.name) for unit in units]
        self.units = {unit.pk: unit for unit in units}

    def clean_unit(self):
        return self.units[self.cleaned_data["unit"]]


class JustificationForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the absence"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    document = forms.FileField(
        label=_("Document (medical certificate…)"),
        help_text=_("PDF, JPEG or PNG, 5 MB at most."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"}),
    )

    def clean_document(self):
        document = self.cleaned_data["document"]
        extension = Path(document.name).suffix.lower()
        if extension not in DOCUMENT_SIGNATURES:
            raise forms.ValidationError(_("Send a PDF, JPEG or PNG file."))
        if document.size > MAX_DOCUMENT_BYTES:
            raise forms.ValidationError(_("The file is larger than 5 MB."))
        head = document.read(16)
        document.seek(0)
        if not head.startswith(DOCUMENT_SIGNATURES[extension]):
            raise forms.ValidationError(_("This file is not a readable PDF, JPEG or PNG."))
        return document


class ReminderPreferenceForm(forms.ModelForm):
    class Meta:
        model = ReminderPreference
        fields = ["send_reminders"]
        labels = {"send_reminders": _("Email me a reminder before booking deadlines")}
        help_texts = {
            "send_reminders": _(
                "Sent when a deadline is near and a child has no booking for the days it closes."
            )
        }
