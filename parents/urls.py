from django.urls import path

from . import views

app_name = "parents"

urlpatterns = [
    path("", views.ConnectionInfoView.as_view(), name="home"),
    path("connexion/", views.FamilyLoginView.as_view(), name="login"),
    path("deconnexion/", views.FamilyLogoutView.as_view(), name="logout"),
    path("mot-de-passe-oublie/", views.FamilyPasswordResetView.as_view(), name="password-reset"),
    path(
        "mot-de-passe-oublie/envoye/",
        views.FamilyPasswordResetDoneView.as_view(),
        name="password-reset-done",
    ),
    path(
        "mot-de-passe-oublie/termine/",
        views.FamilyPasswordResetCompleteView.as_view(),
        name="password-reset-complete",
    ),
    path(
        "mot-de-passe-oublie/<uidb64>/<token>/",
        views.FamilyPasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path("invitation/<uidb64>/<token>/", views.InvitationView.as_view(), name="invitation"),
    path("espace-utilisateur/", views.UserSpaceView.as_view(), name="user-space"),
    path("espace-utilisateur/mes-donnees/", views.MyDataView.as_view(), name="my-data"),
]
