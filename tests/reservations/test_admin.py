"""The directors' side: configuration, attendance (screen and PDF), capacity dashboard and
waiting lists, booking on behalf past the deadline, absences, invoicing the month."""

import io
import re
from datetime import date, timedelta
from html import unescape

from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

import pytest
from pypdf import PdfReader

from billing.ledger.services import issue_invoice
from billing.models import CreditNote, DocumentStatus, Invoice
from core.dates import format_date
from parents.roles import DIRECTION_GROUP
from reservations import services
from reservations.deadlines import PARIS
from reservations.models import Booking, Day, Period, Slot, Unit, WaitingListEntry
from reservations.viewsets import reservations_permissions
from tests.factories.parents import ChildFactory, FamilyFactory, UserFactory

from .conftest import page_text
from .factories import brackets, quotient, slot, unit, utc, wednesdays

pytestmark = pytest.mark.django_db


@pytest.fixture
def director_client(director, verified_client):
    # Until parents.roles lists them, the Direction group gets the bookings permissions here.
    pairs = [
        *reservations_permissions(),
        ("billing", "add_invoice"),
        ("billing", "change_invoice"),
        ("billing", "view_invoice"),
    ]
    Group.objects.get(name=DIRECTION_GROUP).permissions.add(
        *[
            Permission.objects.get(content_type__app_label=app, codename=codename)
            for app, codename in pairs
        ]
    )
    return verified_client(director)


def html(response):
    return unescape(response.content.decode())


def today():
    return timezone.now().astimezone(PARIS).date()


@pytest.fixture
def period(structure):
    start = today() - timedelta(days=14)
    period = wednesdays(
        structure,
        start,
        today() + timedelta(days=42),
        opens=today() - timedelta(days=30),
        name="Mercredis d'automne",
    )
    unit(period, capacity=2)
    return period


def wednesday(offset_weeks):
    start = today() + timedelta(weeks=offset_weeks)
    return start + timedelta(days=(2 - start.weekday()) % 7)


def test_every_bookings_admin_page_opens_for_a_director(director_client, period):
    for name in (
        "reservation_attendance:index",
        "reservation_dashboard:index",
        "reservation_on_behalf:index",
        "reservation_absences:index",
        "reservation_invoicing:index",
        "reservation_periods:index",
        "reservation_units:index",
        "reservation_days:index",
        "reservation_capacities:index",
        "reservation_outings:index",
        "reservation_brackets:index",
        "family_file_quotients:index",
        "reservation_age_groups:index",
        "reservation_periods:add",
        "reservation_units:add",
        "reservation_outings:add",
    ):
        response = director_client.get(reverse(name))
        assert response.status_code == 200, name
    # The sidebar is described in JSON, where accented letters are escaped.
    menu = re.sub(
        r"\\u([0-9a-fA-F]{4})",
        lambda match: chr(int(match.group(1), 16)),
        html(director_client.get(reverse("wagtailadmin_home"))),
    )
    for label in ("Réservations", "Liste de présence", "Tableau des places", "Facturer le mois"):
        assert label in menu


def test_staff_without_the_bookings_permissions_are_refused(verified_client, structure):
    from django.contrib.auth.models import Group

    from parents.roles import setup_roles

    setup_roles()
    user = UserFactory(username="communication.test")
    user.groups.add(Group.objects.get(name="Communication"))
    client = verified_client(user)
    for name in (
        "reservation_attendance:index",
        "reservation_invoicing:index",
        "reservation_on_behalf:index",
    ):
        assert client.get(reverse(name)).status_code in (302, 403)


