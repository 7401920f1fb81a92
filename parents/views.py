import unicodedata

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, TemplateView

from wagtail.admin.views.account import LogoutView as WagtailLogoutView
from wagtail.admin.views.account import PasswordResetView as WagtailPasswordResetView

from axes.helpers import get_client_ip_address
from axes.utils import reset as reset_axes_attempts

from .forms import FamilyLoginForm, FamilyPasswordResetForm
from .menu import build_menu
from .models import User
from .ratelimit import consume
from .tokens import invitation_token_generator

# The largest primary key the database holds: a bigger id in a URL names nothing.
MAX_DATABASE_ID = 2**63 - 1


@method_decorator(never_cache, name="dispatch")
class FamilyAreaMixin(LoginRequiredMixin):
    """Every page of the family area: login required, the guardian's own family only, no-store.

    Views reach private objects through `self.family`, never by a bare primary key.
    """

    menu_url_name = None
    page_title = None
    # Shown on every page, read with the user from the cache (core.page_cache).
    page_cache_models = (
        "parents.Guardian",
        "parents.Family",
        "parents.Structure",
        "parents.Association",
    )

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if any(
            isinstance(value, int) and not 0 <= value <= MAX_DATABASE_ID
            for value in kwargs.values()
        ):
            # An id the database cannot hold names nothing (and would overflow the query).
            raise Http404
        guardian = request.user.guardian_or_none
        if guardian is None:
            # Staff logins have no family: the family area does not exist for them.
            raise Http404(_("This area is reserved for families."))
        self.guardian = guardian
        self.family = guardian.family
        self.structure = self.family.structure
        return super().dispatch(request, *args, **kwargs)

    def page_cache_owner(self):
        """A page kept in the cache (core.page_cache) is this guardian's, of this family."""
        return f"{self.request.user.pk}:{self.guardian.pk}:{self.family.pk}"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            guardian=self.guardian,
            family=self.family,
            structure=self.structure,
            menu=build_menu(self.menu_url_name),
            page_title=self.page_title,
        )
        return context


class FamilyPageView(FamilyAreaMixin, TemplateView):
    pass


class ConnectionInfoView(FamilyPageView):
    template_name = "parents/home.html"
    menu_url_name = "parents:home"
    page_title = _("Connection info")


class FamilyLoginView(auth_views.LoginView):
    template_name = "parents/login.html"
    authentication_form = FamilyLoginForm
    redirect_authenticated_user = True


class FamilyLogoutView(auth_views.LogoutView):
    """POST only (Django's own rule): a link or an image cannot log a parent out.

    The page one lands on (the login page) says that the logout happened: on a shared
    computer, the next person sees that the session is closed.
    """

    def post(self, request, *args, **kwargs):
        was_logged_in = request.user.is_authenticated
        response = super().post(request, *args, **kwargs)
        if was_logged_in:
            # Added after the session is flushed: the message travels in its own cookie.
            messages.success(request, _("You are logged out. See you soon in the family area!"))
        return response


class AdminLogoutView(WagtailLogoutView):
    """Wagtail's logout, on POST only and always ending the session on the server.

    Wagtail's view deletes the session cookie whatever the method, so a GET answered 405
    but dropped the cookie while the session stayed valid in the store: anyone holding the
    session id kept it. A GET now changes nothing; a POST flushes the session (Django's
    `logout`) before the cookie is removed.
    """

    def dispatch(self, request, *args, **kwargs):
        if request.method.lower() not in self.http_method_names or request.method == "OPTIONS":
            return self.http_method_not_allowed(request, *args, **kwargs)
        # POST: Django's logout() flushes the session from the store, then Wagtail drops the
        # cookie.
        return super().dispatch(request, *args, **kwargs)


@method_decorator(sensitive_post_parameters(), name="dispatch")
class UserSpaceView(FamilyAreaMixin, FormView):
    """ "Espace utilisateur": change one's password; the address is managed by the centre."""

    template_name = "parents/account/user_space.html"
    form_class = PasswordChangeForm
    menu_url_name = "parents:user-space"
    page_title = _("User space")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        user = form.save()
        # Other sessions of this login end; this one stays open.
        update_session_auth_hash(self.request, user)
        messages.success(self.request, _("Your password has been changed."))
        return redirect("parents:user-space")


