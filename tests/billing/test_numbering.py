import threading
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Sum

import pytest

from billing.ledger import services
from billing.ledger.services import BillingError, family_balance, format_number
from billing.models import Allocation, DocumentSequence, Invoice, Payment, PaymentMethod
from tests.factories.billing import draft_invoice, issued_invoice, line
from tests.factories.parents import FamilyFactory, StructureFactory

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="row locks (SELECT … FOR UPDATE) need PostgreSQL; run in the PostgreSQL pass",
)

MARCH = date(2012, 3, 9)


def numbers(queryset):
    return list(queryset.order_by("id").values_list("number", flat=True))


def test_the_manuals_format():
    assert format_number("2L", 2012, 38, "EN") == "2L2012/0038EN"
    assert format_number("F", 2026, 1, "") == "F2026/0001"
    assert format_number("2L", 2012, 12345, "EN") == "2L2012/12345EN"


def test_consecutive_issues_take_consecutive_numbers(brax, family):
    for _ in range(3):
        issued_invoice(family, issue_date=MARCH)
    assert numbers(Invoice.objects) == ["2L2012/0001EN", "2L2012/0002EN", "2L2012/0003EN"]
    assert DocumentSequence.objects.get().last_value == 3


def test_one_series_per_structure_and_per_year(brax, family):
    levignac = StructureFactory(slug="levignac", invoice_prefix="LV")
    other = FamilyFactory(structure=levignac)
    first = issued_invoice(family, issue_date=date(2012, 12, 31))
    elsewhere = issued_invoice(other, issue_date=date(2012, 12, 31))
    next_year = issued_invoice(family, issue_date=date(2013, 1, 2))
    second = issued_invoice(family, issue_date=date(2012, 12, 31))
    assert [first.number, elsewhere.number, next_year.number, second.number] == [
        "2L2012/0001EN",
        "LV2012/0001",
        "2L2013/0001EN",
        "2L2012/0002EN",
    ]


def test_credit_notes_have_their_own_series(brax, family):
    invoice = issued_invoice(family, line("30.00"), issue_date=MARCH)
    credit_notes = [
        services.issue_credit_note(
            services.create_draft_credit_note(
                invoice, "Absence", [(invoice.lines.get(), Decimal("0.25"))]
            ),
            issue_date=MARCH,
            render_pdf=False,
        )
        for _ in range(2)
    ]
    after = issued_invoice(family, issue_date=MARCH)
    assert [cn.number for cn in credit_notes] == ["AV2012/0001", "AV2012/0002"]
    assert after.number == "2L2012/0002EN"


def test_a_rolled_back_issue_gives_its_number_back(brax, family):
    issued_invoice(family, issue_date=MARCH)
    draft = draft_invoice(family, line("12.00"))
    with pytest.raises(RuntimeError), transaction.atomic():
        taken = services.issue_invoice(draft, issue_date=MARCH, render_pdf=False, notify=False)
        assert taken.number == "2L2012/0002EN"
        raise RuntimeError("the caller fails after issuing")

    draft.refresh_from_db()
    assert (draft.status, draft.number) == ("draft", "")
    assert DocumentSequence.objects.get().last_value == 1
    again = services.issue_invoice(draft, issue_date=MARCH, render_pdf=False, notify=False)
    assert again.number == "2L2012/0002EN"
    assert family_balance(family) == Decimal("22.00")


def test_an_imported_number_moves_the_series_past_it(brax, family):
    imported = issued_invoice(family, issue_date=MARCH, number="2L2012/0038EN")
    after = issued_invoice(family, issue_date=MARCH)
    assert (imported.number, after.number) == ("2L2012/0038EN", "2L2012/0039EN")
    with pytest.raises(BillingError, match="2L2012/0038EN est déjà utilisé"):
        issued_invoice(family, issue_date=MARCH, number="2L2012/0038EN")
    assert Invoice.objects.filter(status="issued").count() == 2
    assert family_balance(family) == Decimal("20.00")


# --- Concurrency (PostgreSQL) -----------------------------------------------------------------


def run_in_threads(function, arguments, workers):
    """Call `function` on each argument from `workers` threads started together.

    Each thread has its own database connection (Django's are per thread) and closes it
    when done, so the test database can be flushed afterwards.
    """
    chunks = [arguments[i::workers] for i in range(workers)]
    results, errors = {}, []
    start = threading.Barrier(workers)

    def work(chunk):
        try:
            start.wait(timeout=10)
            for argument in chunk:
                results[argument] = function(argument)
        except Exception as exc:  # noqa: BLE001 - reported by the test below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(chunk,)) for chunk in chunks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    return [results[argument] for argument in arguments]


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_give_gapless_unique_numbers():
    structure = StructureFactory(invoice_prefix="2L", invoice_suffix="EN")
    families = [FamilyFactory(structure=structure) for _ in range(10)]
    drafts = [
        draft_invoice(family, line(f"{position + 1}.25"))
        for position, family in enumerate(families)
    ]

    issued = run_in_threads(
        lambda draft: (
            services.issue_invoice(draft, issue_date=MARCH, render_pdf=False, notify=False).number
        ),
        drafts,
        workers=5,
    )

    assert sorted(issued) == [f"2L2012/{n:04d}EN" for n in range(1, 11)]
    assert DocumentSequence.objects.get(structure=structure).last_value == 10
    for position, family in enumerate(families):
        assert family_balance(family) == Decimal(f"{position + 1}.25")


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_payments_on_one_family_are_both_counted():
    family = FamilyFactory()
    invoice = issued_invoice(family, line("30.00"), line("10.00"), issue_date=MARCH)

    run_in_threads(
        lambda amount: services.record_payment(family, Decimal(amount), PaymentMethod.CASH),
        ["30.00", "25.00"],
        workers=2,
    )

    assert sorted(Payment.objects.values_list("amount", flat=True)) == [
        Decimal("25.00"),
        Decimal("30.00"),
    ]
    assert family_balance(family) == Decimal("-15.00")
    # Together they pay more than the invoice: the lines are settled exactly once and the
    # rest stays as credit, however the two transactions interleave.
    allocated = Allocation.objects.filter(invoice_line__invoice=invoice)
    assert allocated.aggregate(total=Sum("amount"))["total"] == Decimal("40.00")
    available = [services.payment_available(payment) for payment in Payment.objects.all()]
    assert sum(available) == Decimal("15.00")


@pytest.mark.postgres
@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_card_payment_seen_twice_at_once_is_recorded_once():
    family = FamilyFactory()
    issued_invoice(family, line("40.00"), issue_date=MARCH)

    recorded = run_in_threads(
        lambda _attempt: (
            services.record_payment(
                family, Decimal("40.00"), PaymentMethod.CARD_ONLINE, reference="pi_3Nx"
            ).pk
        ),
        ["webhook", "return page"],
        workers=2,
    )

    assert recorded[0] == recorded[1]
    assert Payment.objects.count() == 1
    assert family_balance(family) == Decimal("0.00")
