"""Login throttling on top of django-axes: the (login, IP) pair, an IP, and a login.

Axes locks the pair (login, IP) after `AXES_FAILURE_LIMIT` failures. That alone lets one
address try a few passwords against each of many logins (password spraying) and lets many
addresses share the guesses against one login. Two wider counters close both gaps, over the
same cool-off window and from the same `AccessAttempt` rows axes keeps:

- an IP address is locked after `AXES_IP_FAILURE_LIMIT` failures across all logins;
- a login is locked after `AXES_ACCOUNT_FAILURE_LIMIT` failures across all addresses, and its
  owner gets an e-mail (a new password lifts the lock at once).

The wider limits are well above the pair limit, so a parent mistyping from home is locked
by the pair rule only, never from elsewhere. Known and unknown logins are counted and
answered alike; only the e-mail, which nobody but the owner sees, depends on the login
existing.
"""

from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.signals import user_locked_out


def _recent_attempts():
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    return AccessAttempt.objects.filter(attempt_time__gte=since)


def ip_failures(ip_address):
    if not ip_address:
        return 0
    rows = _recent_attempts().filter(ip_address=ip_address)
    return rows.aggregate(total=Sum("failures_since_start"))["total"] or 0


def account_failures(username):
    """(failures, distinct addresses) for a login across all addresses."""
    if not username:
        return 0, 0
    totals = (
        _recent_attempts()
        .filter(username=username)
        .aggregate(total=Sum("failures_since_start"), addresses=Count("ip_address", distinct=True))
    )
    return totals["total"] or 0, totals["addresses"]


class LoginThrottleHandler(AxesDatabaseHandler):
    """Axes' database handler, plus the per-IP and per-login limits (settings.AXES_HANDLER)."""

    def is_locked(self, request, credentials=None):
        if super().is_locked(request, credentials):
            return True
        return self._wider_limit_reached(request, credentials)

    def _wider_limit_reached(self, request, credentials):
        ip_address = getattr(request, "axes_ip_address", None)
        if ip_failures(ip_address) >= settings.AXES_IP_FAILURE_LIMIT:
            return True
        username = get_client_username(request, credentials)
        return account_failures(username)[0] >= settings.AXES_ACCOUNT_FAILURE_LIMIT

    def user_login_failed(self, sender, credentials, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request=request, **kwargs)
        if request is None:
            return
        username = get_client_username(request, credentials)
        failures, addresses = account_failures(username)
        if failures == settings.AXES_ACCOUNT_FAILURE_LIMIT:
            # Exactly at the limit: one e-mail per lock, however many attempts follow.
            self._notify_owner(username, failures, addresses)
        if not getattr(request, "axes_locked_out", False) and self._wider_limit_reached(
            request, credentials
        ):
            # The middleware answers with the lockout page from this very attempt on.
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes", request=request, username=username, ip_address=request.axes_ip_address
            )

    @staticmethod
    def _notify_owner(username, failures, addresses):
        from .models import User
        from .services import notify_account_locked

        user = User._default_manager.filter(username__iexact=username).first()
        if user is not None and user.is_active:
            notify_account_locked(user, failures=failures, addresses=addresses)
