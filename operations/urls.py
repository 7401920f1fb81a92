from django.urls import path

from . import views

app_name = "operations"

urlpatterns = [
    path("vivant/", views.alive, name="alive"),
    path("pret/", views.ready, name="ready"),
]
