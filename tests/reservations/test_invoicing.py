"""Monthly invoicing from bookings, checked against a hand-computed example per bracket.

November 2026, Wednesdays 4, 18 and 25 (the 11th is a public holiday). Prices:

    bracket            Journée avec repas   meal   Matin
    QF 0 à 600         8,50 €               2,80   3,59
    QF 601 à 1000      11,00 €              3,20   4,50
    QF > 1000          13,50 €              3,60   5,50      (no proof of quotient)

Outing on the 25th: 12,00 € for all.

- DUPONT (QF 850 → 601-1000): Hugo, matin 4, 18, 25 + the outing; Léa, journée avec repas
  4, 18, 25 (absent on the 25th without justification: still due).
    Hugo  Matin                      3 × 4,50  = 13,50  garde
    Hugo  Sortie accrobranche        1 × 12,00 = 12,00  sortie
    Léa   Journée avec repas         3 × 11,00 = 33,00  garde
    Léa   Repas                      3 × 3,20  =  9,60  repas
                                                 68,10
- MARTIN (QF 450 → 0-600): Jules, journée avec repas 4 and 18.
    Jules Journée avec repas         2 × 8,50  = 17,00  garde
    Jules Repas                      2 × 2,80  =  5,60  repas
                                                 22,60
- SIMON (no quotient → highest bracket): Tom, journée avec repas on the 18th.
    Tom   Journée avec repas         1 × 13,50 = 13,50  garde
    Tom   Repas                      1 × 3,60  =  3,60  repas
                                                 17,10
"""

from datetime import date
from decimal import Decimal

from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command

import pytest

from billing.ledger.services import issue_invoice
from billing.models import CreditNote, DocumentStatus, Invoice
from reservations import services
from reservations.models import Booking
from tests.factories.parents import ChildFactory, FamilyFactory

from .factories import brackets, outing, quotient, slot, unit, utc, wednesdays

pytestmark = pytest.mark.django_db

BEFORE = utc(2026, 10, 20, 12, 0)
PDF = b"%PDF-1.4 certificate"


@pytest.fixture
def november(structure):
    low, middle, high = brackets(structure)
    period = wednesdays(
        structure,
        date(2026, 11, 1),
        date(2026, 11, 30),
        opens=date(2026, 10, 1),
        closed="11/11/2026",
        name="Mercredis",
    )
    journee = unit(
        period,
        "Journée avec repas",
        prices={low: ("8.50", "2.80"), middle: ("11.00", "3.20"), high: ("13.50", "3.60")},
    )
    matin = unit(
        period,
        "Matin",
        meal=False,
        span="morning",
        order=1,
        prices={low: ("3.59", "0"), middle: ("4.50", "0"), high: ("5.50", "0")},
    )
    trip = outing(period, date(2026, 11, 25), min_days=1, price="12.00")
    return journee, matin, trip


@pytest.fixture
def booked(november, family, lea, neighbours, jules, structure):
    journee, matin, trip = november
    hugo = ChildFactory(family=family, first_name="Hugo", birth_date=date(2016, 3, 2))
    quotient(family, "850", date(2026, 9, 1))
    quotient(neighbours, "450", date(2026, 1, 1))
    simon = FamilyFactory(structure=structure, name="SIMON")
    tom = ChildFactory(family=simon, first_name="Tom")
    for day in (4, 18, 25):
        services.book(hugo, slot(matin, date(2026, 11, day)), now=BEFORE)
        services.book(lea, slot(journee, date(2026, 11, day)), now=BEFORE)
    services.book(hugo, trip.slot, now=BEFORE)
    for day in (4, 18):
        services.book(jules, slot(journee, date(2026, 11, day)), now=BEFORE)
    services.book(tom, slot(journee, date(2026, 11, 18)), now=BEFORE)
    absent = Booking.objects.get(child=lea, day__date=date(2026, 11, 25))
    services.record_attendance(absent, Booking.Attendance.ABSENT)
    return {"hugo": hugo, "simon": simon, "absent": absent}


