"""Golden cases of the yearly certificate computation, amounts computed by hand.

Ledgers are built only through `billing.ledger.services`, as the office would build them.
"""

from datetime import date
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext

import pytest

from billing.certificates.computation import (
    FAMILY_PAYER,
    Flag,
    Reason,
    compute_certificates,
    compute_certificates_bulk,
    tax_credit_eligibility,
)
from billing.ledger.services import (
    LineData,
    create_draft_credit_note,
    create_draft_invoice,
    issue_credit_note,
    issue_invoice,
    record_payment,
    reverse_payment,
)
from billing.models import Category, Certificate, Payment, PaymentMethod
from parents.models import Family
from tests.factories.parents import ChildFactory, FamilyFactory, GuardianFactory

pytestmark = pytest.mark.django_db

D = Decimal
TAX = Certificate.Kind.TAX_CREDIT
PAYMENT = Certificate.Kind.PAYMENT


@pytest.fixture
def martin(structure):
    family = FamilyFactory(structure=structure, name="MARTIN", reference="MAR001")
    GuardianFactory(family=family, first_name="Sophie", user=None, email="")
    return family


@pytest.fixture
def leo(martin):
    return ChildFactory(family=martin, first_name="Léo", birth_date=date(2020, 5, 12))


def invoice(family, issued_on, *lines):
    draft = create_draft_invoice(family, list(lines))
    return issue_invoice(draft, issue_date=issued_on, render_pdf=False, notify=False)


def care(child, amount, start, end=None, *, quantity="1", label="Journée"):
    return LineData(
        label, start, D(quantity), D(amount), Category.GARDE, child=child, service_end=end
    )


def meal(child, amount, start, end=None, *, quantity="1"):
    return LineData("Repas", start, D(quantity), D(amount), Category.REPAS, child, end)


def pay(family, amount, on, method=PaymentMethod.TRANSFER, **kwargs):
    if method == PaymentMethod.CHEQUE:
        kwargs.setdefault("cheque_number", f"{on:%m%d}{amount}")
    return record_payment(family, D(amount), method, on_date=on, **kwargs)


def part(family, year, child, payer=FAMILY_PAYER):
    return compute_certificates(family, year).payers[payer].children[child.pk]


def documents(family, year):
    return {
        (doc.payer.key, doc.kind): doc for doc in compute_certificates(family, year).documents()
    }


def test_december_invoice_paid_in_january_counts_in_the_later_year_only(martin, leo):
    invoice(martin, date(2025, 12, 31), care(leo, "100.00", date(2025, 12, 3), date(2025, 12, 17)))
    pay(martin, "100.00", date(2026, 1, 10))

    december = part(martin, 2025, leo)
    assert december.care == D("0.00")
    assert [(row.reason, row.year, row.amount) for row in december.rows] == [
        (Reason.LATER_YEAR, 2026, D("100.00"))
    ]
    assert documents(martin, 2025) == {}
    assert part(martin, 2026, leo).care == D("100.00")
    assert documents(martin, 2026)[(FAMILY_PAYER, TAX)].care == D("100.00")


def test_prepayment_in_december_for_january_care_counts_in_the_later_year(martin, leo):
    pay(martin, "80.00", date(2025, 12, 15))
    assert compute_certificates(martin, 2025).unallocated == D("80.00")
    # Issued in January, the invoice is settled by the credit paid in December.
    invoice(martin, date(2026, 1, 31), care(leo, "20.00", date(2026, 1, 7), quantity="4"))

    assert compute_certificates(martin, 2025).unallocated == D("0.00")
    assert part(martin, 2025, leo).care == D("0.00")
    assert documents(martin, 2025) == {}
    january = part(martin, 2026, leo)
    assert january.care == D("80.00")
    assert january.counted_rows[0].date == date(2025, 12, 15)


