import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

ADMIN_PREFIX = "/admin/"
FORM_CONTENT_TYPES = {"application/x-www-form-urlencoded", "multipart/form-data"}


def can_access_admin(user):
    return user.is_authenticated and (
        user.is_superuser or user.has_perm("wagtailadmin.access_admin")
    )


class SessionTimeoutMiddleware:
    """Ends sessions idle for too long (shorter for staff) and any session older than 12 hours.

    The time of last activity is written at most once a minute: writing it on every request
    made each page an UPDATE of the session row. A session may therefore end up to a minute
    before its idle limit, never after it.
    """

    ACTIVITY_RESOLUTION = 60  # seconds

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated:
            now = int(time.time())
            session = request.session
            login_at = session.get("login_at")
            if login_at is None:
                session["login_at"] = login_at = now
            last_activity = session.get("last_activity")
            idle_limit = (
                settings.SESSION_IDLE_TIMEOUT_STAFF
                if can_access_admin(user)
                else settings.SESSION_IDLE_TIMEOUT_PARENTS
            )
            if now - login_at > settings.SESSION_ABSOLUTE_TIMEOUT or (
                last_activity is not None and now - last_activity > idle_limit
            ):
                logout(request)
                messages.info(request, _("Your session has expired. Please log in again."))
            elif last_activity is None or now - last_activity >= self.ACTIVITY_RESOLUTION:
                session["last_activity"] = now
        return self.get_response(request)


class StaffOTPRequiredMiddleware:
    """No admin page without a verified second factor, whatever login page was used.

    Users who may enter the Wagtail admin and have not verified a django-otp device in this
    session are sent to verification (or to enrolment when they have no device yet). Only
    the login, logout and second-factor pages themselves are reachable before that.
    """

    ALLOWED_ADMIN_PATHS = ("/admin/login/", "/admin/logout/", "/admin/2fa/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if (
            path.startswith(ADMIN_PREFIX)
            and not path.startswith(self.ALLOWED_ADMIN_PATHS)
            and can_access_admin(request.user)
            and not request.user.is_verified()
        ):
            from django_otp import user_has_device

            target = "otp:verify" if user_has_device(request.user) else "otp:setup"
            return redirect(f"{reverse(target)}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)


class RejectNulBytesMiddleware:
    """Answers 400 to any request with a NUL byte in its path, query string or form data.

    No legitimate form value contains one, and letting it through ends in a database error
    (PostgreSQL refuses NUL in text, SQLite's full-text search chokes on it), i.e. a 500 and
    an alert for nothing. Checking once here covers every view, ours and Wagtail's.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._has_nul(request):
            return HttpResponseBadRequest(
                _("Bad request: the address or the form contains an invalid character."),
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)

    @staticmethod
    def _has_nul(request):
        if "\x00" in request.path_info or "%00" in request.META.get("QUERY_STRING", ""):
            return True
        if request.method == "POST" and request.content_type in FORM_CONTENT_TYPES:
            try:
                data = request.POST
            except (ValueError, RequestDataTooBig):
                return False  # Django's own checks answer these.
            return any("\x00" in key or any("\x00" in v for v in data.getlist(key)) for key in data)
        return False