class ThrottledPasswordResetMixin:
    """Limits "forgotten password" e-mails per address and per client IP.

    Per IP, the form answers 429 with a message: whoever is refused learns nothing about any
    address. Per address, the answer stays the usual "sent" page but no e-mail leaves, so a
    mailbox cannot be flooded and the page still does not tell known addresses from others.
    """

    def form_valid(self, form):
        ip_address = get_client_ip_address(self.request) or "unknown"
        if not consume(
            "password-reset-ip",
            ip_address,
            limit=settings.PASSWORD_RESET_IP_LIMIT,
            window=settings.PASSWORD_RESET_THROTTLE_WINDOW,
        ):
            form.add_error(
                None, _("Too many requests from your network. Please try again in an hour.")
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        address = unicodedata.normalize("NFKC", form.cleaned_data["email"]).casefold()
        if not consume(
            "password-reset-address",
            address,
            limit=settings.PASSWORD_RESET_EMAIL_LIMIT,
            window=settings.PASSWORD_RESET_THROTTLE_WINDOW,
        ):
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


class StaffPasswordResetView(ThrottledPasswordResetMixin, WagtailPasswordResetView):
    """Wagtail's /admin/password_reset/, throttled; its form serves staff logins only."""


class MyDataView(FamilyAreaMixin, View):
    """ "Mes données": the family's data as one ZIP (GDPR right of access and portability)."""

    def get(self, request, *args, **kwargs):
        from .data_export import build_export

        data = build_export(self.family)
        response = HttpResponse(data, content_type="application/zip")
        filename = f"mes-donnees-{self.family.reference}-{timezone.localdate():%Y-%m-%d}.zip"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


@method_decorator(never_cache, name="dispatch")
class FamilyPasswordResetView(ThrottledPasswordResetMixin, auth_views.PasswordResetView):
    template_name = "parents/account/password_reset_form.html"
    form_class = FamilyPasswordResetForm
    subject_template_name = "parents/email/password_reset_subject.txt"
    email_template_name = "parents/email/password_reset.txt"
    html_email_template_name = "parents/email/password_reset.html"
    success_url = reverse_lazy("parents:password-reset-done")
    extra_context = {"page_title": _("Forgotten password")}


class FamilyPasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "parents/account/password_reset_done.html"
    extra_context = {"page_title": _("Forgotten password")}


class FamilyPasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Choose a new password from a link valid `PASSWORD_RESET_TIMEOUT` seconds, once."""

    template_name = "parents/account/password_set.html"
    reset_url_token = "nouveau-mot-de-passe"  # noqa: S105 - a URL segment, not a secret
    success_url = reverse_lazy("parents:password-reset-complete")
    extra_context = {"page_title": _("Choose a new password"), "invitation": False}

    def form_valid(self, form):
        response = super().form_valid(form)
        # The lockout page points here: a new password lifts a lock on this login.
        reset_axes_attempts(username=axes_username(None, {"username": form.user.username}))
        return response


class FamilyPasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "parents/account/password_reset_complete.html"
    extra_context = {"page_title": _("Password changed")}


class InvitationView(FamilyPasswordResetConfirmView):
    """The link sent with the login details: choose a first password, then log in.

    Its tokens are not reset tokens (own salt) and last `INVITATION_TIMEOUT` seconds.
    """

    token_generator = invitation_token_generator
    extra_context = {"page_title": _("Choose your password"), "invitation": True}

    def get_success_url(self):
        return reverse("parents:login")

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(
            self.request,
            _("Your password is saved. Log in with your username %(username)s.")
            % {"username": form.user.get_username()},
        )
        return response


def lockout(request, credentials, *args, **kwargs):
    """What django-axes answers once a (username, IP) pair is locked out."""
    return render(request, "parents/lockout.html", status=429)


def axes_username(request, credentials):
    """The login an attempt counts against (settings.AXES_USERNAME_CALLABLE).

    Logins are found case-insensitively and also by email address, so attempts are counted
    per account: "Marie.Dupont", "marie.dupont" and her address share one counter, and a
    successful login resets it whichever spelling was used.
    """
    value = (credentials or {}).get("username")
    if value is None and request is not None:
        value = request.POST.get("username")
    value = (value or "").strip()
    if "@" in value:
        owners = User._default_manager.filter(email__iexact=value)
        matches = list(owners.values_list("username", flat=True)[:2])
        if len(matches) == 1:
            value = matches[0]
    return value.lower()