def test_day_with_meal_is_split_and_only_care_counts(martin, leo):
    invoice(
        martin,
        date(2025, 3, 31),
        care(leo, "12.00", date(2025, 3, 5), date(2025, 3, 26), quantity="4"),
        meal(leo, "3.50", date(2025, 3, 5), date(2025, 3, 26), quantity="4"),
    )
    pay(martin, "62.00", date(2025, 4, 10), PaymentMethod.CHEQUE)

    leo_2025 = part(martin, 2025, leo)
    # 4 × 12,00 = 48,00 of care; 4 × 3,50 = 14,00 of meals, shown as excluded.
    assert leo_2025.care == D("48.00")
    assert leo_2025.total_paid == D("62.00")
    assert leo_2025.excluded == {Category.REPAS: D("14.00")}
    assert leo_2025.period == (date(2025, 3, 5), date(2025, 3, 26))


def test_partial_payment_of_care_and_meals_is_allocated_pro_rata(martin, leo):
    invoice(
        martin,
        date(2025, 5, 31),
        care(leo, "70.00", date(2025, 5, 7)),
        meal(leo, "30.00", date(2025, 5, 7)),
    )
    pay(martin, "33.33", date(2025, 6, 5))

    leo_2025 = part(martin, 2025, leo)
    # 3 333 cents × 70 % = 2 333,1 and × 30 % = 999,9: the leftover cent goes to the larger
    # remainder (meals), so care 23,33 € and meals 10,00 €.
    assert leo_2025.care == D("23.33")
    assert leo_2025.excluded == {Category.REPAS: D("10.00")}


def test_refund_in_a_year_of_a_payment_made_the_year_before_reduces_that_year(martin, leo):
    first = invoice(martin, date(2024, 11, 30), care(leo, "100.00", date(2024, 11, 6)))
    payment = pay(martin, "100.00", date(2024, 11, 20), PaymentMethod.CHEQUE)
    # Care cancelled for illness in January, then the 40 € given back.
    line = first.lines.get()
    credit = create_draft_credit_note(first, "Absence pour maladie", [(line, D("0.4"))])
    issue_credit_note(credit, issue_date=date(2025, 1, 10), render_pdf=False)
    reverse_payment(
        payment, reason="refund", amount=D("40.00"), on_date=date(2025, 1, 20), reference="R1"
    )
    invoice(martin, date(2025, 3, 31), care(leo, "60.00", date(2025, 3, 12)))
    pay(martin, "60.00", date(2025, 4, 2))

    assert part(martin, 2024, leo).care == D("100.00")
    leo_2025 = part(martin, 2025, leo)
    # 60,00 paid in 2025 − 40,00 refunded in 2025 = 20,00.
    assert leo_2025.care == D("20.00")
    assert sorted((row.source, row.amount) for row in leo_2025.counted_rows) == [
        ("payment", D("60.00")),
        ("refund", D("-40.00")),
    ]
    # The credit note settled the refunded care: shown, never counted as paid.
    assert [(row.reason, row.amount) for row in leo_2025.shared_rows] == [
        (Reason.CREDIT_NOTE, D("40.00"))
    ]


@pytest.mark.parametrize(
    ("birth_date", "kind", "flag"),
    [
        (date(2019, 1, 2), TAX, ""),
        (date(2019, 1, 1), TAX, Flag.BIRTHDAY),
        (date(2018, 12, 31), PAYMENT, ""),
    ],
)
def test_eligibility_for_2025_around_the_sixth_birthday(birth_date, kind, flag):
    assert tax_credit_eligibility(birth_date, 2025) == (kind, flag)


def test_each_child_gets_the_certificate_of_its_age_and_the_edge_case_is_flagged(martin):
    young = ChildFactory(family=martin, first_name="Zoé", birth_date=date(2019, 1, 2))
    edge = ChildFactory(family=martin, first_name="Tom", birth_date=date(2019, 1, 1))
    older = ChildFactory(family=martin, first_name="Eva", birth_date=date(2018, 12, 31))
    invoice(
        martin,
        date(2025, 2, 28),
        care(young, "10.00", date(2025, 2, 5)),
        care(edge, "20.00", date(2025, 2, 5)),
        care(older, "30.00", date(2025, 2, 5)),
    )
    pay(martin, "60.00", date(2025, 3, 3))

    docs = documents(martin, 2025)
    assert set(docs) == {(FAMILY_PAYER, TAX), (FAMILY_PAYER, PAYMENT)}
    tax, payment = docs[(FAMILY_PAYER, TAX)], docs[(FAMILY_PAYER, PAYMENT)]
    # Children are listed eldest first.
    assert [(p.child.first_name, p.care) for p in tax.parts] == [
        ("Tom", D("20.00")),
        ("Zoé", D("10.00")),
    ]
    assert [(p.child.first_name, p.care) for p in payment.parts] == [("Eva", D("30.00"))]
    assert tax.flags == [(Flag.BIRTHDAY, f"Tom {martin.name}")]
    assert tax.flag_reason().startswith("Tom MARTIN est né(e) le 1er janvier 2019 : 6 ans")
    assert payment.flags == []