def lines_of(invoice):
    return [
        (
            line.child.first_name,
            line.label,
            line.category,
            line.quantity,
            line.unit_price,
            line.amount,
            line.service_date,
            line.service_end,
        )
        for line in invoice.lines.order_by("sort_order")
    ]


def test_one_invoice_per_family_priced_by_bracket(booked, structure, family, neighbours):
    run = services.invoice_month(structure, 2026, 11)
    assert run.errors == []
    by_family = {invoice.family.name: invoice for invoice in run.created}
    assert sorted(by_family) == ["DUPONT", "MARTIN", "SIMON"]

    n4, n18, n25 = date(2026, 11, 4), date(2026, 11, 18), date(2026, 11, 25)
    assert lines_of(by_family["DUPONT"]) == [
        ("Hugo", "Matin — Mercredis", "garde", 3, Decimal("4.50"), Decimal("13.50"), n4, n25),
        (
            "Hugo",
            "Sortie : Sortie accrobranche",
            "sortie",
            1,
            Decimal("12.00"),
            Decimal("12.00"),
            n25,
            None,
        ),
        (
            "Léa",
            "Journée avec repas — Mercredis",
            "garde",
            3,
            Decimal("11.00"),
            Decimal("33.00"),
            n4,
            n25,
        ),
        (
            "Léa",
            "Repas — Journée avec repas — Mercredis",
            "repas",
            3,
            Decimal("3.20"),
            Decimal("9.60"),
            n4,
            n25,
        ),
    ]
    assert lines_of(by_family["MARTIN"]) == [
        (
            "Jules",
            "Journée avec repas — Mercredis",
            "garde",
            2,
            Decimal("8.50"),
            Decimal("17.00"),
            n4,
            n18,
        ),
        (
            "Jules",
            "Repas — Journée avec repas — Mercredis",
            "repas",
            2,
            Decimal("2.80"),
            Decimal("5.60"),
            n4,
            n18,
        ),
    ]
    assert lines_of(by_family["SIMON"]) == [
        (
            "Tom",
            "Journée avec repas — Mercredis",
            "garde",
            1,
            Decimal("13.50"),
            Decimal("13.50"),
            n18,
            None,
        ),
        (
            "Tom",
            "Repas — Journée avec repas — Mercredis",
            "repas",
            1,
            Decimal("3.60"),
            Decimal("3.60"),
            n18,
            None,
        ),
    ]
    totals = {
        name: sum(line.amount for line in invoice.lines.all())
        for name, invoice in by_family.items()
    }
    assert totals == {
        "DUPONT": Decimal("68.10"),
        "MARTIN": Decimal("22.60"),
        "SIMON": Decimal("17.10"),
    }
    dupont = by_family["DUPONT"]
    assert dupont.is_draft
    assert (dupont.period_start, dupont.period_end) == (date(2026, 11, 1), date(2026, 11, 30))
    assert dupont.external_reference == f"RES-2026-11-{family.pk}"
    # Every booking of the month now points at its invoice.
    assert not services.billable_bookings(structure, date(2026, 11, 1), date(2026, 11, 30))


def test_running_twice_creates_nothing_twice(booked, structure):
    first = services.invoice_month(structure, 2026, 11)
    count = Invoice.objects.count()
    second = services.invoice_month(structure, 2026, 11)
    assert len(first.created) == 3
    assert second.created == [] and second.errors == []
    assert Invoice.objects.count() == count


