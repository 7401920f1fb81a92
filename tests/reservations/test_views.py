"""The family area's "Réservations" pages: what a parent sees and can do, and cannot."""

from datetime import timedelta

from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

import pytest

from core.dates import format_date
from reservations import services
from reservations.deadlines import PARIS
from reservations.models import (
    AbsenceJustification,
    Booking,
    BookingEvent,
    ReminderPreference,
    WaitingListEntry,
)
from tests.factories.parents import ChildFactory, FamilyFactory, GuardianFactory, UserFactory

from .conftest import messages_of, page_text
from .factories import slot, unit, wednesdays

pytestmark = pytest.mark.django_db

WEDNESDAY = 2


def today():
    return timezone.now().astimezone(PARIS).date()


def label(day):
    return format_date(day, "l j F Y")


class Setup:
    """A Wednesday period from three weeks ago to ten weeks ahead, relative to today."""

    def __init__(self, structure):
        start = today() - timedelta(days=21)
        first_wednesday = start + timedelta(days=(WEDNESDAY - start.weekday()) % 7)
        self.wednesdays = [first_wednesday + timedelta(weeks=n) for n in range(13)]
        self.past = self.wednesdays[1]  # two weeks ago at least: the deadline has passed
        self.open = self.wednesdays[5]  # two weeks ahead at least: still open
        self.full = self.wednesdays[6]
        self.closed = self.wednesdays[7]
        self.period = wednesdays(
            structure,
            start,
            today() + timedelta(days=70),
            opens=today() - timedelta(days=30),
            closed=self.closed.strftime("%d/%m/%Y"),
            name="Mercredis de l'année",
        )
        self.journee = unit(self.period, "Journée avec repas", capacity=2)
        self.matin = unit(self.period, "Matin", meal=False, span="morning", capacity=10, order=1)
        full = slot(self.journee, self.full)
        for n in range(2):
            other = ChildFactory(family=FamilyFactory(structure=structure), first_name=f"N{n}")
            services.book(other, full)

    def url(self, child):
        return reverse("reservations:calendar", args=(child.pk, self.period.pk))


@pytest.fixture
def setup(structure):
    return Setup(structure)


def test_the_menu_entry_opens_the_bookings_page(parent_client, setup, lea):
    response = parent_client.get(reverse("reservations:bookings"))
    assert response.status_code == 200
    text = page_text(response)
    assert "Réservations" in text
    assert "Réserver pour vos enfants" in text
    assert "Mercredis de l'année" in text
    assert "Léa : 0 jour réservé" in text
    assert "le lundi précédent à 10 h 00" in text
    family_calendar = reverse("reservations:family-calendar", args=(setup.period.pk,))
    assert f'href="{family_calendar}"' in response.content.decode()
    assert 'aria-current="page">Réservations<' in response.content.decode()


def test_the_calendar_shows_what_is_booked_free_full_closed_or_past(
    parent_client, setup, lea, director
):
    services.book(lea, slot(setup.journee, setup.past), by=director, on_behalf=True)
    response = parent_client.get(setup.url(lea))
    assert response.status_code == 200
    text = page_text(response)
    assert "Léa — Mercredis de l'année" in text
    assert f"{label(setup.past)} Réservé" in text
    assert "Réservé : Journée avec repas — le délai est dépassé" in text
    assert f"{label(setup.closed)} Fermé" in text
    assert f"{label(setup.wednesdays[0])} Délai dépassé" in text
    assert "Journée avec repas (2 places restantes)" in text
    assert "Matin (10 places restantes)" in text
    assert "Journée avec repas : complet — s'inscrire en liste d'attente" in text
    full = slot(setup.journee, setup.full)
    assert f'name="wait" value="{full.pk}"' in response.content.decode()


