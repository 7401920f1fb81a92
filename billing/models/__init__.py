"""Billing's models, one module per capability, re-exported so that `billing.models` stays
the one place Django, migrations and the other apps import them from.
"""

# Migrations 0001 and 0002 name the PDF fields' storage through this module.
from core.storage import get_private_storage

from ..certificates.models import Certificate, CertificateQuerySet, CertificateRun
from ..ledger.models import (
    Allocation,
    Category,
    CreditNote,
    CreditNoteLine,
    DocumentSequence,
    DocumentStatus,
    Invoice,
    InvoiceLine,
    IssuedDocument,
    LedgerEntry,
    Payment,
    PaymentMethod,
    PaymentReversal,
)
from ..online_payment.models import PaymentAttempt, StripeEvent

__all__ = [
    "Allocation",
    "Category",
    "Certificate",
    "CertificateQuerySet",
    "CertificateRun",
    "CreditNote",
    "CreditNoteLine",
    "DocumentSequence",
    "DocumentStatus",
    "Invoice",
    "InvoiceLine",
    "IssuedDocument",
    "LedgerEntry",
    "Payment",
    "PaymentAttempt",
    "PaymentMethod",
    "PaymentReversal",
    "StripeEvent",
    "get_private_storage",
]
