"""The demo families' certificates: MARTIN for 2025, DUPONT for 2012."""

import html
import re
from decimal import Decimal

from django.urls import reverse

import pytest

import billing.demo
import parents.demo
from billing.models import Certificate, Invoice, Payment
from parents.models import User

from .conftest import squash

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    parents.demo.load()
    billing.demo.load()


def text(response):
    return squash(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def test_martin_sees_a_tax_credit_and_a_payment_certificate_for_2025(client, demo):
    client.force_login(User.objects.get(username="parent3.demo"))

    page = text(client.get(reverse("billing:certificates")))

    certificates = {
        c.kind: c for c in Certificate.objects.filter(family__reference="MAR001", year=2025)
    }
    tax, payment = certificates["tax_credit"], certificates["payment"]
    # Léo (born 2020): 48 days from January to November at 12,50 €; December's invoice was
    # paid in January 2026. Chloé (born 2016): 41 days at 14,00 €.
    assert (tax.children_names, tax.care_amount) == ("Léo MARTIN", Decimal("600.00"))
    assert (payment.children_names, payment.care_amount) == ("Chloé MARTIN", Decimal("574.00"))
    # March was paid in CESU: Léo's 3 days of care.
    assert tax.cesu_amount == Decimal("37.50")
    assert "Année 2025" in page
    assert "Attestation de frais de garde (crédit d'impôt)" in page
    assert "Attestation de paiement" in page
    for certificate in (tax, payment):
        detail = client.get(reverse("billing:certificate-detail", args=[certificate.pk]))
        assert detail.status_code == 200
        pdf = client.get(reverse("billing:certificate-pdf", args=[certificate.pk]))
        assert pdf.status_code == 200
    detail = text(client.get(reverse("billing:certificate-detail", args=[tax.pk])))
    # December's care counts in 2026; its meals in no year.
    assert "Compté dans l'attestation 2026" in detail
    assert "Non compté, quelle que soit l'année. Les repas et goûters" in detail
    assert "Règlement CESU 2025-03-1187" in detail
    assert "CESU CESU" not in detail


def test_dupont_sees_its_2012_certificate(client, demo):
    client.force_login(User.objects.get(username="parent.demo"))

    page = text(client.get(reverse("billing:certificates")))

    certificate = Certificate.objects.get(family__reference="DUP001")
    assert (certificate.year, certificate.kind) == (2012, "tax_credit")
    assert (certificate.children_names, certificate.care_amount) == (
        "Hugo DUPONT",
        Decimal("7.72"),
    )
    assert "Année 2012" in page and "7,72 €" in page


def test_loading_the_demo_again_changes_no_certificate(demo):
    before = list(Certificate.objects.order_by("pk").values_list("number", "status", "pdf"))
    counts = (Invoice.objects.count(), Payment.objects.count())

    parents.demo.load()
    billing.demo.load()

    assert list(Certificate.objects.order_by("pk").values_list("number", "status", "pdf")) == (
        before
    )
    assert (Invoice.objects.count(), Payment.objects.count()) == counts
    assert len(before) == 3