def test_a_booking_added_later_gets_a_supplementary_invoice(
    booked, structure, november, neighbours, jules, director
):
    journee, _matin, _trip = november
    services.invoice_month(structure, 2026, 11)
    services.book(
        jules,
        slot(journee, date(2026, 11, 25)),
        by=director,
        on_behalf=True,
        now=utc(2026, 11, 24, 15, 0),
    )
    run = services.invoice_month(structure, 2026, 11)
    assert [invoice.family for invoice in run.created] == [neighbours]
    extra = run.created[0]
    assert extra.external_reference == f"RES-2026-11-{neighbours.pk}-2"
    assert [(line.label, line.quantity, line.amount) for line in extra.lines.all()] == [
        ("Journée avec repas — Mercredis", 1, Decimal("8.50")),
        ("Repas — Journée avec repas — Mercredis", 1, Decimal("2.80")),
    ]


def test_a_new_quotient_applies_from_its_proof_date_only(booked, structure, family):
    # A new attestation dated 20 November: the 25th is priced in the lower bracket.
    quotient(family, "450", date(2026, 11, 20))
    run = services.invoice_month(structure, 2026, 11)
    dupont = next(invoice for invoice in run.created if invoice.family == family)
    lea_lines = [
        (line.category, line.quantity, line.unit_price)
        for line in dupont.lines.order_by("sort_order")
        if line.child.first_name == "Léa"
    ]
    assert lea_lines == [
        ("garde", 2, Decimal("11.00")),
        ("repas", 2, Decimal("3.20")),
        ("garde", 1, Decimal("8.50")),
        ("repas", 1, Decimal("2.80")),
    ]


def test_a_justified_absence_accepted_after_issue_is_credited(
    booked, structure, family, guardian, director
):
    run = services.invoice_month(structure, 2026, 11)
    invoice = next(i for i in run.created if i.family == family)
    issue_invoice(invoice, render_pdf=False, notify=False)
    absent = booked["absent"]
    justification = services.justify_absence(
        absent,
        reason="Angine",
        document=ContentFile(PDF, name="certificat.pdf"),
        by=guardian.user,
        now=utc(2026, 11, 26, 9, 0),
    )
    credit_note = services.accept_absence(justification, by=director)
    assert credit_note.status == DocumentStatus.ISSUED
    assert credit_note.invoice == invoice
    assert credit_note.total == Decimal("14.20")  # 11,00 care + 3,20 meal
    assert sorted((line.label, line.quantity) for line in credit_note.lines.all()) == [
        ("Journée avec repas — Mercredis", 1),
        ("Repas — Journée avec repas — Mercredis", 1),
    ]
    absent.refresh_from_db()
    assert absent.credit_note == credit_note
    assert absent.attendance == Booking.Attendance.ABSENT


def test_a_justified_absence_on_a_draft_rebuilds_the_draft_without_the_day(
    booked, structure, family, guardian, director
):
    services.invoice_month(structure, 2026, 11)
    absent = booked["absent"]
    justification = services.justify_absence(
        absent,
        reason="Angine",
        document=ContentFile(PDF, name="certificat.pdf"),
        by=guardian.user,
        now=utc(2026, 11, 26, 9, 0),
    )
    assert services.accept_absence(justification, by=director) is None
    assert not CreditNote.objects.exists()
    draft = Invoice.objects.get(family=family)
    assert draft.is_draft and draft.external_reference == f"RES-2026-11-{family.pk}"
    lea = [
        (line.category, line.quantity)
        for line in draft.lines.order_by("sort_order")
        if line.child.first_name == "Léa"
    ]
    assert lea == [("garde", 2), ("repas", 2)]


def test_a_justified_absence_accepted_before_invoicing_is_not_invoiced(
    booked, structure, family, guardian, director
):
    justification = services.justify_absence(
        booked["absent"],
        reason="Angine",
        document=ContentFile(PDF, name="certificat.pdf"),
        by=guardian.user,
        now=utc(2026, 11, 26, 9, 0),
    )
    services.accept_absence(justification, by=director)
    run = services.invoice_month(structure, 2026, 11)
    dupont = next(i for i in run.created if i.family == family)
    assert sum(line.amount for line in dupont.lines.all()) == Decimal("68.10") - Decimal("14.20")