def test_a_parent_books_a_day_and_gets_it_confirmed_on_screen_by_email_and_in_history(
    parent_client, setup, lea, django_capture_on_commit_callbacks
):
    target = slot(setup.journee, setup.open)
    with django_capture_on_commit_callbacks(execute=True):
        response = parent_client.post(setup.url(lea), {"book": [target.pk]}, follow=True)
    assert response.redirect_chain == [(setup.url(lea), 302)]
    confirmation = f"Réservé : Léa, {label(setup.open)} — Journée avec repas"
    assert messages_of(response) == [confirmation]
    assert Booking.objects.get(child=lea, slot=target).status == Booking.Status.BOOKED
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["parent.test@example.org"]
    assert mail.outbox[0].subject == (
        "Vos réservations : modifications confirmées — Commune de Brax"
    )
    assert f"- {confirmation}" in mail.outbox[0].body
    history = page_text(parent_client.get(reverse("reservations:history")))
    assert f"Réservé Léa {label(setup.open)} Journée avec repas vous" in history


def test_a_parent_cancels_and_joins_a_waiting_list_in_one_submission(parent_client, setup, lea):
    booking = services.book(lea, slot(setup.journee, setup.open))
    full = slot(setup.journee, setup.full)
    response = parent_client.post(
        setup.url(lea), {"cancel": [booking.pk], "wait": [full.pk]}, follow=True
    )
    assert messages_of(response) == [
        f"Annulé : Léa, {label(setup.open)} — Journée avec repas",
        f"Inscrit en liste d'attente : Léa, {label(setup.full)} — Journée avec repas",
    ]
    booking.refresh_from_db()
    assert booking.status == Booking.Status.CANCELLED
    assert "Journée avec repas : complet — liste d'attente, rang 1." in page_text(response)
    home = page_text(parent_client.get(reverse("reservations:bookings")))
    assert f"Léa {label(setup.full)} Journée avec repas 1 Quitter la liste" in home


def test_a_forged_request_cannot_book_or_cancel_past_the_deadline(
    parent_client, setup, lea, director
):
    past = slot(setup.journee, setup.wednesdays[2])
    response = parent_client.post(setup.url(lea), {"book": [past.pk]}, follow=True)
    assert messages_of(response) == [
        f"Il est trop tard pour modifier le {label(setup.wednesdays[2])} : la date limite "
        f"était le {label(setup.wednesdays[2] - timedelta(days=2))} à 10 h 00."
    ]
    assert not Booking.objects.filter(child=lea).exists()
    booked = services.book(lea, slot(setup.journee, setup.past), by=director, on_behalf=True)
    response = parent_client.post(setup.url(lea), {"cancel": [booked.pk]}, follow=True)
    assert messages_of(response)[0].startswith("Il est trop tard pour modifier")
    booked.refresh_from_db()
    assert booked.status == Booking.Status.BOOKED


def test_two_units_the_same_day_are_refused_for_the_second(parent_client, setup, lea):
    response = parent_client.post(
        setup.url(lea),
        {"book": [slot(setup.journee, setup.open).pk, slot(setup.matin, setup.open).pk]},
        follow=True,
    )
    assert messages_of(response) == [
        f"Réservé : Léa, {label(setup.open)} — Journée avec repas",
        f"Léa a déjà une réservation le {label(setup.open)} (Journée avec repas) : "
        "annulez-la d'abord.",
    ]
    assert Booking.objects.filter(child=lea).count() == 1


def test_a_typical_week_books_every_open_wednesday(parent_client, setup, lea):
    url = reverse("reservations:typical-week", args=(lea.pk, setup.period.pk))
    response = parent_client.post(
        url, {"weekdays": ["2"], "unit": setup.journee.pk, "wait_if_full": "on"}, follow=True
    )
    open_days = [
        day
        for day in setup.wednesdays
        if day != setup.closed
        and day <= setup.period.last_day
        and setup.period.deadline_for(day) > timezone.now()
    ]
    booked = sorted(b.day.date for b in Booking.objects.filter(child=lea, status="booked"))
    assert booked == [day for day in open_days if day != setup.full]
    waiting = WaitingListEntry.objects.get(child=lea)
    assert waiting.slot.day.date == setup.full
    assert len(messages_of(response)) == len(open_days)


