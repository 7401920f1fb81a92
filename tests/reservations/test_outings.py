"""Outings: offered only to children booked enough days that week, and what happens when a
day is cancelled afterwards (the outing booking is cancelled too, and its place offered)."""

from datetime import date

from django.core import mail

import pytest

from reservations import services
from reservations.models import Booking, BookingEvent, WaitingListEntry
from tests.factories.parents import ChildFactory, FamilyFactory, GuardianFactory, UserFactory

from .factories import holidays, outing, slot, unit, utc

pytestmark = pytest.mark.django_db

# Holidays from Monday 21 to Friday 25 December 2026; outing on Thursday the 24th.
MONDAY, TUESDAY, WEDNESDAY, THURSDAY = (date(2026, 12, d) for d in (21, 22, 23, 24))
T0 = utc(2026, 12, 1, 12, 0)


@pytest.fixture
def week(structure):
    period = holidays(structure, date(2026, 12, 21), date(2026, 12, 25), opens=date(2026, 11, 1))
    journee = unit(period, capacity=10)
    trip = outing(period, THURSDAY, capacity=1, min_days=3)
    return journee, trip


def test_the_outing_is_refused_with_its_rule_until_three_days_are_booked(week, lea):
    journee, trip = week
    services.book(lea, slot(journee, MONDAY), now=T0)
    services.book(lea, slot(journee, TUESDAY), now=T0)
    with pytest.raises(services.BookingError) as refused:
        services.book(lea, trip.slot, now=T0)
    assert refused.value.messages == [
        "Sortie accrobranche est réservée aux enfants inscrits au moins 3 jours dans la semaine "
        "du lundi 21 décembre 2026 ; Léa a 2 jours réservés cette semaine-là."
    ]
    services.book(lea, slot(journee, WEDNESDAY), now=T0)
    booking = services.book(lea, trip.slot, now=T0)
    assert booking.is_outing and booking.status == Booking.Status.BOOKED


def test_cancelling_a_day_cancels_the_outing_that_is_no_longer_allowed(
    week, lea, guardian, structure, django_capture_on_commit_callbacks
):
    journee, trip = week
    days = [services.book(lea, slot(journee, d), now=T0) for d in (MONDAY, TUESDAY, WEDNESDAY)]
    outing_booking = services.book(lea, trip.slot, now=T0)
    family = FamilyFactory(structure=structure, name="SIMON")
    GuardianFactory(family=family, user=UserFactory(username="simon.test"))
    waiting = ChildFactory(family=family, first_name="Tom")
    for d in (MONDAY, TUESDAY, WEDNESDAY):
        services.book(waiting, slot(journee, d), now=T0)
    services.join_waiting_list(waiting, trip.slot, now=T0)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.cancel(days[1], by=guardian.user, now=T0)

    outing_booking.refresh_from_db()
    assert outing_booking.status == Booking.Status.CANCELLED
    assert "Léa a 2 jours réservés cette semaine-là." in outing_booking.cancel_reason
    actions = list(
        BookingEvent.objects.filter(child=lea).order_by("pk").values_list("action", flat=True)
    )
    assert actions[-2:] == ["cancelled", "outing_cancelled"]
    # One confirmation to DUPONT listing both changes, and the outing offered to Tom.
    to_dupont = [m for m in mail.outbox if m.to == ["parent.test@example.org"]]
    assert len(to_dupont) == 1
    body = to_dupont[0].body
    assert "- Annulé : Léa, mardi 22 décembre 2026 — Journée avec repas" in body
    assert (
        "- Sortie annulée (trop peu de jours réservés dans la semaine) : Léa, "
        "jeudi 24 décembre 2026 — Sortie accrobranche"
    ) in body
    entry = WaitingListEntry.objects.get(child=waiting)
    assert entry.status == WaitingListEntry.Status.OFFERED
    assert any(m.to == ["simon.test@example.org"] for m in mail.outbox)


def test_cancelling_a_day_keeps_the_outing_while_enough_days_remain(week, lea):
    journee, trip = week
    days = [
        services.book(lea, slot(journee, d), now=T0)
        for d in (MONDAY, TUESDAY, WEDNESDAY, date(2026, 12, 25))
    ]
    outing_booking = services.book(lea, trip.slot, now=T0)
    services.cancel(days[0], now=T0)
    outing_booking.refresh_from_db()
    assert outing_booking.status == Booking.Status.BOOKED


def test_an_offer_skips_a_child_no_longer_eligible(week, lea, structure):
    journee, trip = week
    holder = ChildFactory(family=FamilyFactory(structure=structure))
    for d in (MONDAY, TUESDAY, WEDNESDAY):
        services.book(holder, slot(journee, d), now=T0)
    taken = services.book(holder, trip.slot, now=T0)
    days = [services.book(lea, slot(journee, d), now=T0) for d in (MONDAY, TUESDAY, WEDNESDAY)]
    services.join_waiting_list(lea, trip.slot, now=T0)
    services.cancel(days[0], now=T0)
    services.cancel(taken, now=T0)
    entry = WaitingListEntry.objects.get(child=lea)
    assert entry.status == WaitingListEntry.Status.WITHDRAWN


def test_the_refusal_counts_the_childs_days_in_its_own_plural(week, lea):
    from django.utils import translation

    _journee, trip = week
    with pytest.raises(services.BookingError) as refused:
        services.book(lea, trip.slot, now=T0)
    assert refused.value.messages[0].endswith("; Léa n'a aucun jour réservé cette semaine-là.")
    with translation.override("en"), pytest.raises(services.BookingError) as refused:
        services.book(lea, trip.slot, now=T0)
    assert refused.value.messages == [
        "Sortie accrobranche is open to children booked at least 3 days in the week of "
        "Monday 21 December 2026; Léa has no day booked that week."
    ]
