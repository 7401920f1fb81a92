"""The deadline rules, to the second, in Paris time and across daylight-saving changes."""

from datetime import date, time, timedelta

from django.utils import translation

import pytest

from reservations import services
from reservations.deadlines import DAYS_BEFORE, WEEKDAY_BEFORE, DeadlineRule
from reservations.models import Booking

from .factories import paris, slot, unit, utc, wednesdays

pytestmark = pytest.mark.django_db

MONDAY_10 = DeadlineRule(kind=WEEKDAY_BEFORE, weekday=0, at=time(10))
TWO_WORKING_DAYS = DeadlineRule(kind=DAYS_BEFORE, days=2, at=time(10))


def test_wednesday_closes_the_monday_before_at_ten_paris_time():
    assert MONDAY_10.deadline(date(2026, 12, 2)) == paris(2026, 11, 30, 10, 0)
    # A Monday day closes the Monday of the week before, not the same day.
    assert MONDAY_10.deadline(date(2026, 12, 7)) == paris(2026, 11, 30, 10, 0)


def test_summer_time_deadline_is_eight_utc_and_winter_time_nine_utc():
    # Last Sunday of March 2027 is the 28th: Monday 29 March 10:00 is summer time (UTC+2).
    assert MONDAY_10.deadline(date(2027, 3, 31)) == utc(2027, 3, 29, 8, 0)
    # Last Sunday of October 2026 is the 25th: Monday 26 October 10:00 is winter time (UTC+1).
    assert MONDAY_10.deadline(date(2026, 10, 28)) == utc(2026, 10, 26, 9, 0)


def test_a_deadline_before_the_change_keeps_its_own_offset():
    friday_10 = DeadlineRule(kind=WEEKDAY_BEFORE, weekday=4, at=time(10))
    # Wednesday 28 October 2026 is in winter time; Friday the 23rd, 10:00 was summer time.
    assert friday_10.deadline(date(2026, 10, 28)) == utc(2026, 10, 23, 8, 0)
    # Monday 30 March 2026 (summer time) closes Thursday 26 March, 10:00 winter time.
    assert TWO_WORKING_DAYS.deadline(date(2026, 3, 30)) == utc(2026, 3, 26, 9, 0)


def test_working_days_skip_the_weekend_unless_counted():
    assert TWO_WORKING_DAYS.deadline_date(date(2026, 12, 21)) == date(2026, 12, 17)  # Mon → Thu
    assert TWO_WORKING_DAYS.deadline_date(date(2026, 12, 23)) == date(2026, 12, 21)  # Wed → Mon
    calendar_days = DeadlineRule(kind=DAYS_BEFORE, days=2, at=time(10), count_weekends=True)
    assert calendar_days.deadline_date(date(2026, 12, 21)) == date(2026, 12, 19)  # Mon → Sat


def test_rules_read_as_the_association_writes_them():
    with translation.override("fr"):
        assert MONDAY_10.describe() == "le lundi précédent à 10 h 00"
        assert TWO_WORKING_DAYS.describe() == "2 jours avant à 10 h 00, week-ends non comptés"


@pytest.fixture
def march_period(structure):
    period = wednesdays(structure, date(2027, 3, 1), date(2027, 4, 30), opens=date(2027, 1, 4))
    return unit(period, capacity=24)


@pytest.fixture
def october_period(structure):
    period = wednesdays(structure, date(2026, 10, 1), date(2026, 11, 30), opens=date(2026, 9, 1))
    return unit(period, capacity=24)


@pytest.mark.parametrize(
    ("day", "last_second", "deadline"),
    [
        # Across the spring change: Monday 29 March 2027, 09:59:59 and 10:00 CEST.
        (date(2027, 3, 31), utc(2027, 3, 29, 7, 59, 59), utc(2027, 3, 29, 8, 0)),
        # Across the autumn change: Monday 26 October 2026, 09:59:59 and 10:00 CET.
        (date(2026, 10, 28), utc(2026, 10, 26, 8, 59, 59), utc(2026, 10, 26, 9, 0)),
    ],
)
def test_a_family_books_at_09_59_59_and_is_refused_at_10_00(
    march_period, october_period, guardian, lea, day, last_second, deadline
):
    target = march_period if day.month == 3 else october_period
    booking = services.book(lea, slot(target, day), by=guardian.user, now=last_second)
    assert booking.late is False
    services.cancel(booking, by=guardian.user, now=last_second)
    with pytest.raises(services.BookingError) as refused:
        services.book(lea, slot(target, day), by=guardian.user, now=deadline)
    assert "Il est trop tard pour modifier" in refused.value.messages[0]
    assert "lundi" in refused.value.messages[0] and "à 10 h 00" in refused.value.messages[0]
    assert not Booking.objects.filter(child=lea, status="booked").exists()


def test_a_family_cannot_cancel_at_the_deadline(october_period, guardian, lea):
    day = date(2026, 10, 28)
    booking = services.book(
        lea, slot(october_period, day), by=guardian.user, now=utc(2026, 10, 20, 12, 0)
    )
    with pytest.raises(services.BookingError):
        services.cancel(booking, by=guardian.user, now=utc(2026, 10, 26, 9, 0))
    booking.refresh_from_db()
    assert booking.status == Booking.Status.BOOKED


def test_the_centre_can_change_past_the_deadline_and_it_is_recorded(october_period, director, lea):
    day = date(2026, 10, 28)
    late = utc(2026, 10, 27, 16, 0)
    booking = services.book(lea, slot(october_period, day), by=director, on_behalf=True, now=late)
    assert (booking.on_behalf, booking.late) == (True, True)
    services.cancel(booking, by=director, on_behalf=True, now=late)
    booking.refresh_from_db()
    assert (booking.cancelled_on_behalf, booking.cancelled_late) == (True, True)
    assert [(e.action, e.on_behalf, e.late) for e in booking.events.order_by("pk")] == [
        ("booked", True, True),
        ("cancelled", True, True),
    ]


def test_nothing_can_be_booked_before_the_window_opens_nor_after_it_closes(
    structure, guardian, lea
):
    period = wednesdays(
        structure,
        date(2026, 12, 1),
        date(2026, 12, 31),
        opens=date(2026, 11, 16),
        closes=date(2026, 12, 4),
    )
    journee = unit(period)
    with pytest.raises(services.BookingError, match="ouvrent le lundi 16 novembre 2026"):
        services.book(lea, slot(journee, date(2026, 12, 2)), now=paris(2026, 11, 15, 23, 59))
    services.book(lea, slot(journee, date(2026, 12, 2)), now=paris(2026, 11, 16, 0, 0))
    # The window closes at the end of 4 December, before the rule's own deadline for the 16th.
    assert period.deadline_for(date(2026, 12, 16)) == paris(2026, 12, 5, 0, 0)
    with pytest.raises(services.BookingError):
        services.book(lea, slot(journee, date(2026, 12, 16)), now=paris(2026, 12, 5, 0, 0))


def test_deadline_is_computed_from_local_dates_not_by_subtracting_hours():
    # Tuesday 27 October 2026 (winter time) closes Friday the 23rd at 10:00 summer time.
    # Four times 24 hours before Tuesday 10:00 would give Friday 11:00: an hour too late.
    assert TWO_WORKING_DAYS.deadline(date(2026, 10, 27)) == utc(2026, 10, 23, 8, 0)
    assert TWO_WORKING_DAYS.deadline(date(2026, 10, 27)).utcoffset() == timedelta(hours=2)
