from django import forms
from django.utils.translation import gettext_lazy as _

from parents.choosers import use_family_chooser

from .models import REJECT_REASONS, DirectDebitSettings


class MandateSignatureForm(forms.Form):
    """What a parent gives to sign a mandate online. The IBAN is checked by the service."""

    holder_name = forms.CharField(
        label=_("Account holder"),
        max_length=70,
        help_text=_("First name and name, as on your bank details (RIB)."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    iban = forms.CharField(
        label=_("IBAN"),
        max_length=50,
        help_text=_("27 characters for a French account, starting with FR76; spaces allowed."),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )
    bic = forms.CharField(
        label=_("BIC (optional)"),
        max_length=11,
        required=False,
        help_text=_("Found from the IBAN for most banks; asked only when it cannot be."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    consent = forms.BooleanField(
        label=_(
            "I have read the mandate above and I sign it: I authorise the debits of my "
            "account as it says."
        ),
        required=False,
    )


class PaperMandateForm(forms.Form):
    family = forms.ModelChoiceField(label=_("Family"), queryset=None)
    holder_name = forms.CharField(label=_("Account holder"), max_length=70)
    iban = forms.CharField(label=_("IBAN"), max_length=50)
    bic = forms.CharField(label=_("BIC (optional)"), max_length=11, required=False)
    signed_on = forms.DateField(
        label=_("Date of signature"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, families, **kwargs):
        super().__init__(*args, **kwargs)
        use_family_chooser(self.fields["family"], families)


class RevokeForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class PrepareBatchForm(forms.Form):
    collection_date = forms.DateField(
        label=_("Collection date"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("At least 14 days from today: families are told beforehand."),
    )


class RejectForm(forms.Form):
    line = forms.ModelChoiceField(label=_("Debit rejected"), queryset=None)
    code = forms.ChoiceField(
        label=_("Reason code"),
        choices=[(code, f"{code} — {label}") for code, label in REJECT_REASONS.items()],
    )
    reject_date = forms.DateField(
        label=_("Date of the reject"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, lines, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["line"].queryset = lines
        self.fields["line"].label_from_instance = lambda line: (
            f"{line.family} — {line.amount} € — {line.end_to_end_id}"
        )


class ReturnFileForm(forms.Form):
    file = forms.FileField(
        label=_("Bank return (camt.054 XML)"),
        help_text=_("The file of rejected debits your bank makes available."),
    )


MONTH_CHOICES = [
    (str(number), label)
    for number, label in enumerate(
        [
            _("January"),
            _("February"),
            _("March"),
            _("April"),
            _("May"),
            _("June"),
            _("July"),
            _("August"),
            _("September"),
            _("October"),
            _("November"),
            _("December"),
        ],
        start=1,
    )
]


class DirectDebitSettingsForm(forms.ModelForm):
    months = forms.MultipleChoiceField(
        label=_("Months with a debit"),
        choices=MONTH_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The schedule: untick the months without a debit (e.g. July and August)."),
    )

    class Meta:
        model = DirectDebitSettings
        fields = [
            "enabled",
            "creditor_name",
            "creditor_identifier",
            "creditor_iban",
            "creditor_bic",
            "debit_day",
            "notice_days",
            "minimum_amount",
            "reject_fee",
            "mandate_text",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["months"] = [str(m) for m in self.instance.months()]

    def clean(self):
        cleaned = super().clean()
        # No month ticked is the field's own "required" error; emptying the instance too
        # would raise the model's error on a field this form does not have (a 500).
        if cleaned.get("months"):
            self.instance.collection_months = ",".join(cleaned["months"])
        return cleaned


def add_validation_errors(form, exc):
    """A service's `ValidationError` shown on the form: on its field when the form has it."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        form.add_error(None, exc.messages[0])
