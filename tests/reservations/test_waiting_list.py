"""Waiting lists: queue order, offers by email, answers, expiry to the next family."""

from datetime import date, timedelta

from django.core import mail
from django.core.management import call_command
from django.utils import timezone

import pytest

from reservations import services
from reservations.models import Booking, BookingEvent, WaitingListEntry
from tests.factories.parents import ChildFactory, FamilyFactory, GuardianFactory, UserFactory

from .factories import slot, unit, utc, wednesdays

pytestmark = pytest.mark.django_db

DAY = date(2026, 12, 9)  # closes Monday 7 December 2026, 10:00 (09:00 UTC)
T0 = utc(2026, 12, 1, 12, 0)


@pytest.fixture
def full_day(structure):
    period = wednesdays(
        structure, date(2026, 12, 1), date(2026, 12, 31), opens=date(2026, 11, 1), offer_hours=24
    )
    journee = unit(period, capacity=1)
    holder = ChildFactory(family=FamilyFactory(structure=structure), first_name="Paul")
    booking = services.book(holder, slot(journee, DAY), now=T0)
    return slot(journee, DAY), booking


def waiting_family(structure, name, username):
    family = FamilyFactory(structure=structure, name=name)
    GuardianFactory(family=family, user=UserFactory(username=username))
    return ChildFactory(family=family, first_name=name.capitalize())


def test_online_requests_come_first_then_oldest_first(full_day, structure, director):
    target, _booking = full_day
    staff_child = waiting_family(structure, "ROBERT", "robert.test")
    first = waiting_family(structure, "SIMON", "simon.test")
    second = waiting_family(structure, "LAURENT", "laurent.test")
    by_staff = services.join_waiting_list(staff_child, target, by=director, on_behalf=True, now=T0)
    a = services.join_waiting_list(first, target, now=T0 + timedelta(minutes=1))
    b = services.join_waiting_list(second, target, now=T0 + timedelta(minutes=2))
    assert [services.waiting_position(e) for e in (a, b, by_staff)] == [1, 2, 3]
    assert services.waiting_positions([a, b, by_staff]) == {a.pk: 1, b.pk: 2, by_staff.pk: 3}


