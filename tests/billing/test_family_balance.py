"""The stored balance of each family (`FamilyBalance`) follows its journal through every
service that writes to it, and the admin pages that read it show what the journal says."""

from datetime import date
from decimal import Decimal as D

from django.urls import reverse

import pytest

from billing.ledger import services
from billing.ledger.services import family_balance, record_payment, reverse_payment
from billing.models import FamilyBalance, PaymentMethod, PaymentReversal
from tests.factories.billing import issued_invoice, line
from tests.factories.parents import FamilyFactory

pytestmark = pytest.mark.django_db


def stored(family):
    return FamilyBalance.objects.filter(family=family).values_list("balance", flat=True).first()


def test_follows_the_journal_through_every_service(family):
    assert stored(family) is None  # no account row yet
    invoice = issued_invoice(family, line("36.07"), line("10.00"))
    assert stored(family) == family_balance(family) == D("46.07")

    payment = record_payment(family, D("50.00"), PaymentMethod.CHEQUE, cheque_number="9038108")
    assert stored(family) == family_balance(family) == D("-3.93")

    services.issue_credit_note(
        services.create_draft_credit_note(
            invoice, "Absence justifiée", [(invoice.lines.first(), D("1"))]
        ),
        render_pdf=False,
    )
    assert stored(family) == family_balance(family)

    reverse_payment(payment, reason=PaymentReversal.Reason.BOUNCED, amount=D("20.00"))
    assert stored(family) == family_balance(family)
    assert FamilyBalance.objects.count() == 1


def test_each_family_has_its_own(family, other_guardian):
    other = other_guardian.family
    issued_invoice(family, line("36.07"))
    issued_invoice(other, line("99.00"))
    record_payment(other, D("9.00"), PaymentMethod.CASH)
    assert stored(family) == D("36.07")
    assert stored(other) == D("90.00")


def test_statements_sorted_by_balance(director, verified_client, family):
    """Largest balance first, as the home page's link asks; a family without any account
    row counts as nothing owed; another structure's family never appears."""
    owes_less = FamilyFactory(structure=family.structure, name="MARTIN", reference="MAR001")
    in_credit = FamilyFactory(structure=family.structure, name="DURAND", reference="DUR001")
    FamilyFactory(structure=family.structure, name="PETIT", reference="PET001")  # no row
    other = FamilyFactory(name="BERNARD", reference="BER001")
    issued_invoice(family, line("36.07"))
    issued_invoice(owes_less, line("10.00"))
    record_payment(in_credit, D("5.00"), PaymentMethod.CASH, on_date=date(2026, 1, 5))
    issued_invoice(other, line("99.00"))

    client = verified_client(director)
    content = client.get(reverse("billing_statements:index") + "?ordering=-balance")
    html = content.content.decode()

    order = [html.index(name) for name in ("DUPONT", "MARTIN", "PETIT", "DURAND")]
    assert order == sorted(order)
    assert "BERNARD" not in html
    assert "36,07" in html and "-5,00" in html.replace("\u202f", "").replace("−", "-")
