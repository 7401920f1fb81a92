from django.urls import path
from django.utils.translation import gettext_lazy as _

from . import views

app_name = "parents"

urlpatterns = [
    path("", views.ConnectionInfoView.as_view(), name="home"),
    path("connexion/", views.FamilyLoginView.as_view(), name="login"),
    path("deconnexion/", views.FamilyLogoutView.as_view(), name="logout"),
    path("mot-de-passe-oublie/", views.FamilyLoginView.as_view(), name="password-reset"),
    path(
        "imprimes/",
        views.ComingSoonView.as_view(menu_url_name="parents:forms", page_title=_("Printed forms")),
        name="forms",
    ),
    path(
        "compte/",
        views.ComingSoonView.as_view(
            menu_url_name="parents:account", page_title=_("Account management")
        ),
        name="account",
    ),
    path(
        "attestations/",
        views.ComingSoonView.as_view(
            menu_url_name="parents:certificates", page_title=_("Certificate list")
        ),
        name="certificates",
    ),
    path(
        "espace-utilisateur/",
        views.ComingSoonView.as_view(
            menu_url_name="parents:user-space", page_title=_("User space")
        ),
        name="user-space",
    ),
    path(
        "reservations/",
        views.ComingSoonView.as_view(menu_url_name="parents:bookings", page_title=_("Bookings")),
        name="bookings",
    ),
]