def test_a_freed_place_is_offered_by_email_then_expires_to_the_next(
    full_day, structure, django_capture_on_commit_callbacks
):
    target, booking = full_day
    first = waiting_family(structure, "SIMON", "simon.test")
    second = waiting_family(structure, "LAURENT", "laurent.test")
    services.join_waiting_list(first, target, now=T0)
    services.join_waiting_list(second, target, now=T0 + timedelta(minutes=1))
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.cancel(booking, now=T0 + timedelta(hours=1))
    offer = WaitingListEntry.objects.get(child=first)
    assert offer.status == WaitingListEntry.Status.OFFERED
    assert offer.offer_expires_at == T0 + timedelta(hours=25)
    to_first = [m for m in mail.outbox if m.to == ["simon.test@example.org"]]
    assert len(to_first) == 1
    assert to_first[0].subject.startswith("Une place est disponible pour Simon")
    assert "mercredi 9 décembre 2026" in to_first[0].body
    assert "http://testserver/espace-famille/reservations/" in to_first[0].body

    # Nothing happens before the offer's time is over.
    assert services.expire_offers(now=T0 + timedelta(hours=24)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert services.expire_offers(now=T0 + timedelta(hours=25)) == 1
    offer.refresh_from_db()
    assert offer.status == WaitingListEntry.Status.EXPIRED
    nxt = WaitingListEntry.objects.get(child=second)
    assert nxt.status == WaitingListEntry.Status.OFFERED
    assert any(m.to == ["laurent.test@example.org"] for m in mail.outbox)
    # The expired offer can no longer be accepted.
    with pytest.raises(services.BookingError, match="plus ouverte"):
        services.accept_offer(offer, now=T0 + timedelta(hours=26))
    booking = services.accept_offer(nxt, now=T0 + timedelta(hours=26))
    assert booking.child == second
    nxt.refresh_from_db()
    assert (nxt.status, nxt.booking) == (WaitingListEntry.Status.ACCEPTED, booking)
    assert services.expire_offers(now=T0 + timedelta(days=3)) == 0


def test_accepting_an_offer_after_its_time_passes_it_on(full_day, structure):
    target, booking = full_day
    first = waiting_family(structure, "SIMON", "simon.test")
    second = waiting_family(structure, "LAURENT", "laurent.test")
    services.join_waiting_list(first, target, now=T0)
    services.join_waiting_list(second, target, now=T0)
    services.cancel(booking, now=T0)
    offer = WaitingListEntry.objects.get(child=first)
    with pytest.raises(services.BookingError, match="a expiré"):
        services.accept_offer(offer, now=T0 + timedelta(hours=30))
    assert WaitingListEntry.objects.get(child=first).status == WaitingListEntry.Status.EXPIRED
    assert WaitingListEntry.objects.get(child=second).status == WaitingListEntry.Status.OFFERED
    assert not Booking.objects.filter(child=first).exists()


def test_declining_offers_the_place_to_the_next(full_day, structure):
    target, booking = full_day
    first = waiting_family(structure, "SIMON", "simon.test")
    second = waiting_family(structure, "LAURENT", "laurent.test")
    services.join_waiting_list(first, target, now=T0)
    services.join_waiting_list(second, target, now=T0)
    services.cancel(booking, now=T0)
    services.decline_offer(WaitingListEntry.objects.get(child=first), now=T0)
    assert WaitingListEntry.objects.get(child=first).status == WaitingListEntry.Status.DECLINED
    assert WaitingListEntry.objects.get(child=second).status == WaitingListEntry.Status.OFFERED
    actions = list(
        BookingEvent.objects.filter(child=first).order_by("pk").values_list("action", flat=True)
    )
    assert actions == ["waiting", "offered", "offer_declined"]


def test_an_offer_never_outlives_the_deadline_and_none_is_made_after_it(full_day, structure):
    target, booking = full_day
    first = waiting_family(structure, "SIMON", "simon.test")
    services.join_waiting_list(first, target, now=T0)
    # Cancelled by the centre on Sunday 6 December at 12:00: 21 hours before the deadline.
    services.cancel(booking, on_behalf=True, now=utc(2026, 12, 6, 12, 0))
    offer = WaitingListEntry.objects.get(child=first)
    assert offer.offer_expires_at == utc(2026, 12, 7, 9, 0)

    other_period_day = date(2026, 12, 16)
    holder = ChildFactory(family=FamilyFactory(structure=structure))
    later = services.book(holder, slot(target.unit, other_period_day), now=T0)
    second = waiting_family(structure, "LAURENT", "laurent.test")
    services.join_waiting_list(second, slot(target.unit, other_period_day), now=T0)
    services.cancel(later, on_behalf=True, now=utc(2026, 12, 15, 8, 0))
    assert WaitingListEntry.objects.get(child=second).status == WaitingListEntry.Status.WAITING


def test_no_waiting_list_while_places_are_free(structure, lea):
    period = wednesdays(structure, date(2026, 12, 1), date(2026, 12, 31), opens=date(2026, 11, 1))
    journee = unit(period, capacity=5)
    with pytest.raises(services.BookingError, match="Il reste des places"):
        services.join_waiting_list(lea, slot(journee, DAY), now=T0)


def test_the_expiry_command_reports_what_it_closed(full_day, structure, capsys):
    target, booking = full_day
    first = waiting_family(structure, "SIMON", "simon.test")
    services.join_waiting_list(first, target, now=T0)
    services.cancel(booking, now=T0)
    WaitingListEntry.objects.filter(child=first).update(
        offer_expires_at=timezone.now() - timedelta(minutes=1)
    )
    call_command("expire_booking_offers")
    assert "1 offer(s) expired." in capsys.readouterr().out
    assert WaitingListEntry.objects.get(child=first).status == WaitingListEntry.Status.EXPIRED
