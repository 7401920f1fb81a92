import logging
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import pytest

from billing.ledger import services
from billing.models import LedgerEntry, PaymentMethod
from tests.factories.billing import LedgerEntryFactory, draft_invoice, issued_invoice, line

from .conftest import balance_sentence, french_today, operation_rows

pytestmark = pytest.mark.django_db

ACCOUNT = reverse("billing:account")
MARCH = date(2012, 3, 9)


def invoice_pdf_url(invoice):
    return reverse("billing:invoice-pdf", args=[invoice.pk])


def credit_note_pdf_url(credit_note):
    return reverse("billing:credit-note-pdf", args=[credit_note.pk])


@pytest.fixture
def invoice(brax, family):
    """An issued invoice of the logged-in family, with its stored PDF."""
    return issued_invoice(family, line("3.86", quantity="2"), issue_date=MARCH, render_pdf=True)


@pytest.fixture
def stranger_documents(other_guardian):
    """Another family's issued invoice and credit note, both with their PDF."""
    family = other_guardian.family
    invoice = issued_invoice(family, line("9.50", quantity="4"), issue_date=MARCH, render_pdf=True)
    credit_note = services.issue_credit_note(
        services.create_draft_credit_note(invoice, "Absence"), issue_date=MARCH
    )
    return invoice, credit_note


# --- Account page --------------------------------------------------------------------------


def test_the_account_page_lists_operations_newest_first(parent_client, brax, family):
    first = issued_invoice(family, line("3.86", quantity="2"), issue_date=MARCH)
    services.record_payment(
        family, Decimal("10.00"), PaymentMethod.CHEQUE, cheque_number="123", on_date=MARCH
    )
    response = parent_client.get(ACCOUNT)

    rows, links = operation_rows(response)
    assert rows == [
        ("Règlement Chèques 123", "09/03/2012", "", "10,00 €", "-2,28 €", ""),
        (
            "Facture 2L2012/0001EN",
            "09/03/2012",
            "7,72 €",
            "",
            "7,72 €",
            "PDF — Facture 2L2012/0001EN",
        ),
    ]
    assert links == [[], [invoice_pdf_url(first)]]
    assert balance_sentence(response) == f"Solde créditeur au {french_today()} : 2,28 €"


def test_no_balance_due(parent_client, family):
    response = parent_client.get(ACCOUNT)
    assert balance_sentence(response) == "Aucun solde dû"
    assert "Aucune opération sur votre compte pour l'instant." in response.content.decode()

    issued_invoice(family, line("12.00"), issue_date=MARCH)
    services.record_payment(family, Decimal("12.00"), PaymentMethod.CASH)
    assert balance_sentence(parent_client.get(ACCOUNT)) == "Aucun solde dû"


def test_a_credit_balance(parent_client, family):
    services.record_payment(family, Decimal("12.00"), PaymentMethod.TRANSFER, reference="VIR 42")
    response = parent_client.get(ACCOUNT)
    assert balance_sentence(response) == f"Solde créditeur au {french_today()} : 12,00 €"


def test_the_page_shows_only_the_familys_own_operations(parent_client, family, stranger_documents):
    issued_invoice(family, line("5.00"), issue_date=MARCH)
    rows, _links = operation_rows(parent_client.get(ACCOUNT))
    assert [row[0] for row in rows] == ["Facture F2012/0001"]


def test_pagination_keeps_the_running_balance_across_pages(parent_client, family):
    LedgerEntry.objects.bulk_create(
        LedgerEntryFactory.build(family=family, date=date(2012, 1, 1) + timedelta(days=n))
        for n in range(120)
    )

    pages = [parent_client.get(ACCOUNT, {"page": number}) for number in (1, 2, 3)]

    rows = [operation_rows(page)[0] for page in pages]
    assert [len(page_rows) for page_rows in rows] == [50, 50, 20]
    # One euro a day: the newest row carries the whole balance, each older one a euro less.
    balances = [row[4] for page_rows in rows for row in page_rows]
    assert balances == [f"{n},00 €" for n in range(120, 0, -1)]
    assert rows[0][0][1] == "29/04/2012"
    assert rows[2][-1][1] == "01/01/2012"
    second = pages[1].content.decode()
    assert "Page 2 sur 3" in second
    assert 'href="?page=1" rel="prev">Opérations plus récentes' in second
    assert 'href="?page=3" rel="next">Opérations plus anciennes' in second
    assert balance_sentence(pages[2]) == f"Solde débiteur au {french_today()} : 120,00 €"


def test_the_account_page_costs_the_same_queries_whatever_the_history(
    parent_client, family, django_assert_max_num_queries
):
    def add_entries(count):
        LedgerEntry.objects.bulk_create(
            LedgerEntryFactory.build_batch(count, family=family), batch_size=500
        )

    add_entries(20)
    parent_client.get(ACCOUNT)  # the session and the translations warm up
    with CaptureQueriesContext(connection) as few:
        response = parent_client.get(ACCOUNT)
    assert len(operation_rows(response)[0]) == 20
    # Session, the user with their family, permissions; then the count and the balance in
    # one query, and the page of rows: nothing per row.
    assert len(few) <= 8
    assert sum("billing_ledgerentry" in q["sql"] for q in few.captured_queries) == 2

    add_entries(1980)
    with django_assert_max_num_queries(len(few)):
        response = parent_client.get(ACCOUNT, {"page": 40})
    assert len(operation_rows(response)[0]) == 50
    assert balance_sentence(response) == f"Solde débiteur au {french_today()} : 2 000,00 €"


# --- PDF downloads -------------------------------------------------------------------------


