"""The billing panels of the admin's home page: balances due with their total, online
payments to check; the director's structures only."""

import re
from html import unescape

from django.urls import reverse

import pytest

from billing.models import PaymentAttempt
from tests.billing.stripe_payments.test_stripe_admin import attempt
from tests.factories.billing import issued_invoice, line
from tests.factories.parents import FamilyFactory

pytestmark = pytest.mark.django_db


def home_text(client):
    content = client.get(reverse("wagtailadmin_home")).content.decode()
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", content)).split())


def test_balances_due_and_their_total_per_structure(
    director, verified_client, family, other_guardian
):
    second = FamilyFactory(structure=family.structure, name="MARTIN", reference="MAR001")
    issued_invoice(family, line("36.07"))
    issued_invoice(second, line("10.00"))
    issued_invoice(other_guardian.family, line("99.00"))

    text = home_text(verified_client(director))

    assert "Soldes dus" in text
    assert "Total dû : 46,07 €" in text
    assert "Commune de Brax : 2 familles doivent 46,07 €" in text
    assert "Lévignac" not in text and "99,00 €" not in text
    link = reverse("billing_statements:index") + "?ordering=-balance"
    assert link in verified_client(director).get(reverse("wagtailadmin_home")).content.decode()


def test_online_payments_to_check(director, verified_client, family, other_guardian):
    attempt(family, "36.07", PaymentAttempt.Status.NEEDS_REVIEW)
    attempt(family, "12.00", PaymentAttempt.Status.SUCCEEDED)
    attempt(other_guardian.family, "20.00", PaymentAttempt.Status.NEEDS_REVIEW)
    client = verified_client(director)

    text = home_text(client)

    assert "Paiements en ligne à vérifier" in text
    assert "Commune de Brax : 1 paiement en ligne à vérifier" in text
    assert "Lévignac" not in text
    content = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("payment_attempts:index") + "?status=needs_review" in content
    listing = client.get(reverse("payment_attempts:index"), {"status": "needs_review"})
    assert listing.status_code == 200


def test_staff_without_billing_rights_get_no_billing_panel(verified_client, structure, family):
    from tests.factories.content import make_staff

    issued_invoice(family, line("36.07"))
    text = home_text(verified_client(make_staff("communication.test", "Communication", structure)))

    assert "Soldes dus" not in text
    assert "36,07 €" not in text
