from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class FamilyLoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Identifiant or email address"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": _(
            "Incorrect identifiant or password. Both fields are case-sensitive for the password."
        ),
        "inactive": _("This account is inactive."),
    }
