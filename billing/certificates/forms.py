"""Forms of the certificates' admin pages."""

from django import forms
from django.utils.translation import gettext_lazy as _


class ConvertToPaymentForm(forms.Form):
    """Issue a flagged tax-credit certificate as a plain payment certificate."""

    reason = forms.CharField(
        label=_("Reason"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown to the directors in the certificate's detail and kept in the history."),
    )
    confirm = forms.BooleanField(
        label=_(
            "I confirm: this certificate will be a payment certificate, without any mention "
            "of the childcare tax credit."
        ),
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Give the reason for issuing a payment certificate."))
        return reason