def test_an_offer_is_accepted_from_the_bookings_page(parent_client, setup, lea, structure):
    full = slot(setup.journee, setup.full)
    services.join_waiting_list(lea, full)
    services.cancel(Booking.objects.filter(slot=full).first())
    home = parent_client.get(reverse("reservations:bookings"))
    entry = WaitingListEntry.objects.get(child=lea)
    assert "Places qui vous sont proposées" in page_text(home)
    response = parent_client.post(
        reverse("reservations:offer-answer", args=(entry.pk,)), {"answer": "accept"}, follow=True
    )
    assert messages_of(response) == [
        f"Proposition acceptée : Léa, {label(setup.full)} — Journée avec repas"
    ]
    assert Booking.objects.filter(child=lea, slot=full, status="booked").exists()


def test_another_familys_child_booking_or_entry_is_a_404_and_nothing_changes(
    parent_client, setup, lea, jules, other_guardian
):
    target = slot(setup.journee, setup.open)
    assert parent_client.get(setup.url(jules)).status_code == 404
    assert parent_client.post(setup.url(jules), {"book": [target.pk]}).status_code == 404
    typical = reverse("reservations:typical-week", args=(jules.pk, setup.period.pk))
    assert (
        parent_client.post(typical, {"weekdays": ["2"], "unit": setup.journee.pk}).status_code
        == 404
    )
    theirs = services.book(jules, target)
    assert parent_client.post(setup.url(lea), {"cancel": [theirs.pk]}).status_code == 404
    entry = services.join_waiting_list(jules, slot(setup.journee, setup.full))
    for name in ("reservations:offer-answer", "reservations:leave-waiting-list"):
        url = reverse(name, args=(entry.pk,))
        assert parent_client.post(url, {"answer": "decline"}).status_code == 404
    assert parent_client.post(setup.url(lea), {"leave": [entry.pk]}).status_code == 404
    justify = reverse("reservations:justify-absence", args=(theirs.pk,))
    assert parent_client.get(justify).status_code == 404
    # A period of another structure, or one of its slots, does not exist for this family.
    elsewhere = wednesdays(
        other_guardian.family.structure, setup.period.first_day, setup.period.last_day
    )
    foreign = unit(elsewhere)
    url = reverse("reservations:calendar", args=(lea.pk, elsewhere.pk))
    assert parent_client.get(url).status_code == 404
    foreign_slot = slot(foreign, setup.open)
    assert parent_client.post(setup.url(lea), {"book": [foreign_slot.pk]}).status_code == 404
    # Not an id at all: a malformed request.
    assert parent_client.post(setup.url(lea), {"book": ["x"]}).status_code == 400
    theirs.refresh_from_db()
    entry.refresh_from_db()
    assert theirs.status == Booking.Status.BOOKED
    assert entry.status == WaitingListEntry.Status.WAITING
    assert not Booking.objects.filter(child=lea).exists()
    assert not Booking.objects.filter(slot=foreign_slot).exists()


def test_an_absence_is_justified_with_a_document(
    parent_client, setup, lea, director, django_capture_on_commit_callbacks
):
    yesterday_wednesday = max(d for d in setup.wednesdays if d < today())
    booking = services.book(
        lea, slot(setup.journee, yesterday_wednesday), by=director, on_behalf=True
    )
    calendar = page_text(parent_client.get(setup.url(lea)))
    assert "Justifier une absence" in calendar
    url = reverse("reservations:justify-absence", args=(booking.pk,))
    page = page_text(parent_client.get(url))
    assert "Envoyer le justificatif" in page
    # The window ends at midnight: the page gives the last day, to its last minute.
    last_day = yesterday_wednesday + timedelta(days=booking.day.period.justification_days)
    assert f"jusqu'au {format_date(last_day)} à 23 h 59." in page
    assert "00:00" not in page
    wrong = SimpleUploadedFile("certificat.pdf", b"not a pdf", content_type="application/pdf")
    response = parent_client.post(url, {"reason": "Angine", "document": wrong})
    assert "Ce fichier n'est pas un PDF, JPEG ou PNG lisible." in page_text(response)
    document = SimpleUploadedFile("certificat.pdf", b"%PDF-1.4 ok", content_type="application/pdf")
    with django_capture_on_commit_callbacks(execute=True):
        response = parent_client.post(url, {"reason": "Angine", "document": document}, follow=True)
    assert messages_of(response)[0] == (
        f"Justificatif d'absence envoyé : Léa, {label(yesterday_wednesday)} — Journée avec repas"
    )
    justification = AbsenceJustification.objects.get(booking=booking)
    assert justification.document.read() == b"%PDF-1.4 ok"
    assert "Justificatif d'absence : à vérifier" in page_text(response)
    # The family gets its confirmation, the centre a request to review the document.
    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        ["parent.test@example.org", lea.family.structure.email]
    )


