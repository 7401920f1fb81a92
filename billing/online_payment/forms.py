"""The amount a parent chooses to pay online, and the structure's option that allows it."""

from django import forms
from django.utils.translation import gettext_lazy as _

from core.money import format_euros, parse_euros

from . import services
from .models import OnlinePaymentSettings


class EurosField(forms.CharField):
    """An amount typed the French way or the English way ("36,07", "36.07", "1 234,50 €").

    A text input, not a number one: browsers read a number field in their own locale and
    may drop a comma without a word. The value is a Decimal as typed, not rounded.
    """

    default_error_messages = {
        "invalid": _("Enter an amount in euros, for example 36,07."),
    }

    # Checked on the text, before it is read: CharField's own length check would run on the
    # Decimal this field returns.
    MAX_LENGTH = 20

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget",
            forms.TextInput(
                attrs={
                    "inputmode": "decimal",
                    "autocomplete": "off",
                    "spellcheck": "false",
                    "maxlength": self.MAX_LENGTH,
                }
            ),
        )
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if value in self.empty_values:
            return None
        try:
            if len(value) > self.MAX_LENGTH:
                raise ValueError(value)
            return parse_euros(value)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class PaymentAmountForm(forms.Form):
    """How much of the balance to pay now: the balance is offered, any amount from the
    structure's minimum up to it may be typed. The limits are the service's, checked again
    when the attempt opens and before the card is charged."""

    amount = EurosField(label=_("Amount to pay (in euros)"))

    def __init__(self, *args, family, balance, **kwargs):
        super().__init__(*args, **kwargs)
        self.family = family
        self.balance = balance
        minimum = format_euros(family.structure.online_payment_minimum)
        self.fields["amount"].help_text = _(
            "From %(minimum)s to %(balance)s (your balance due), for example 36,07."
        ) % {"minimum": minimum, "balance": format_euros(balance)}
        self.fields["amount"].error_messages["required"] = _("Enter the amount to pay.")

    def clean_amount(self):
        # PaymentNotAllowed is a ValidationError: its sentence becomes the field's error.
        return services.check_chosen_amount(self.family, self.cleaned_data["amount"], self.balance)


class OnlinePaymentSettingsForm(forms.ModelForm):
    """The structure's option, on the director's settings page."""

    class Meta:
        model = OnlinePaymentSettings
        fields = ["free_amount"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The director sees the figure the option works with, not only where it is set.
        field = self.fields["free_amount"]
        minimum = format_euros(self.instance.structure.online_payment_minimum)
        field.help_text = "{} {}".format(
            field.help_text,
            _(
                'Minimum for this structure: %(minimum)s (set on the structure, "minimum '
                'balance for online payment").'
            )
            % {"minimum": minimum},
        )
