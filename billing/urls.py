from django.urls import path

from . import views

app_name = "billing"

urlpatterns = [
    path("compte/", views.AccountView.as_view(), name="account"),
    path("compte/facture/<int:pk>/pdf/", views.InvoicePdfView.as_view(), name="invoice-pdf"),
    path("compte/avoir/<int:pk>/pdf/", views.CreditNotePdfView.as_view(), name="credit-note-pdf"),
    path("attestations/", views.CertificatesView.as_view(), name="certificates"),
]
