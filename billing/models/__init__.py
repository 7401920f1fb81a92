"""Billing's models, one module per capability, re-exported so that `billing.models` stays
the one place Django, migrations and the other apps import them from.
"""

# Migrations 0001 and 0002 name the PDF fields' storage through this module.
from core.storage import get_private_storage

from ..certificates.models import Certificate, CertificateQuerySet, CertificateRun
from ..direct_debit.models import DebitBatch, DebitLine, DirectDebitSettings, Mandate
from ..ledger.models import (
    Allocation,
    Category,
    CreditNote,
    CreditNoteLine,
    DocumentSequence,
    DocumentStatus,
    FamilyBalance,
    Invoice,
    InvoiceLine,
    IssuedDocument,
    LedgerEntry,
    Payment,
    PaymentMethod,
    PaymentReversal,
)
from ..online_payment.models import OnlinePaymentSettings, PaymentAttempt, StripeEvent
from ..reminders.models import Reminder, ReminderPause, ReminderSettings

__all__ = [
    "Allocation",
    "Category",
    "Certificate",
    "CertificateQuerySet",
    "CertificateRun",
    "CreditNote",
    "CreditNoteLine",
    "DebitBatch",
    "DebitLine",
    "DirectDebitSettings",
    "DocumentSequence",
    "DocumentStatus",
    "FamilyBalance",
    "Invoice",
    "InvoiceLine",
    "IssuedDocument",
    "LedgerEntry",
    "Mandate",
    "OnlinePaymentSettings",
    "Payment",
    "PaymentAttempt",
    "PaymentMethod",
    "PaymentReversal",
    "Reminder",
    "ReminderPause",
    "ReminderSettings",
    "StripeEvent",
    "get_private_storage",
]
