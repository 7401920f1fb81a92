"""A credit note settles the line it corrects; the family's own money stays certified for the
category it actually paid, whatever the order of events (docs/credit-notes.md).
"""

from datetime import date
from decimal import Decimal

from django.utils import translation

import pytest

from billing.certificates.computation import FAMILY_PAYER, compute_certificates
from billing.certificates.views import describe_row
from billing.ledger.services import (
    create_draft_credit_note,
    family_balance,
    issue_credit_note,
    reverse_payment,
)
from billing.models import Allocation, Category
from core.money import quantize

from .test_certificates import care, invoice, meal, pay

pytestmark = pytest.mark.django_db

D = Decimal

CALENDARS = {
    # first invoice, first payment, credit note, refund, second invoice, second payment
    "same_year": [
        date(2025, m, d) for m, d in ((3, 31), (4, 5), (5, 10), (5, 20), (6, 30), (7, 5))
    ],
    "over_new_year": [
        date(2025, 11, 30),
        date(2025, 12, 5),
        date(2026, 1, 10),
        date(2026, 1, 20),
        date(2026, 2, 28),
        date(2026, 3, 5),
    ],
}


def care_over_years(family, child, years=(2025, 2026)):
    by_year = {}
    for year in years:
        payer = compute_certificates(family, year).payers.get(FAMILY_PAYER)
        part = payer.children.get(child.pk) if payer else None
        by_year[year] = part.care if part else D("0.00")
    return by_year


@pytest.mark.parametrize("calendar", CALENDARS)
@pytest.mark.parametrize("second_paid", ["all", "half"])
@pytest.mark.parametrize("credit", ["kept", "refunded"])
@pytest.mark.parametrize("first_paid", ["100.00", "70.00"])
@pytest.mark.parametrize("category", [Category.GARDE, Category.REPAS])
def test_certified_care_is_the_care_the_family_paid(
    martin, leo, category, first_paid, credit, second_paid, calendar
):
    issued, paid, credited, refunded, issued_2, paid_2 = CALENDARS[calendar]
    line_data = care if category == Category.GARDE else meal
    first = invoice(martin, issued, line_data(leo, "100.00", issued))
    payment = pay(martin, first_paid, paid)
    line = first.lines.get()
    note = create_draft_credit_note(first, "Absences justifiées", [(line, D("0.4"))])
    issue_credit_note(note, issue_date=credited, render_pdf=False)

    # The credit note settles the line it corrects: 40 € of it, whatever was paid before.
    assert sum(a.amount for a in line.allocations.filter(credit_note=note)) == D("40.00")
    freed = D(first_paid) - D("60.00")  # what the family paid beyond the corrected price
    assert family_balance(martin) == -freed
    if credit == "refunded":
        reverse_payment(payment, reason="refund", amount=freed, on_date=refunded)
        assert family_balance(martin) == D("0.00")
        kept = D("0.00")
    else:
        kept = freed
    invoice(martin, issued_2, care(leo, "50.00", issued_2), meal(leo, "50.00", issued_2))
    due = family_balance(martin)
    assert due == D("100.00") - kept
    second = due if second_paid == "all" else quantize(due / 2)
    pay(martin, str(second), paid_2)

    # Care the family paid with its own money: the corrected line (100 − 40) when it was
    # care, and half of what settled the second invoice (its care and meals are equal).
    expected = (D("60.00") if category == Category.GARDE else D("0.00")) + (kept + second) / 2
    by_year = care_over_years(martin, leo)
    assert sum(by_year.values()) == expected
    if calendar == "over_new_year":
        # 2025's figure is what was paid for care in 2025; the credit note of 2026 reduces
        # 2026, the year the family got that money back as credit or cash.
        assert by_year[2025] == (D(first_paid) if category == Category.GARDE else D("0.00"))