def test_a_guardian_downloads_their_invoice(parent_client, invoice):
    response = parent_client.get(invoice_pdf_url(invoice))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="2L2012-0001EN.pdf"'
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_a_guardian_downloads_their_credit_note(parent_client, invoice):
    credit_note = services.issue_credit_note(
        services.create_draft_credit_note(invoice, "Absence"), issue_date=MARCH
    )
    response = parent_client.get(credit_note_pdf_url(credit_note))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="AV2012-0001.pdf"'
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_serving_a_stored_pdf_never_renders_it_again(parent_client, invoice, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the download view must serve the stored file")

    monkeypatch.setattr("billing.ledger.pdf.render_pdf", refuse)
    response = parent_client.get(invoice_pdf_url(invoice))
    assert response.status_code == 200
    with invoice.pdf.open("rb") as stored:
        assert b"".join(response.streaming_content) == stored.read()


def test_another_familys_documents_are_not_found_and_logged(
    parent_client, guardian, stranger_documents, caplog
):
    invoice, credit_note = stranger_documents
    with caplog.at_level(logging.WARNING, logger="billing.ledger.views"):
        for url in (invoice_pdf_url(invoice), credit_note_pdf_url(credit_note)):
            response = parent_client.get(url)
            assert response.status_code == 404
            assert b"%PDF" not in response.content
    denied = [r.getMessage() for r in caplog.records if r.name == "billing.ledger.views"]
    assert denied == [
        f"Denied invoice {invoice.pk} to user {guardian.user.pk} (family {guardian.family.pk})",
        f"Denied creditnote {credit_note.pk} to user {guardian.user.pk} "
        f"(family {guardian.family.pk})",
    ]


def test_a_draft_or_an_unknown_invoice_is_not_found(parent_client, family):
    draft = draft_invoice(family)
    assert parent_client.get(invoice_pdf_url(draft)).status_code == 404
    assert parent_client.get(reverse("billing:invoice-pdf", args=[999999])).status_code == 404


def test_a_missing_stored_file_is_not_found_and_logged(parent_client, family, caplog):
    invoice = issued_invoice(family, issue_date=MARCH, render_pdf=False)
    with caplog.at_level(logging.ERROR, logger="billing.ledger.views"):
        assert parent_client.get(invoice_pdf_url(invoice)).status_code == 404
    assert f"Stored PDF missing for invoice {invoice.pk}" in caplog.text


def test_with_a_shared_cache_a_second_download_reads_no_row(
    parent_client, invoice, other_guardian, shared_cache
):
    url = invoice_pdf_url(invoice)
    assert parent_client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        response = parent_client.get(url)
    assert [q for q in queries if "billing_invoice" in q["sql"]] == []
    assert response["Content-Disposition"] == 'attachment; filename="2L2012-0001EN.pdf"'
    with invoice.pdf.open("rb") as stored:
        assert b"".join(response.streaming_content) == stored.read()
    # What one family's download kept opens nothing to another family.
    parent_client.force_login(other_guardian.user)
    assert parent_client.get(url).status_code == 404


def test_a_kept_document_whose_file_is_gone_is_not_found(parent_client, invoice, shared_cache):
    url = invoice_pdf_url(invoice)
    assert parent_client.get(url).status_code == 200
    invoice.pdf.storage.delete(invoice.pdf.name)
    assert parent_client.get(url).status_code == 404


def test_a_director_without_a_family_gets_404(client, director, invoice, verified_client):
    staff_client = verified_client(director)
    assert staff_client.get(invoice_pdf_url(invoice)).status_code == 404
    assert staff_client.get(ACCOUNT).status_code == 404


def test_anonymous_visitors_are_sent_to_login(client, invoice):
    url = invoice_pdf_url(invoice)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('parents:login')}?next={url}"


# --- Operation labels ----------------------------------------------------------------------


@pytest.fixture
def hugo(family):
    from tests.factories.parents import ChildFactory

    return ChildFactory(family=family, first_name="Hugo")


def test_operation_labels_say_what_a_parent_needs_and_nothing_more(
    parent_client, brax, family, hugo
):
    lea = family.children.get(first_name="Léa")
    issued_invoice(
        family, line("3.59", child=lea), line("18.10", child=hugo), issue_date=date(2012, 4, 3)
    )
    services.record_payment(
        family,
        Decimal("10.00"),
        PaymentMethod.CARD_ONLINE,
        on_date=date(2012, 4, 5),
        reference="pi_y3ZiwaDXJ6Pz00",
    )
    services.record_payment(
        family,
        Decimal("5.00"),
        PaymentMethod.CESU,
        on_date=date(2012, 4, 6),
        reference="CESU 2025-03-1187",
    )
    number = family.invoices.get().number

    rows, _links = operation_rows(parent_client.get(ACCOUNT))

    assert [row[0] for row in rows] == [
        "Règlement CESU 2025-03-1187",
        "Règlement Carte en ligne",
        f"Facture {number} pour Léa",
        f"Facture {number} pour Hugo",
    ]
    content = parent_client.get(ACCOUNT).content.decode()
    assert "pi_y3ZiwaDXJ6Pz00" not in content
    # Staff still find the card payment by its reference.
    assert family.payments.filter(reference="pi_y3ZiwaDXJ6Pz00").exists()

    # The same rows in English, amounts and all.
    parent_client.cookies["django_language"] = "en"
    rows, _links = operation_rows(parent_client.get(ACCOUNT))
    assert [row[:3] for row in rows] == [
        ("CESU payment 2025-03-1187", "06/04/2012", ""),
        ("Online card payment", "05/04/2012", ""),
        (f"Invoice {number} for Léa", "03/04/2012", "€3.59"),
        (f"Invoice {number} for Hugo", "03/04/2012", "€18.10"),
    ]
