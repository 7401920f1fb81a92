"""The demo account of parent.demo is the page of the user manual, row for row.

Loading the demo renders a few dozen PDFs, so one test loads it (twice, to prove that
reloading changes nothing) and then reads both demo accounts.
"""

from django.urls import reverse

import pytest

import billing.demo
import parents.demo
from billing.ledger.services import family_balance
from billing.models import (
    Allocation,
    CreditNote,
    DebitBatch,
    DocumentSequence,
    Invoice,
    LedgerEntry,
    Mandate,
    Payment,
)
from parents.models import Family, User

from .conftest import balance_sentence, french_today, operation_rows

pytestmark = pytest.mark.django_db

ACCOUNT = reverse("billing:account")


def load_demo():
    parents.demo.load()
    billing.demo.load()


def snapshot():
    return {
        "invoices": Invoice.objects.count(),
        "credit notes": CreditNote.objects.count(),
        "payments": Payment.objects.count(),
        "entries": LedgerEntry.objects.count(),
        "allocations": Allocation.objects.count(),
        "series": list(
            DocumentSequence.objects.order_by("id").values_list("last_value", flat=True)
        ),
        "balances": [family_balance(family) for family in Family.objects.order_by("id")],
        "mandates": Mandate.objects.count(),
        "debit batches": DebitBatch.objects.count(),
    }


def pdf_link(number):
    invoice = Invoice.objects.get(number=number)
    return reverse("billing:invoice-pdf", args=[invoice.pk])


def assert_the_manuals_account_page(client):
    client.force_login(User.objects.get(username="parent.demo"))
    response = client.get(ACCOUNT)
    assert response.status_code == 200

    rows, links = operation_rows(response)
    assert [row[:5] for row in rows] == [
        ("Facture 2L2012/0268EN pour Hugo", "23/04/2012", "14,38 €", "", "36,07 €"),
        ("Facture 2L2012/0156EN pour Léa", "03/04/2012", "3,59 €", "", "21,69 €"),
        ("Facture 2L2012/0156EN pour Hugo", "03/04/2012", "18,10 €", "", "18,10 €"),
        ("Règlement Chèques 9038108", "22/03/2012", "", "7,72 €", "0,00 €"),
        ("Facture 2L2012/0038EN pour Hugo", "09/03/2012", "7,72 €", "", "7,72 €"),
    ]
    # The download column: a PDF link named after its row for screen readers, none for
    # the payment.
    assert [row[5] for row in rows] == [
        "PDF — Facture 2L2012/0268EN pour Hugo",
        "PDF — Facture 2L2012/0156EN pour Léa",
        "PDF — Facture 2L2012/0156EN pour Hugo",
        "",
        "PDF — Facture 2L2012/0038EN pour Hugo",
    ]
    assert links == [
        [pdf_link("2L2012/0268EN")],
        [pdf_link("2L2012/0156EN")],
        [pdf_link("2L2012/0156EN")],
        [],
        [pdf_link("2L2012/0038EN")],
    ]
    assert balance_sentence(response) == f"Solde débiteur au {french_today()} : 36,07 €"

    content = response.content.decode()
    for text in (
        "<h1>Gestion de votre compte</h1>",
        'aria-current="page">Mon compte</a>',
        ">Attestations</a>",
        "Liste de vos opérations</h2>",
        "La dernière facture émise se trouve en haut de page",
        '<th scope="col">Opérations</th>',
        '<th scope="col">Date</th>',
        '<th scope="col" class="num">Débit</th>',
        '<th scope="col" class="num">Crédit</th>',
        '<th scope="col" class="num">Solde</th>',
        '<th scope="col">Téléchargement</th>',
    ):
        assert text in content

    # The links lead to the stored documents.
    download = client.get(pdf_link("2L2012/0038EN"))
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def assert_the_other_demo_account(client):
    client.force_login(User.objects.get(username="parent2.demo"))
    response = client.get(ACCOUNT)
    rows, _links = operation_rows(response)
    # BERNARD pays by direct debit: one debit on 5 November 2026, October's invoice next.
    assert [row[:5] for row in rows] == [
        ("Règlement Prélèvement", "05/11/2026", "", "30,80 €", "38,10 €"),
        ("Facture LV2026/0002 pour Nina", "02/11/2026", "38,10 €", "", "68,90 €"),
        ("Règlement Espèces", "12/10/2026", "", "20,00 €", "30,80 €"),
        ("Facture LV2026/0001 pour Nina", "05/10/2026", "50,80 €", "", "50,80 €"),
    ]
    assert balance_sentence(response) == f"Solde débiteur au {french_today()} : 38,10 €"
    content = response.content.decode()
    # The active mandate replaces card payment on the account page.
    assert "Prélèvement automatique" in content
    assert "Paiement en ligne" not in content
    assert "•••• 2606" not in content and "FR14" not in content
    mandate = Mandate.objects.get(family__reference="BER001")
    assert mandate.status == Mandate.Status.ACTIVE
    assert mandate.debits.get().status == "collected"


def test_the_demo_reproduces_the_manual_and_reloads_without_change(client):
    load_demo()
    before = snapshot()
    dupont = Family.objects.get(reference="DUP001")
    assert (dupont.invoices.count(), dupont.payments.count()) == (3, 1)
    assert dupont.ledger_entries.count() == 5

    load_demo()

    assert snapshot() == before
    assert_the_manuals_account_page(client)
    assert_the_other_demo_account(client)
    # Every journal row of the demo went through the ledger services: each family's stored
    # balance (FamilyBalance, read by the admin's lists) is its journal's.
    for family in Family.objects.filter(ledger_entries__isnull=False).distinct():
        assert family.stored_balance.balance == family_balance(family), family.reference
