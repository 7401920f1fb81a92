from django.urls import path

from . import views

app_name = "family_file"

urlpatterns = [
    path("dossier/", views.FileHomeView.as_view(), name="home"),
    path("dossier/responsables/", views.GuardiansView.as_view(), name="guardians"),
    path("dossier/enfants/", views.ChildrenView.as_view(), name="children"),
    path("dossier/fiche-sanitaire/", views.HealthIndexView.as_view(), name="health-index"),
    path(
        "dossier/fiche-sanitaire/<int:child_id>/",
        views.HealthSheetView.as_view(),
        name="health",
    ),
    path(
        "dossier/fiche-sanitaire/<int:child_id>/pai/",
        views.PaiDocumentView.as_view(),
        name="pai-document",
    ),
    path("dossier/personnes-autorisees/", views.AuthorisedPeopleView.as_view(), name="people"),
    path(
        "dossier/personnes-autorisees/<int:pk>/",
        views.AuthorisedPersonEditView.as_view(),
        name="person",
    ),
    path("dossier/pieces/", views.DocumentsView.as_view(), name="documents"),
    path("dossier/pieces/<int:pk>/", views.DocumentFileView.as_view(), name="document-file"),
    path("dossier/reglement/", views.RulesView.as_view(), name="rules"),
]
