"""Emails about the family account, sent after the transaction that caused them commits."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from .balances import family_balance


def _recipients(family):
    return [g.email for g in family.guardians.all() if g.email]


def send_invoice_issued(invoice):
    """Tell the guardians a new invoice is available, with the amount and the balance due."""
    recipients = _recipients(invoice.family)
    if not recipients:
        return 0
    with translation.override("fr"):
        context = {
            "invoice": invoice,
            "family": invoice.family,
            "structure": invoice.structure,
            "balance": family_balance(invoice.family),
            "account_url": settings.SITE_URL + reverse("billing:account"),
        }
        subject = render_to_string("billing/email/invoice_issued_subject.txt", context).strip()
        text = render_to_string("billing/email/invoice_issued.txt", context)
        html = render_to_string("billing/email/invoice_issued.html", context)
    message = EmailMultiAlternatives(subject, text, to=recipients)
    message.attach_alternative(html, "text/html")
    return message.send()
