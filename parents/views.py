from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.generic import TemplateView

from .forms import FamilyLoginForm
from .menu import build_menu


@method_decorator(never_cache, name="dispatch")
class FamilyAreaMixin(LoginRequiredMixin):
    """Every page of the family area: login required, the guardian's own family only, no-store.

    Views reach private objects through `self.family`, never by a bare primary key.
    """

    menu_url_name = None
    page_title = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        guardian = request.user.guardian_or_none
        if guardian is None:
            # Staff logins have no family: the family area does not exist for them.
            raise Http404(_("This area is reserved for families."))
        self.guardian = guardian
        self.family = guardian.family
        self.structure = self.family.structure
        return super().dispatch(request, *args, **kwargs)

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


class ComingSoonView(FamilyPageView):
    """Menu entries whose page is not built yet say so, instead of failing."""

    template_name = "parents/coming_soon.html"


class FamilyLoginView(auth_views.LoginView):
    template_name = "parents/login.html"
    authentication_form = FamilyLoginForm
    redirect_authenticated_user = True


class FamilyLogoutView(auth_views.LogoutView):
    pass


def lockout(request, credentials, *args, **kwargs):
    """What django-axes answers once a (username, IP) pair is locked out."""
    return render(request, "parents/lockout.html", status=429)
