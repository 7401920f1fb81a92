import io
from datetime import date
from decimal import Decimal

import pytest
from pypdf import PdfReader

from billing.ledger import services
from billing.models import Category, PaymentMethod
from tests.factories.billing import issued_invoice, line

pytestmark = pytest.mark.django_db

MARCH = date(2012, 3, 9)


def read_pdf(document):
    with document.pdf.open("rb") as stored:
        reader = PdfReader(io.BytesIO(stored.read()))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    return reader, text


@pytest.fixture
def invoice(brax, family, guardian):
    hugo = family.children.create(first_name="Hugo", last_name="DUPONT", birth_date=MARCH)
    return issued_invoice(
        family,
        line("3.86", quantity="2", child=hugo, label="Mercredi journée"),
        line("2.00", quantity="2", category=Category.REPAS, child=hugo, label="Repas"),
        issue_date=MARCH,
        render_pdf=True,
    )


def test_the_invoice_pdf_carries_the_legal_mentions(invoice):
    reader, text = read_pdf(invoice)
    for expected in (
        "Facture 2L2012/0001EN",
        "SIRET 42424242400017",
        "Loisirs Education & Citoyenneté Grand Sud",
        "Exonération de TVA — article 261-7-1° b du CGI",
        "Marie DUPONT",
        "Référence famille : DUP001",
        "Date d'émission : 9 mars 2012",
        "À régler avant le 8 avril 2012",
        "Hugo — Mercredi journée",
        "3,86 €",
        "7,72 €",
        "Hugo — Repas",
        "4,00 €",
        "11,72 €",
        "Déjà réglé à l'émission",
        "Reste à payer",
        "Pas d'escompte pour paiement anticipé.",
    ):
        assert expected in text
    assert "pénalité" not in text.lower()  # never late-payment penalties to parents
    assert reader.metadata.title == "Facture 2L2012/0001EN"


def test_the_invoice_pdf_is_tagged_and_in_french(invoice):
    reader, _text = read_pdf(invoice)
    catalog = reader.trailer["/Root"]
    assert catalog["/Lang"] == "fr"
    assert catalog["/MarkInfo"]["/Marked"].value is True
    assert "/StructTreeRoot" in catalog


def test_what_was_prepaid_shows_on_the_invoice(brax, family):
    services.record_payment(family, Decimal("25.00"), PaymentMethod.CASH, on_date=MARCH)
    invoice = issued_invoice(
        family,
        line("30.00"),
        line("10.00", category=Category.REPAS),
        issue_date=MARCH,
        render_pdf=True,
    )
    _reader, text = read_pdf(invoice)
    assert "Total 40,00 €" in text
    assert "Déjà réglé à l'émission 25,00 €" in text
    assert "Reste à payer 15,00 €" in text


def test_the_credit_note_pdf_refers_to_the_invoice(invoice):
    credit_note = services.issue_credit_note(
        services.create_draft_credit_note(
            invoice, "Repas non pris", [(invoice.lines.get(label="Repas"), Decimal("1"))]
        ),
        issue_date=date(2012, 3, 20),
    )
    reader, text = read_pdf(credit_note)
    assert "Avoir AV2012/0001" in text
    assert "Rectifie la facture 2L2012/0001EN du 9 mars 2012" in text
    assert "Motif : Repas non pris" in text
    assert "Total de l'avoir 2,00 €" in text
    assert "SIRET 42424242400017" in text
    assert reader.trailer["/Root"]["/Lang"] == "fr"
