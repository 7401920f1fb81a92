"""The stored balance of each family (`FamilyBalance`) follows its journal through every
service that writes to it, and the admin pages that read it show what the journal says."""

import io
from datetime import date
from decimal import Decimal as D

from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from wagtail.models import ModelLogEntry

import pytest

from billing.ledger import services
from billing.ledger.services import family_balance, record_payment, reverse_payment
from billing.models import FamilyBalance, LedgerEntry, PaymentMethod, PaymentReversal
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


def run_check(*args):
    out = io.StringIO()
    call_command("check_family_balances", *args, stdout=out)
    return out.getvalue()


def test_the_check_finds_a_stored_balance_changed_behind_the_services_back(family):
    issued_invoice(family, line("36.07"))
    assert run_check() == "Every stored balance is its account's.\n"

    FamilyBalance.objects.filter(family=family).update(balance=D("10.00"))
    with pytest.raises(CommandError, match="1 stored balance"):
        run_check()


def test_the_repair_sets_the_stored_balance_and_leaves_the_account_alone(family):
    issued_invoice(family, line("36.07"))
    record_payment(family, D("20.00"), PaymentMethod.CASH)
    other = FamilyFactory(structure=family.structure, name="SANSLIGNE", reference="SANS01")
    issued_invoice(other, line("5.00"))
    FamilyBalance.objects.filter(family=family).update(balance=D("10.00"))
    FamilyBalance.objects.filter(family=other).delete()
    rows = LedgerEntry.objects.count()

    printed = run_check("--repair")

    assert f"/ {family.reference} {family.name}: stored 10,00 €, account 16,07 €" in printed
    assert f"/ {other.reference} {other.name}: stored 0,00 €, account 5,00 €" in printed
    assert "2 stored balance(s) repaired." in printed
    assert stored(family) == D("16.07") and stored(other) == D("5.00")
    assert LedgerEntry.objects.count() == rows
    assert run_check() == "Every stored balance is its account's.\n"
    assert ModelLogEntry.objects.filter(action="billing.balance_repaired").count() == 2