def test_a_period_created_in_the_admin_gets_its_days(director_client, structure):
    low, middle, high = brackets(structure)
    response = director_client.post(
        reverse("reservation_periods:add"),
        {
            "structure": structure.pk,
            "name": "Vacances de Noël 2026",
            "kind": "holidays",
            "first_day": "2026-12-21",
            "last_day": "2027-01-01",
            "weekday_set": ["0", "1", "2", "3", "4"],
            "closed_dates": "25/12/2026\n01/01/2027",
            "booking_opens_on": "2026-11-16",
            "booking_closes_on": "2026-12-18",
            "deadline_kind": "days_before",
            "deadline_weekday": "0",
            "deadline_days": "2",
            "deadline_time": "10:00",
            "offer_hours": "48",
            "justification_days": "7",
            "reminder_hours": "48",
        },
    )
    assert response.status_code == 302, html(response)
    period = Period.objects.get(name="Vacances de Noël 2026")
    assert period.weekdays == "0,1,2,3,4"
    days = list(period.days.values_list("date", "is_closed"))
    assert len(days) == 10
    assert (date(2026, 12, 25), True) in days and (date(2027, 1, 1), True) in days
    response = director_client.post(
        reverse("reservation_units:add"),
        {
            "period": period.pk,
            "name": "Journée avec repas",
            "span": "day",
            "includes_meal": "on",
            "category": "garde",
            "default_capacity": "20",
            "sort_order": "0",
            "prices-TOTAL_FORMS": "3",
            "prices-INITIAL_FORMS": "0",
            "prices-MIN_NUM_FORMS": "0",
            "prices-MAX_NUM_FORMS": "1000",
            **{
                f"prices-{n}-{field}": value
                for n, (bracket, price) in enumerate(
                    [(low, "9.50"), (middle, "12.00"), (high, "14.50")]
                )
                for field, value in (
                    ("bracket", bracket.pk),
                    ("price", price),
                    ("meal_price", "3.20"),
                    ("id", ""),
                    ("DELETE", ""),
                    ("ORDER", str(n + 1)),
                )
            },
        },
    )
    assert response.status_code == 302, html(response)
    journee = Unit.objects.get(period=period)
    assert sorted(p.price for p in journee.prices.all()) == [9.5, 12, 14.5]
    assert Slot.objects.filter(unit=journee, capacity=20).count() == 10


def test_another_structures_configuration_is_not_found(director_client, other_guardian):
    elsewhere = wednesdays(
        other_guardian.family.structure,
        date(2026, 12, 1),
        date(2026, 12, 31),
        name="Mercredis de Lévignac",
    )
    journee = unit(elsewhere)
    day = elsewhere.days.first()
    for url in (
        reverse("reservation_periods:edit", args=(elsewhere.pk,)),
        reverse("reservation_units:edit", args=(journee.pk,)),
        reverse("reservation_days:edit", args=(day.pk,)),
        reverse("reservation_capacities:edit", args=(slot(journee, day.date).pk,)),
        reverse("reservation_dashboard:waiting_list", args=(slot(journee, day.date).pk,)),
        reverse("reservation_on_behalf:family", args=(other_guardian.family.pk,)),
        reverse(
            "reservation_on_behalf:calendar",
            args=(ChildFactory(family=other_guardian.family).pk, elsewhere.pk),
        ),
    ):
        assert director_client.get(url).status_code == 404, url
    assert "Mercredis de Lévignac" not in html(
        director_client.get(reverse("reservation_periods:index"))
    )


def test_attendance_list_on_screen_marking_and_pdf(director_client, structure, period, lea, jules):
    day = wednesday(2)
    journee = period.units.get()
    lea_booking = services.book(lea, slot(journee, day))
    jules_booking = services.book(jules, slot(journee, day))
    url = reverse("reservation_attendance:index")
    query = {"structure": structure.pk, "date": day.isoformat()}
    text = page_text(director_client.get(url, query))
    assert "2 enfants réservés." in text
    assert "DUPONT Léa" in text and "MARTIN Jules" in text
    assert "Allergies / remarques" in text
    response = director_client.post(
        url,
        {
            "structure": structure.pk,
            "query": f"structure={structure.pk}&date={day.isoformat()}",
            f"attendance-{lea_booking.pk}": "present",
            f"attendance-{jules_booking.pk}": "absent",
        },
    )
    assert response.status_code == 302
    lea_booking.refresh_from_db()
    jules_booking.refresh_from_db()
    assert (lea_booking.attendance, jules_booking.attendance) == ("present", "absent")
    pdf = director_client.get(url, {**query, "format": "pdf"})
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == (
        f'attachment; filename="presences-brax-{day.isoformat()}.pdf"'
    )
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Liste de présence" in text
    assert "DUPONT Léa" in text and "MARTIN Jules" in text
    assert format_date(day, "l j F Y") in text


def test_attendance_of_another_structure_is_refused(director_client, other_guardian):
    response = director_client.get(
        reverse("reservation_attendance:index"),
        {"structure": other_guardian.family.structure.pk, "date": "2026-12-02"},
    )
    assert "Sélectionnez un choix valide" in html(response)
    response = director_client.post(
        reverse("reservation_attendance:index"),
        {"structure": other_guardian.family.structure.pk},
    )
    assert response.status_code == 404


def test_dashboard_and_waiting_list(director_client, structure, period, lea, jules):
    day = wednesday(3)
    journee = period.units.get()
    target = slot(journee, day)
    services.book(jules, target)
    services.book(ChildFactory(family=FamilyFactory(structure=structure)), target)
    entry = services.join_waiting_list(lea, target)
    text = page_text(
        director_client.get(reverse("reservation_dashboard:index"), {"period": period.pk})
    )
    assert "2 / 2 complet — 1 en attente" in text
    url = reverse("reservation_dashboard:waiting_list", args=(target.pk,))
    text = page_text(director_client.get(url))
    assert "Places prises : 2 sur 2." in text
    assert "1 Léa DUPONT" in text and "espace famille" in text
    response = director_client.post(url, {"entry": entry.pk})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == WaitingListEntry.Status.WITHDRAWN