def test_a_refused_justification_leaves_the_day_due(booked, structure, family, guardian, director):
    justification = services.justify_absence(
        booked["absent"],
        reason="Rendez-vous",
        document=ContentFile(PDF, name="mot.pdf"),
        by=guardian.user,
        now=utc(2026, 11, 26, 9, 0),
    )
    services.refuse_absence(justification, by=director, note="Pas de certificat médical.")
    run = services.invoice_month(structure, 2026, 11)
    dupont = next(i for i in run.created if i.family == family)
    assert sum(line.amount for line in dupont.lines.all()) == Decimal("68.10")


def test_justification_only_once_the_day_can_no_longer_be_cancelled(booked, guardian):
    with pytest.raises(services.BookingError, match="Vous pouvez encore annuler ce jour"):
        services.justify_absence(
            booked["absent"],
            reason="Angine",
            document=ContentFile(PDF, name="c.pdf"),
            by=guardian.user,
            now=utc(2026, 11, 20, 9, 0),
        )
    with pytest.raises(services.BookingError, match="Le délai pour justifier"):
        services.justify_absence(
            booked["absent"],
            reason="Angine",
            document=ContentFile(PDF, name="c.pdf"),
            by=guardian.user,
            now=utc(2026, 12, 3, 0, 0),
        )


def test_missing_prices_are_reported_and_other_families_invoiced(booked, structure, november):
    journee, _matin, _trip = november
    journee.prices.filter(bracket__min_quotient=Decimal("1001")).delete()
    run = services.invoice_month(structure, 2026, 11)
    assert sorted(invoice.family.name for invoice in run.created) == ["DUPONT", "MARTIN"]
    assert [(family.name, message) for family, message in run.errors] == [
        ("SIMON", "Pas de prix pour Journée avec repas (Mercredis) dans la tranche QF > 1000.")
    ]


def test_the_command_invoices_a_month_once(booked, structure, capsys):
    call_command("invoice_bookings", "2026-11", "--structure", "brax")
    assert capsys.readouterr().out == "Commune de Brax: 3 invoice(s) created\n"
    call_command("invoice_bookings", "2026-11", "--structure", "brax")
    assert capsys.readouterr().out == "Commune de Brax: 0 invoice(s) created\n"
    assert Invoice.objects.count() == 3
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("invoice_bookings", "2026-13")
    with pytest.raises(CommandError, match="No structure"):
        call_command("invoice_bookings", "2026-11", "--structure", "nowhere")


def test_the_command_can_issue_the_invoices(booked, structure, capsys):
    call_command("invoice_bookings", "2026-11", "--issue")
    assert "3 invoice(s) created, 3 issued" in capsys.readouterr().out
    assert Invoice.objects.filter(status=DocumentStatus.ISSUED).count() == 3


def test_a_month_issued_at_once_gives_each_family_its_numbered_invoice_and_pdf(
    booked, structure, family, neighbours
):
    import io

    from pypdf import PdfReader

    run = services.invoice_month(structure, 2026, 11, issue=True, pdf_workers=2)

    assert run.errors == []
    assert [invoice.number for invoice in run.issued] == sorted(
        invoice.number for invoice in run.issued
    )
    totals = {invoice.family: invoice.total for invoice in run.issued}
    assert (totals[family], totals[neighbours]) == (Decimal("68.10"), Decimal("22.60"))
    for invoice in run.issued:
        invoice.refresh_from_db()
        with invoice.pdf.open("rb") as stored:
            reader = PdfReader(io.BytesIO(stored.read()))
        text = " ".join(reader.pages[0].extract_text().split())
        assert len(reader.pages) == 1
        assert f"Facture {invoice.number}" in text
        assert f"{invoice.total}".replace(".", ",") + " €" in text
        assert "1 / 1" in text
