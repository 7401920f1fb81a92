import unicodedata
from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from wagtail.admin.forms.auth import PasswordResetForm as WagtailPasswordResetForm

from .models import User


class FamilyLoginForm(AuthenticationForm):
    username = forms.CharField(
        label=_("Username or email address"),
        max_length=254,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    error_messages = {
        "invalid_login": _(
            "Incorrect username or password. Both fields are case-sensitive for the password."
        ),
        "inactive": _("This account is inactive."),
    }


class FamilyPasswordResetForm(PasswordResetForm):
    """ "Forgotten password?": a link for every active login using that address.

    Unlike Django's form, logins still waiting for their first password are included, so a
    guardian whose invitation expired can get a new link here. The visitor always sees the
    same answer, whether the address is known or not.
    """

    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )

    def get_users(self, email):
        users = User._default_manager.filter(email__iexact=email, is_active=True).order_by("pk")
        # Django's own guard against look-alike Unicode addresses matching in the database.
        return (user for user in users if _same_address(email, user.email))

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        user = context["user"]
        guardian = user.guardian_or_none
        context.update(
            guardian=guardian,
            structure=guardian.family.structure if guardian else None,
            username=user.get_username(),
            link=settings.SITE_URL
            + reverse(
                "parents:password-reset-confirm",
                kwargs={"uidb64": context["uid"], "token": context["token"]},
            ),
            expires_at=timezone.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT),
            reset_url=settings.SITE_URL + reverse("parents:password-reset"),
        )
        # Parents get French emails whatever language the visitor's browser asked for.
        with translation.override(settings.LANGUAGE_CODE):
            super().send_mail(
                subject_template_name,
                email_template_name,
                context,
                from_email,
                to_email,
                html_email_template_name=html_email_template_name,
            )


class StaffPasswordResetForm(WagtailPasswordResetForm):
    """Wagtail's "forgotten password" at /admin/password_reset/, for staff logins only.

    Parents have their own page in the family area; an admin reset link sent to a parent
    would only lead them to a login page that is not theirs (and tell whoever typed the
    address that it belongs to a parent). Unknown and non-staff addresses get the same
    answer and no e-mail.
    """

    def get_users(self, email):
        from .middleware import can_access_admin

        return (user for user in super().get_users(email) if can_access_admin(user))


def _same_address(a, b):
    return (
        unicodedata.normalize("NFKC", a).casefold() == unicodedata.normalize("NFKC", b).casefold()
    )
