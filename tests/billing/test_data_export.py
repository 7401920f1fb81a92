"""'Mes données' holds the family's invoices, credit notes and certificates (with PDFs)."""

import io
import json
import zipfile

from django.urls import reverse

import pytest

import billing.demo
import parents.demo
from billing.models import Certificate, Invoice
from parents.models import Family, User

pytestmark = pytest.mark.django_db


def test_martin_downloads_invoices_and_certificates(client):
    parents.demo.load()
    billing.demo.load()
    client.force_login(User.objects.get(username="parent3.demo"))
    response = client.get(reverse("parents:my-data"))
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    data = json.loads(archive.read("donnees.json"))
    martin = Family.objects.get(reference="MAR001")
    invoices = Invoice.objects.for_family(martin).issued()
    assert {row["numero"] for row in data["comptabilite"]["factures"]} == {
        invoice.number for invoice in invoices
    }
    assert data["comptabilite"]["reglements"]
    invoice = invoices.exclude(pdf="").first()
    assert archive.read(f"factures/{invoice.number.replace('/', '-')}.pdf").startswith(b"%PDF")
    certificate = Certificate.objects.filter(family=martin, year=2025).exclude(pdf="").first()
    assert certificate.number in {row["numero"] for row in data["attestations"]}
    name = f"attestations/{certificate.number.replace('/', '-')}.pdf"
    assert archive.read(name).startswith(b"%PDF")
    # Nothing of another family.
    dupont_numbers = set(
        Invoice.objects.for_family(Family.objects.get(reference="DUP001")).values_list(
            "number", flat=True
        )
    )
    assert not dupont_numbers & {row["numero"] for row in data["comptabilite"]["factures"]}