def test_the_centre_books_past_the_deadline_and_it_is_recorded(
    director_client, director, period, lea
):
    past = wednesday(-1)
    journee = period.units.get()
    url = reverse("reservation_on_behalf:calendar", args=(lea.pk, period.pk))
    assert f'name="book" value="{slot(journee, past).pk}"' in html(director_client.get(url))
    response = director_client.post(url, {"book": [slot(journee, past).pk]}, follow=True)
    booking = Booking.objects.get(child=lea)
    assert (booking.on_behalf, booking.late, booking.created_by) == (True, True, director)
    assert "Réservé : Léa DUPONT" in page_text(response)
    family_page = page_text(
        director_client.get(reverse("reservation_on_behalf:family", args=(lea.family.pk,)))
    )
    assert "Réservé (après la date limite)" in family_page


def test_raising_a_capacity_offers_the_place(director_client, structure, period, lea, jules):
    day = wednesday(3)
    target = slot(period.units.get(), day)
    services.book(jules, target)
    services.book(ChildFactory(family=FamilyFactory(structure=structure)), target)
    services.join_waiting_list(lea, target)
    response = director_client.post(
        reverse("reservation_capacities:edit", args=(target.pk,)), {"capacity": "3"}
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.capacity == 3
    assert WaitingListEntry.objects.get(child=lea).status == WaitingListEntry.Status.OFFERED


def test_closing_a_day_with_bookings_is_refused(director_client, period, lea):
    day = wednesday(2)
    services.book(lea, slot(period.units.get(), day))
    target = Day.objects.get(period=period, date=day)
    response = director_client.post(
        reverse("reservation_days:edit", args=(target.pk,)), {"is_closed": "on", "note": ""}
    )
    assert "Des enfants sont réservés ce jour-là" in html(response)
    target.refresh_from_db()
    assert target.is_closed is False


def test_accepting_an_absence_in_the_admin_issues_the_credit_note(
    director_client, structure, guardian, lea
):
    low, middle, high = brackets(structure)
    november = wednesdays(
        structure, date(2026, 11, 1), date(2026, 11, 30), opens=date(2026, 10, 1), name="Mercredis"
    )
    journee = unit(november, prices=dict.fromkeys((low, middle, high), ("10.00", "3.00")))
    quotient(lea.family, "500", date(2026, 9, 1))
    booking = services.book(lea, slot(journee, date(2026, 11, 18)), now=utc(2026, 11, 1, 8))
    run = services.invoice_month(structure, 2026, 11)
    issue_invoice(run.created[0], render_pdf=False, notify=False)
    justification = services.justify_absence(
        booking,
        reason="Varicelle",
        document=ContentFile(b"%PDF-1.4", name="certificat.pdf"),
        by=guardian.user,
        now=utc(2026, 11, 19, 8),
    )
    url = reverse("reservation_absences:review", args=(justification.pk,))
    text = page_text(director_client.get(url))
    assert "Varicelle" in text and "Télécharger le justificatif" in text
    document = director_client.get(
        reverse("reservation_absences:document", args=(justification.pk,))
    )
    assert b"".join(document.streaming_content) == b"%PDF-1.4"
    response = director_client.post(url, {"decision": "accept"}, follow=True)
    credit_note = CreditNote.objects.get()
    assert credit_note.status == DocumentStatus.ISSUED and credit_note.total == 13
    assert f"Absence acceptée : avoir {credit_note.number} émis." in page_text(response)


def test_invoice_the_month_from_the_admin(director_client, structure, lea):
    low, middle, high = brackets(structure)
    november = wednesdays(structure, date(2026, 11, 1), date(2026, 11, 30), opens=date(2026, 10, 1))
    journee = unit(november, prices=dict.fromkeys((low, middle, high), ("10.00", "3.00")))
    services.book(lea, slot(journee, date(2026, 11, 18)), now=utc(2026, 11, 1, 8))
    url = reverse("reservation_invoicing:index")
    data = {"structure": structure.pk, "month": "2026-11"}
    text = page_text(director_client.post(url, data))
    assert "1 facture(s) créée(s) pour 11/2026." in text
    assert Invoice.objects.get().is_draft
    text = page_text(director_client.post(url, data))
    assert "Rien de nouveau à facturer pour ce mois." in text
    assert Invoice.objects.count() == 1
    assert "Écrivez le mois sous la forme 2026-11." in page_text(
        director_client.post(url, {"structure": structure.pk, "month": "novembre"})
    )
