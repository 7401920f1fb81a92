"""Bookings: what directors offer (periods, days, units, capacities, outings, tariffs) and
what families book (bookings, waiting lists, absences), with the history of every change.

A `Slot` is the row everything turns on: one unit of one day (for everyone or for an age
group), or one outing. Its `capacity` is what may never be exceeded, and the services lock
it (SELECT … FOR UPDATE) before counting what it holds. Bookings, waiting lists and money
change only through `reservations.services`.
"""

from .bookings import (
    AbsenceJustification,
    Booking,
    BookingEvent,
    ReminderPreference,
    ReminderSent,
    WaitingListEntry,
)
from .setup import (
    WEEKDAY_CHOICES,
    AgeGroup,
    Day,
    Outing,
    Period,
    Slot,
    TariffBracket,
    Unit,
    UnitPrice,
    age_on,
    parse_dates,
)

__all__ = [
    "WEEKDAY_CHOICES",
    "AbsenceJustification",
    "AgeGroup",
    "Booking",
    "BookingEvent",
    "Day",
    "Outing",
    "Period",
    "ReminderPreference",
    "ReminderSent",
    "Slot",
    "TariffBracket",
    "Unit",
    "UnitPrice",
    "WaitingListEntry",
    "age_on",
    "parse_dates",
]
