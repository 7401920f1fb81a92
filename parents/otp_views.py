"""Staff second factor: enrolment (TOTP app + backup codes) and verification.

StaffOTPRequiredMiddleware sends every admin-capable user here until their session is verified.
"""

import base64
import logging
import time

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from django.views.decorators.cache import never_cache
from django.views.generic import FormView

import django_otp
import qrcode
import qrcode.image.svg
from django_otp import user_has_device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .middleware import can_access_admin
from .otp_forms import DeviceConfirmationForm, TokenVerificationForm, looks_like_totp

logger = logging.getLogger(__name__)

SETUP_DEVICE_SESSION_KEY = "otp_setup_device_id"
FAILURES_SESSION_KEY = "otp_failures"
BLOCKED_UNTIL_SESSION_KEY = "otp_blocked_until"
BACKUP_CODE_COUNT = 10
MAX_FAILURES = 5
BLOCK_SECONDS = 5 * 60


def safe_next_url(request):
    url = request.POST.get("next") or request.GET.get("next")
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("wagtailadmin_home")


def url_with_next(url_name, next_url):
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


def qr_code_svg(data):
    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathFillImage)
    # The SVG is drawn by qrcode from module coordinates only; `data` never appears in it.
    return mark_safe(image.to_string(encoding="unicode"))  # noqa: S308


def grouped_key(device):
    key = base64.b32encode(device.bin_key).decode()
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def new_backup_codes(count=BACKUP_CODE_COUNT):
    codes = []
    while len(codes) < count:
        code = StaticToken.random_token()
        # An all-digit code would be taken for an authenticator code at verification.
        if code not in codes and not looks_like_totp(code):
            codes.append(code)
    return codes


@method_decorator(never_cache, name="dispatch")
class StaffSecondFactorMixin:
    """Pages of the second factor: logged-in users who may enter the admin, nobody else.

    Anonymous visitors go to the admin login; parents get 403. `next_url` is always a safe
    local address (the admin home by default).
    """

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("wagtailadmin_login"))
        if not can_access_admin(request.user):
            raise PermissionDenied
        self.next_url = safe_next_url(request)
        elsewhere = self.redirect_elsewhere(request)
        if elsewhere is not None:
            return elsewhere
        return super().dispatch(request, *args, **kwargs)

    def redirect_elsewhere(self, request):
        return None

    def get_context_data(self, **kwargs):
        return super().get_context_data(next_url=self.next_url, **kwargs)


class OTPSetupView(StaffSecondFactorMixin, FormView):
    """Enrols an authenticator app, then shows ten new backup codes once.

    The pending device is unconfirmed (it verifies nobody) and kept per session until the first
    valid code confirms it. Confirming replaces the user's previous app and backup codes, and
    verifies the session.
    """

    template_name = "parents/otp/setup.html"
    form_class = DeviceConfirmationForm

    def redirect_elsewhere(self, request):
        # Whoever holds only the password must not add their own device next to the owner's.
        if user_has_device(request.user) and not request.user.is_verified():
            return redirect(url_with_next("otp:verify", self.next_url))
        return None

    def pending_device(self, create):
        user = self.request.user
        device_id = self.request.session.get(SETUP_DEVICE_SESSION_KEY)
        device = (
            TOTPDevice.objects.filter(user=user, confirmed=False, pk=device_id).first()
            if device_id
            else None
        )
        if device is None and create:
            # One pending key per user: an abandoned enrolment leaves no stray secret behind.
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            device = TOTPDevice.objects.create(
                user=user, name=gettext("Authenticator app"), confirmed=False
            )
            self.request.session[SETUP_DEVICE_SESSION_KEY] = device.pk
        return device

    def get(self, request, *args, **kwargs):
        self.device = self.pending_device(create=True)
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.device = self.pending_device(create=False)
        if self.device is None:
            return redirect(url_with_next("otp:setup", self.next_url))
        return super().post(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {"device": self.device, **super().get_form_kwargs()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            qr_code=qr_code_svg(self.device.config_url),
            manual_key=grouped_key(self.device),
            **kwargs,
        )

    def form_valid(self, form):
        user = self.request.user
        device = form.device
        codes = new_backup_codes()
        with transaction.atomic():
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            StaticDevice.objects.filter(user=user).delete()
            backup = StaticDevice.objects.create(
                user=user, name=gettext("Backup codes"), confirmed=True
            )
            StaticToken.objects.bulk_create(StaticToken(device=backup, token=c) for c in codes)
        django_otp.login(self.request, device)
        self.request.session.pop(SETUP_DEVICE_SESSION_KEY, None)
        logger.info("Second factor enrolled for user %s", user.pk)
        # Rendered, not redirected: the codes exist in clear nowhere else and are shown once.
        return render(
            self.request,
            "parents/otp/backup_codes.html",
            {"codes": codes, "next_url": self.next_url},
        )


class OTPVerifyView(StaffSecondFactorMixin, FormView):
    """Verifies the session with an authenticator code or a backup code.

    Two brakes on guessing: each device throttles its own failures exponentially (in the
    database, so across sessions), and a session that fails MAX_FAILURES times in a row is
    refused any code for BLOCK_SECONDS.
    """

    template_name = "parents/otp/verify.html"
    form_class = TokenVerificationForm

    def redirect_elsewhere(self, request):
        if request.user.is_verified():
            return redirect(self.next_url)
        if not user_has_device(request.user):
            return redirect(url_with_next("otp:setup", self.next_url))
        return None

    def blocked_message(self):
        blocked_until = self.request.session.get(BLOCKED_UNTIL_SESSION_KEY)
        if blocked_until is None:
            return None
        if time.time() >= blocked_until:
            self.request.session.pop(BLOCKED_UNTIL_SESSION_KEY)
            self.request.session[FAILURES_SESSION_KEY] = 0
            return None
        minutes = BLOCK_SECONDS // 60
        return ngettext(
            "Too many wrong codes in a row. For your security, wait %(minutes)d minute "
            "before trying again.",
            "Too many wrong codes in a row. For your security, wait %(minutes)d minutes "
            "before trying again.",
            minutes,
        ) % {"minutes": minutes}

    def get_form_kwargs(self):
        kwargs = {"user": self.request.user, **super().get_form_kwargs()}
        if self.request.method == "POST":
            kwargs["blocked_message"] = self.blocked_message()
        return kwargs

    def form_valid(self, form):
        session = self.request.session
        session.pop(FAILURES_SESSION_KEY, None)
        session.pop(BLOCKED_UNTIL_SESSION_KEY, None)
        django_otp.login(self.request, form.device)
        return redirect(self.next_url)

    def form_invalid(self, form):
        session = self.request.session
        status = 200
        if form.has_error("code", "blocked"):
            status = 429
        elif form.has_error("code", "invalid"):
            failures = session.get(FAILURES_SESSION_KEY, 0) + 1
            session[FAILURES_SESSION_KEY] = failures
            logger.warning("Wrong second-factor code for user %s", self.request.user.pk)
            if failures >= MAX_FAILURES:
                session[BLOCKED_UNTIL_SESSION_KEY] = time.time() + BLOCK_SECONDS
                form.add_error(None, self.blocked_message())
                status = 429
        return self.render_to_response(self.get_context_data(form=form), status=status)
