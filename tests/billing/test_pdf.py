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


@pytest.mark.django_db(transaction=True)
def test_the_pdf_is_rendered_after_the_number_is_committed(brax, family, monkeypatch):
    """Rendering is slow: holding the numbering lock meanwhile made every issue wait."""
    from django.db import connection

    from billing.ledger import pdf

    seen = []
    real_render = pdf.render_pdf

    def watching_render(*args, **kwargs):
        seen.append(connection.in_atomic_block)
        return real_render(*args, **kwargs)

    monkeypatch.setattr(pdf, "render_pdf", watching_render)
    invoice = issued_invoice(family, line("36.07"), issue_date=MARCH, render_pdf=True)
    assert seen == [False]  # no transaction open, so no lock held, while rendering
    invoice.refresh_from_db()
    assert invoice.number == "2L2012/0001EN"
    assert invoice.pdf.name.endswith(".pdf")


def test_a_renderer_failure_leaves_the_invoice_issued_and_its_pdf_can_be_made_later(
    brax, family, monkeypatch
):
    from django.core.management import call_command

    from billing.ledger import pdf

    real_render = pdf.render_pdf

    def failing_render(*args, **kwargs):
        raise OSError("no space left on device")

    monkeypatch.setattr(pdf, "render_pdf", failing_render)
    invoice = issued_invoice(family, line("36.07"), issue_date=MARCH, render_pdf=True)
    invoice.refresh_from_db()
    assert invoice.number == "2L2012/0001EN"
    assert invoice.status == "issued"
    assert not invoice.pdf
    assert family.ledger_entries.count() == 1  # the account shows it all the same

    monkeypatch.setattr(pdf, "render_pdf", real_render)
    out = io.StringIO()
    call_command("store_missing_invoice_pdfs", stdout=out)
    assert "1 invoice PDF(s) rendered." in out.getvalue()
    invoice.refresh_from_db()
    _reader, text = read_pdf(invoice)
    assert "Facture 2L2012/0001EN" in text
    call_command("store_missing_invoice_pdfs", stdout=out)
    assert "0 invoice PDF(s) rendered." in out.getvalue()


def test_invoices_issued_together_each_get_their_own_pdf(brax, family, mailoutbox):
    """A month's invoicing numbers the drafts one after another, then renders their PDFs
    together in worker processes: each stays its own document, counting its own pages."""
    from tests.factories.billing import draft_invoice
    from tests.factories.parents import FamilyFactory, GuardianFactory

    families = [family]
    for name in ("MARTIN", "SIMON"):
        other = FamilyFactory(structure=brax, name=name, reference=f"{name[:3]}001")
        GuardianFactory(family=other, email=f"{name.lower()}@example.org")
        families.append(other)
    drafts = [
        draft_invoice(each, line(f"{10 + n}.50", label=f"Mercredi {each.name}"))
        for n, each in enumerate(families)
    ]

    issued, refused = services.issue_invoices(drafts, issue_date=MARCH, workers=2, notify=False)

    assert refused == []
    assert [invoice.number for invoice in issued] == [
        "2L2012/0001EN",
        "2L2012/0002EN",
        "2L2012/0003EN",
    ]
    for n, invoice in enumerate(issued):
        invoice.refresh_from_db()
        reader, text = read_pdf(invoice)
        assert len(reader.pages) == 1
        assert f"Facture {invoice.number}" in text
        assert f"Mercredi {families[n].name}" in text
        assert f"{10 + n},50 €" in text
        assert "1 / 1" in text
        assert reader.metadata.title == f"Facture {invoice.number}"
        assert reader.trailer["/Root"]["/Lang"] == "fr"
        assert "/StructTreeRoot" in reader.trailer["/Root"]
    assert mailoutbox == []


def test_a_batch_invoice_that_cannot_be_issued_or_rendered_leaves_the_others(
    brax, family, monkeypatch, django_capture_on_commit_callbacks, mailoutbox
):
    from billing.ledger import pdf
    from tests.factories.billing import draft_invoice
    from tests.factories.parents import FamilyFactory, GuardianFactory

    martin = FamilyFactory(structure=brax, name="MARTIN", reference="MAR001")
    GuardianFactory(family=martin, email="martin@example.org")
    GuardianFactory(family=family, email="dupont@example.org")
    already = issued_invoice(family, line("5.00"), issue_date=MARCH, render_pdf=True)
    drafts = [draft_invoice(family, line("12.00")), already, draft_invoice(martin, line("8.00"))]
    real_context = pdf.invoice_context

    def context_failing_for_martin(invoice):
        if invoice.family_id == martin.pk:
            raise OSError("no space left on device")
        return real_context(invoice)

    monkeypatch.setattr(pdf, "invoice_context", context_failing_for_martin)
    with django_capture_on_commit_callbacks(execute=True):
        issued, refused = services.issue_invoices(drafts, issue_date=MARCH, workers=2)

    assert [invoice.number for invoice in issued] == ["2L2012/0002EN", "2L2012/0003EN"]
    assert [(invoice, str(error.messages[0])) for invoice, error in refused] == [
        (already, "Cette facture est déjà émise.")
    ]
    dupont_invoice, martin_invoice = issued
    dupont_invoice.refresh_from_db()
    martin_invoice.refresh_from_db()
    assert read_pdf(dupont_invoice)[1].count("12,00 €") >= 1
    assert not martin_invoice.pdf  # issued all the same, its number taken
    # Each family is told of its invoice, once the PDFs are done.
    assert sorted(message.to[0] for message in mailoutbox) == [
        "dupont@example.org",
        "martin@example.org",
    ]

    monkeypatch.setattr(pdf, "invoice_context", real_context)
    assert services.store_missing_invoice_pdfs(workers=2) == 1
    martin_invoice.refresh_from_db()
    _reader, text = read_pdf(martin_invoice)
    assert "Facture 2L2012/0003EN" in text and "8,00 €" in text


def test_a_batch_stopped_by_an_unexpected_error_keeps_the_pdfs_of_what_it_issued(
    brax, family, monkeypatch
):
    from tests.factories.billing import draft_invoice

    real_issue = services.issue_invoice
    drafts = [draft_invoice(family, line("12.00")), draft_invoice(family, line("8.00"))]

    def issue_then_fail(invoice, **kwargs):
        if invoice.pk == drafts[1].pk:
            raise RuntimeError("database gone")
        return real_issue(invoice, **kwargs)

    monkeypatch.setattr(services, "issue_invoice", issue_then_fail)
    with pytest.raises(RuntimeError, match="database gone"):
        services.issue_invoices(drafts, issue_date=MARCH, workers=2, notify=False)

    first = family.invoices.get(pk=drafts[0].pk)
    assert first.number == "2L2012/0001EN"
    _reader, text = read_pdf(first)
    assert "Facture 2L2012/0001EN" in text and "12,00 €" in text
    assert family.invoices.get(pk=drafts[1].pk).is_draft
