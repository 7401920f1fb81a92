from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ReminderSettings


class ReminderSettingsForm(forms.ModelForm):
    class Meta:
        model = ReminderSettings
        fields = [
            "enabled",
            "first_delay_days",
            "second_delay_days",
            "minimum_amount",
            "first_text",
            "second_text",
        ]


class PauseForm(forms.Form):
    until = forms.DateField(
        label=_("Paused until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave empty to pause until you resume them."),
    )
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)