def test_two_guardians_paying_separately_each_get_their_own_certificate(martin, leo):
    mother = martin.guardians.get()
    father = GuardianFactory(family=martin, civility="M.", first_name="Marc", user=None, email="")
    invoice(martin, date(2025, 1, 31), care(leo, "200.00", date(2025, 1, 8)))
    pay(martin, "120.00", date(2025, 2, 1), payer=mother)
    pay(martin, "80.00", date(2025, 2, 3), payer=father)

    docs = documents(martin, 2025)
    assert set(docs) == {(f"g{mother.pk}", TAX), (f"g{father.pk}", TAX)}
    assert docs[(f"g{mother.pk}", TAX)].care == D("120.00")
    assert docs[(f"g{mother.pk}", TAX)].payer.name == "Mme Sophie MARTIN"
    assert docs[(f"g{father.pk}", TAX)].care == D("80.00")
    assert docs[(f"g{father.pk}", TAX)].payer.name == "M. Marc MARTIN"


def test_cesu_is_shown_apart_and_third_party_payments_are_excluded(martin, leo):
    invoice(martin, date(2025, 4, 30), care(leo, "150.00", date(2025, 4, 14), date(2025, 4, 18)))
    pay(
        martin,
        "50.00",
        date(2025, 5, 2),
        payer_kind=Payment.PayerKind.THIRD_PARTY,
        third_party_name="CAF de la Haute-Garonne",
    )
    pay(martin, "60.00", date(2025, 5, 5), PaymentMethod.CESU, reference="CESU 0042")
    pay(martin, "40.00", date(2025, 5, 6), PaymentMethod.CHEQUE)

    leo_2025 = part(martin, 2025, leo)
    # 150 of care: 50 by the CAF (not the family's), 60 in CESU and 40 by cheque.
    assert leo_2025.care == D("100.00")
    assert leo_2025.cesu == D("60.00")
    assert leo_2025.third_party == D("50.00")
    assert leo_2025.total_paid == D("100.00")
    content = documents(martin, 2025)[(FAMILY_PAYER, TAX)].as_content()
    assert content["children"][0]["third_party"] == "50.00"
    assert content["totals"] == {"care": "100.00", "cesu": "60.00", "excluded": "0.00"}


def test_a_bounced_cheque_cancels_the_payment_in_the_year_it_counted(martin, leo):
    invoice(martin, date(2025, 11, 30), care(leo, "45.00", date(2025, 11, 5)))
    cheque = pay(martin, "45.00", date(2025, 12, 20), PaymentMethod.CHEQUE)
    reverse_payment(cheque, reason="bounced", on_date=date(2026, 1, 8))

    assert part(martin, 2025, leo).care == D("0.00")
    assert documents(martin, 2025) == {}


def test_the_bulk_computation_makes_the_same_queries_for_one_or_many_families(structure):
    def make_family(n):
        family = FamilyFactory(structure=structure)
        GuardianFactory(family=family, user=None, email="")
        child = ChildFactory(family=family, birth_date=date(2021, 1, 1))
        for month in range(1, 4):
            invoice(family, date(2025, month, 28), care(child, "10.00", date(2025, month, 3)))
            pay(family, "10.00", date(2025, month, 28))
        return family

    make_family(0)
    with CaptureQueriesContext(connection) as one:
        result = compute_certificates_bulk(Family.objects.all(), 2025)
    assert [item.documents()[0].care for item in result] == [D("30.00")]
    for n in range(1, 6):
        make_family(n)
    with CaptureQueriesContext(connection) as many:
        result = compute_certificates_bulk(Family.objects.all(), 2025)
    assert [item.documents()[0].care for item in result] == [D("30.00")] * 6
    assert len(many.captured_queries) == len(one.captured_queries)