def test_reminders_can_be_turned_off(parent_client, guardian):
    url = reverse("reservations:reminders")
    response = parent_client.get(url)
    assert 'name="send_reminders"' in response.content.decode()
    assert "checked" in response.content.decode()
    response = parent_client.post(url, {}, follow=True)
    assert messages_of(response) == ["Vous ne recevrez plus de rappels de réservation."]
    assert ReminderPreference.objects.get(guardian=guardian).send_reminders is False
    parent_client.post(url, {"send_reminders": "on"})
    assert ReminderPreference.objects.get(guardian=guardian).send_reminders is True


def test_the_history_lists_changes_made_by_the_centre(parent_client, setup, lea, director):
    services.book(lea, slot(setup.journee, setup.past), by=director, on_behalf=True)
    text = page_text(parent_client.get(reverse("reservations:history")))
    assert (
        f"Réservé Léa {label(setup.past)} Journée avec repas le centre (après la date limite)"
    ) in text
    assert BookingEvent.objects.filter(family=lea.family).count() == 1


def busy_structure(structure, setup, families):
    """Many other families with bookings on every open day."""
    for n in range(families):
        family = FamilyFactory(structure=structure, name=f"F{n}")
        GuardianFactory(family=family, user=UserFactory(username=f"f{n}.test"))
        child = ChildFactory(family=family)
        for day in setup.wednesdays[3:]:
            if day in (setup.full, setup.closed) or day > setup.period.last_day:
                continue
            services.book(child, slot(setup.matin, day), on_behalf=True)


def count_queries(client, method, url, data=None):
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(url, data or {})
    assert response.status_code in (200, 302)
    return len(queries)


def test_calendar_and_booking_cost_a_constant_number_of_queries(
    parent_client, setup, lea, structure, django_assert_max_num_queries
):
    services.book(lea, slot(setup.journee, setup.open))
    services.join_waiting_list(lea, slot(setup.journee, setup.full))
    parent_client.get(setup.url(lea))  # records the session's activity (once a minute)
    small_page = count_queries(parent_client, "get", setup.url(lea))
    small_post = count_queries(
        parent_client, "post", setup.url(lea), {"book": [slot(setup.matin, setup.wednesdays[8]).pk]}
    )
    busy_structure(structure, setup, families=8)
    for day in setup.wednesdays[9:11]:
        services.book(lea, slot(setup.matin, day))
    assert count_queries(parent_client, "get", setup.url(lea)) == small_page
    assert (
        count_queries(
            parent_client,
            "post",
            setup.url(lea),
            {"book": [slot(setup.matin, setup.wednesdays[11]).pk]},
        )
        == small_post
    )
    with django_assert_max_num_queries(25):
        parent_client.get(setup.url(lea))
    with django_assert_max_num_queries(30):
        parent_client.post(setup.url(lea), {"book": [slot(setup.matin, setup.wednesdays[12]).pk]})


@pytest.mark.django_db(transaction=True)  # a page is kept only once its data is committed
def test_a_stored_calendar_follows_the_bookings_of_other_families(
    parent_client, setup, lea, structure, shared_cache
):
    """The calendar is served again from the shared cache (core.page_cache), but never once
    a place it shows was taken meanwhile, here by another family."""
    parent_client.get(setup.url(lea))  # sets the CSRF cookie: this first page is not kept
    assert "Matin (10 places restantes)" in page_text(parent_client.get(setup.url(lea)))
    with CaptureQueriesContext(connection) as queries:
        again = parent_client.get(setup.url(lea))
    assert not [q for q in queries if "reservations_" in q["sql"]]
    assert "Matin (10 places restantes)" in page_text(again)
    other = ChildFactory(family=FamilyFactory(structure=structure), first_name="Noé")
    services.book(other, slot(setup.matin, setup.open))
    assert "Matin (9 places restantes)" in page_text(parent_client.get(setup.url(lea)))