def test_the_displaced_payment_moves_to_the_oldest_open_line(martin, leo):
    """The manual's example: 100 € of care paid, 40 € credited and kept, then 50 € of care
    and 50 € of meals of which the family pays 60 €: care certified 110 €, not 130 €.
    """
    first = invoice(martin, date(2025, 3, 31), care(leo, "100.00", date(2025, 3, 5)))
    payment = pay(martin, "100.00", date(2025, 4, 5))
    line = first.lines.get()
    note = create_draft_credit_note(first, "Fermeture exceptionnelle", [(line, D("0.4"))])
    issue_credit_note(note, issue_date=date(2025, 5, 10), render_pdf=False)

    displaced = Allocation.objects.get(displaced_by=note)
    assert (displaced.payment, displaced.invoice_line, displaced.amount) == (
        payment,
        line,
        D("-40.00"),
    )
    second = invoice(
        martin,
        date(2025, 6, 30),
        care(leo, "50.00", date(2025, 6, 4)),
        meal(leo, "50.00", date(2025, 6, 4)),
    )
    pay(martin, "60.00", date(2025, 7, 5))
    moved = {
        a.invoice_line.category: a.amount
        for a in Allocation.objects.filter(invoice_line__invoice=second, payment=payment)
    }
    assert moved == {Category.GARDE: D("20.00"), Category.REPAS: D("20.00")}
    assert care_over_years(martin, leo)[2025] == D("110.00")

    rows = compute_certificates(martin, 2025).payers[FAMILY_PAYER].children[leo.pk].rows
    displaced_row = next(row for row in rows if row.source == "displaced")
    with translation.override("fr"):
        what = describe_row(displaced_row.as_content())["what"]
    assert what.startswith("Règlement")
    assert note.number in what


def test_a_meal_credit_note_used_against_care_leaves_care_as_paid(martin, leo):
    first = invoice(martin, date(2025, 3, 31), meal(leo, "100.00", date(2025, 3, 5)))
    pay(martin, "100.00", date(2025, 4, 5))
    note = create_draft_credit_note(first, "Repas non pris", [(first.lines.get(), D("0.4"))])
    issue_credit_note(note, issue_date=date(2025, 5, 10), render_pdf=False)
    invoice(martin, date(2025, 6, 30), care(leo, "100.00", date(2025, 6, 4)))
    pay(martin, "60.00", date(2025, 7, 5))
    # 40 € of the meals payment now pays care, plus the 60 € paid: 100 € of care.
    assert care_over_years(martin, leo)[2025] == D("100.00")


def test_a_bounced_payment_after_its_displacement_cancels_where_it_counted(martin, leo):
    first = invoice(martin, date(2025, 3, 31), care(leo, "100.00", date(2025, 3, 5)))
    payment = pay(martin, "100.00", date(2025, 4, 5))
    note = create_draft_credit_note(first, "Erreur de tarif", [(first.lines.get(), D("0.4"))])
    issue_credit_note(note, issue_date=date(2025, 5, 10), render_pdf=False)
    reverse_payment(payment, reason="bounced", on_date=date(2025, 5, 20))
    # Nothing was ever received: nothing is certified, and 60 € are owed.
    assert care_over_years(martin, leo)[2025] == D("0.00")
    assert family_balance(martin) == D("60.00")


# --- A line over two years ------------------------------------------------------------------


def test_a_line_over_new_year_is_split_by_days(martin, leo):
    invoice(
        martin,
        date(2025, 12, 20),
        care(leo, "10.00", date(2025, 12, 29), date(2026, 1, 2), quantity="5"),
    )
    pay(martin, "50.00", date(2025, 12, 30))

    assert care_over_years(martin, leo) == {2025: D("30.00"), 2026: D("20.00")}
    rows = compute_certificates(martin, 2025).payers[FAMILY_PAYER].children[leo.pk].rows
    counted = next(row for row in rows if row.counted)
    assert (counted.service_date, counted.service_end, counted.days) == (
        date(2025, 12, 29),
        date(2025, 12, 31),
        (3, 5),
    )
    with translation.override("fr"):
        split = describe_row(counted.as_content())["split"]
    assert split == "3 des 5 jours de la ligne, en 2025"


def test_a_split_line_paid_in_the_later_year_counts_there_entirely(martin, leo):
    invoice(
        martin,
        date(2025, 12, 31),
        care(leo, "10.00", date(2025, 12, 29), date(2026, 1, 2), quantity="5"),
    )
    pay(martin, "50.00", date(2026, 1, 8))
    assert care_over_years(martin, leo) == {2025: D("0.00"), 2026: D("50.00")}


def test_a_split_does_not_lose_a_cent(martin, leo):
    invoice(
        martin,
        date(2025, 12, 20),
        care(leo, "33.33", date(2025, 12, 30), date(2026, 1, 1)),
    )
    pay(martin, "33.33", date(2025, 12, 30))
    by_year = care_over_years(martin, leo)
    assert by_year == {2025: D("22.22"), 2026: D("11.11")}
