from django.urls import path

from .certificates import views as certificate_views
from .direct_debit import views as direct_debit_views
from .ledger import views
from .online_payment import views as payment_views

app_name = "billing"

urlpatterns = [
    path("compte/", views.AccountView.as_view(), name="account"),
    path("compte/facture/<int:pk>/pdf/", views.InvoicePdfView.as_view(), name="invoice-pdf"),
    path("compte/avoir/<int:pk>/pdf/", views.CreditNotePdfView.as_view(), name="credit-note-pdf"),
    path("attestations/", views.CertificatesView.as_view(), name="certificates"),
    path(
        "attestations/<int:pk>/",
        certificate_views.CertificateDetailView.as_view(),
        name="certificate-detail",
    ),
    path(
        "attestations/<int:pk>/pdf/",
        certificate_views.CertificatePdfView.as_view(),
        name="certificate-pdf",
    ),
    path(
        "compte/prelevement/",
        direct_debit_views.DirectDebitView.as_view(),
        name="direct-debit",
    ),
    path(
        "compte/prelevement/arret/",
        direct_debit_views.MandateStopView.as_view(),
        name="direct-debit-stop",
    ),
    path(
        "compte/prelevement/mandat/<int:pk>/pdf/",
        direct_debit_views.MandatePdfView.as_view(),
        name="mandate-pdf",
    ),
    path("compte/paiement/", payment_views.PaymentView.as_view(), name="payment"),
    path(
        "compte/paiement/confirmer/",
        payment_views.PaymentConfirmView.as_view(),
        name="payment-confirm",
    ),
    path(
        "compte/paiement/resultat/<int:pk>/",
        payment_views.PaymentResultView.as_view(),
        name="payment-result",
    ),
    path(
        "compte/paiement/resultat/<int:pk>/etat/",
        payment_views.PaymentStatusView.as_view(),
        name="payment-status",
    ),
]
