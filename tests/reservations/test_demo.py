"""The demo always has open periods, full days with a waiting list, an outing, and bookings
for the DUPONT family; loading it twice changes nothing."""

from django.urls import reverse
from django.utils import timezone

import pytest

from parents import demo as parents_demo
from parents.models import Family, Structure, User
from reservations import demo, services
from reservations.models import Booking, BookingEvent, Outing, Period, Slot, WaitingListEntry

from .conftest import page_text

pytestmark = pytest.mark.django_db


def counts():
    return [
        model.objects.count()
        for model in (Period, Slot, Booking, WaitingListEntry, BookingEvent, Outing)
    ]


def test_demo_bookings_are_open_full_and_idempotent(client):
    parents_demo.load()
    demo.load()
    first = counts()
    demo.load()
    assert counts() == first

    brax = Structure.objects.get(slug="brax")
    now = timezone.now()
    periods = list(Period.objects.visible_to_families(brax, now))
    assert sorted(p.kind for p in periods) == ["holidays", "wednesdays"]
    for period in periods:
        assert any(period.deadline_for(day.date) > now for day in period.days.all())

    slots = list(Slot.objects.filter(day__period__in=periods).select_related("day__period"))
    taken = services.occupancy(slots, now)
    full = [s for s in slots if taken[s.pk] >= s.capacity and services.deadline_of(s) > now]
    assert len(full) >= 2
    assert WaitingListEntry.objects.filter(slot__in=full, status="waiting").count() == 1
    assert Outing.objects.filter(period__in=periods).count() == 1

    dupont = Family.objects.get(reference="DUP001")
    assert Booking.objects.filter(family=dupont, status="booked").count() >= 3

    client.force_login(User.objects.get(username="parent.demo"))
    text = page_text(client.get(reverse("reservations:bookings")))
    for period in periods:
        assert period.name in text
