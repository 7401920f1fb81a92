from django.urls import path

from . import views

app_name = "home"

urlpatterns = [
    path("recherche/", views.SearchView.as_view(), name="search"),
    path("manifest.webmanifest", views.web_manifest, name="manifest"),
    path("service-worker.js", views.service_worker, name="service-worker"),
    path("hors-ligne/", views.OfflineView.as_view(), name="offline"),
]
