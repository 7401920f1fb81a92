"""Capacity: never exceeded, by families, by the centre, with offers holding places, and
under concurrent bookings on PostgreSQL."""

import threading
from datetime import date

from django.db import connection, connections

import pytest

from reservations import services
from reservations.models import AgeGroup, Booking, Slot, WaitingListEntry
from tests.factories.parents import ChildFactory, FamilyFactory

from .factories import slot, unit, utc, wednesdays

pytestmark = pytest.mark.django_db

DAY = date(2026, 12, 9)
BEFORE = utc(2026, 12, 1, 12, 0)


@pytest.fixture
def journee(structure):
    period = wednesdays(structure, date(2026, 12, 1), date(2026, 12, 31), opens=date(2026, 11, 1))
    return unit(period, capacity=2)


def children(structure, count):
    return [
        ChildFactory(family=FamilyFactory(structure=structure), first_name=f"Enfant{n}")
        for n in range(count)
    ]


def test_the_third_child_is_refused_when_two_places_are_taken(journee, structure):
    first, second, third = children(structure, 3)
    services.book(first, slot(journee, DAY), now=BEFORE)
    services.book(second, slot(journee, DAY), now=BEFORE)
    with pytest.raises(services.BookingError, match="est complet"):
        services.book(third, slot(journee, DAY), now=BEFORE)
    # The centre cannot overbook either.
    with pytest.raises(services.BookingError, match="est complet"):
        services.book(third, slot(journee, DAY), on_behalf=True, now=BEFORE)
    assert Booking.objects.filter(slot=slot(journee, DAY), status="booked").count() == 2


def test_an_open_offer_holds_its_place(journee, structure):
    first, second, third = children(structure, 3)
    booked = services.book(first, slot(journee, DAY), now=BEFORE)
    services.book(second, slot(journee, DAY), now=BEFORE)
    services.join_waiting_list(third, slot(journee, DAY), now=BEFORE)
    services.cancel(booked, now=BEFORE)
    # The freed place is offered to the third child: the first cannot take it back.
    with pytest.raises(services.BookingError, match="est complet"):
        services.book(first, slot(journee, DAY), now=BEFORE)
    entry = WaitingListEntry.objects.get(child=third)
    assert entry.status == WaitingListEntry.Status.OFFERED
    services.accept_offer(entry, now=BEFORE)
    assert Booking.objects.filter(slot=slot(journee, DAY), status="booked").count() == 2


def test_one_unit_per_child_and_day(structure, lea):
    period = wednesdays(structure, date(2026, 12, 1), date(2026, 12, 31), opens=date(2026, 11, 1))
    journee = unit(period)
    matin = unit(period, "Matin", meal=False, span="morning", order=1)
    services.book(lea, slot(journee, DAY), now=BEFORE)
    with pytest.raises(
        services.BookingError,
        match=r"Léa a déjà une réservation le mercredi 9 décembre 2026 \(Journée avec repas\)",
    ):
        services.book(lea, slot(matin, DAY), now=BEFORE)


def test_age_group_places_are_counted_apart(structure, lea):
    period = wednesdays(structure, date(2026, 12, 1), date(2026, 12, 31), opens=date(2026, 11, 1))
    journee = unit(period, capacity=10)
    little = AgeGroup.objects.create(structure=structure, name="3-5 ans", min_age=3, max_age=5)
    day = slot(journee, DAY).day
    small = Slot.objects.create(day=day, unit=journee, age_group=little, capacity=1)
    toddler = ChildFactory(family=lea.family, first_name="Zoé", birth_date=date(2022, 1, 5))
    other = ChildFactory(family=FamilyFactory(structure=structure), birth_date=date(2022, 3, 1))
    services.book(toddler, small, now=BEFORE)
    with pytest.raises(services.BookingError, match="est complet"):
        services.book(other, small, now=BEFORE)
    # Léa (born 2018) is not in the 3-5 group.
    with pytest.raises(services.BookingError, match="groupe 3-5 ans"):
        services.book(lea, small, now=BEFORE)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_never_exceed_capacity(structure):
    if connection.vendor != "postgresql":
        pytest.skip("Row locks (SELECT … FOR UPDATE) are only meaningful on PostgreSQL.")
    period = wednesdays(structure, date(2026, 12, 1), date(2026, 12, 31), opens=date(2026, 11, 1))
    journee = unit(period, capacity=3)
    target = slot(journee, DAY)
    kids = children(structure, 12)
    barrier = threading.Barrier(len(kids))
    results = []

    def attempt(child):
        try:
            barrier.wait(timeout=10)
            services.book(child, target, now=BEFORE)
            results.append("booked")
        except services.BookingError:
            results.append("full")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(child,)) for child in kids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(results) == ["booked"] * 3 + ["full"] * 9
    assert Booking.objects.filter(slot=target, status="booked").count() == 3
