"""Forms of the staff second factor: confirming a new authenticator app, then entering a code."""

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from django_otp import devices_for_user
from django_otp.plugins.otp_totp.models import TOTPDevice

INVALID_CODE = _("This code is not valid. Check the code shown by your authenticator app.")
THROTTLED = _("Too many attempts in a short time. Wait a few seconds, then enter a new code.")


def normalise_code(value):
    # Apps display "123 456" and backup codes may be typed in capitals.
    return "".join(value.split()).lower()


def looks_like_totp(code):
    # TOTP devices show 6 or 8 digits; backup codes always contain a letter.
    return code.isdigit() and len(code) in (6, 8)


def is_totp_code(device, code):
    return looks_like_totp(code) and len(code) == device.digits


def may_accept(device, code):
    """Whether `code` has the shape of this device's codes: only those count as its attempts."""
    if isinstance(device, TOTPDevice):
        return is_totp_code(device, code)
    return not looks_like_totp(code)


class DeviceConfirmationForm(forms.Form):
    """Checks the first code of a pending TOTP device: proof that the app holds the same key.

    `device` is the unconfirmed device being enrolled; the form never confirms it, the view does.
    A wrong code counts against the device's own throttling like any other attempt.
    """

    code = forms.CharField(
        label=_("6-digit code shown by the app"),
        max_length=16,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "autofocus": True,
                "autocapitalize": "none",
                "spellcheck": "false",
                "size": 8,
            }
        ),
    )

    def __init__(self, device, *args, **kwargs):
        self.device = device
        super().__init__(*args, **kwargs)

    def clean_code(self):
        code = normalise_code(self.cleaned_data["code"])
        if not is_totp_code(self.device, code):
            raise ValidationError(_("Enter the 6 digits shown by the app."), code="format")
        # The outcome is decided inside the transaction but raised outside it, so that a failure
        # recorded by the device's throttling is committed rather than rolled back.
        with transaction.atomic():
            device = TOTPDevice.objects.select_for_update().get(pk=self.device.pk)
            allowed = device.verify_is_allowed()[0]
            verified = allowed and device.verify_token(code)
        if not allowed:
            raise ValidationError(THROTTLED, code="throttled")
        if not verified:
            raise ValidationError(INVALID_CODE, code="invalid")
        self.device = device
        return code


class TokenVerificationForm(forms.Form):
    """One field for either the authenticator app's code or a backup code.

    On success `device` is the device that accepted the code (a TOTP code is then spent: the
    device only accepts later time steps; a backup code is deleted). A code is only tried on
    the kind of device it can belong to, so a backup code never counts as a failed TOTP attempt
    and the reverse. `blocked_message` refuses every code unchecked, for a session that failed
    too often.
    """

    code = forms.CharField(
        label=_("Verification code"),
        help_text=_(
            "The 6-digit code shown by your authenticator app, or one of your backup codes."
        ),
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "autofocus": True,
                "autocapitalize": "none",
                "spellcheck": "false",
                "size": 12,
            }
        ),
    )

    def __init__(self, user, *args, blocked_message=None, **kwargs):
        self.user = user
        self.blocked_message = blocked_message
        self.device = None
        super().__init__(*args, **kwargs)

    def clean_code(self):
        if self.blocked_message:
            raise ValidationError(self.blocked_message, code="blocked")
        code = normalise_code(self.cleaned_data["code"])
        candidates = checked = 0
        with transaction.atomic():
            for device in devices_for_user(self.user, for_verify=True):
                if not may_accept(device, code):
                    continue
                candidates += 1
                if not device.verify_is_allowed()[0]:
                    continue
                checked += 1
                if device.verify_token(code):
                    self.device = device
                    break
        if self.device is not None:
            return code
        # Only when every device that could have taken the code was throttled: a wrong code on
        # one device while another waits is still just a wrong code.
        if candidates and not checked:
            raise ValidationError(THROTTLED, code="throttled")
        raise ValidationError(INVALID_CODE, code="invalid")
