from django.urls import path

from . import views

app_name = "forms_library"

# Mounted under /espace-famille/, before the family area's own URLs.
urlpatterns = [
    path("imprimes/", views.FamilyFormsView.as_view(), name="family-forms"),
]
