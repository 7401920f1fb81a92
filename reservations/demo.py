"""Demo bookings for Brax, relative to today so that there are always periods open.

- "Mercredis <year>-<year+1>": the school year's Wednesdays, booked until the Monday before
  at 10:00; the two Wednesdays after the next bookable one are full (four places, taken by
  other demo families), the first of them with a family waiting.
- The next holiday period (two weeks starting at least three weeks from today), booked until
  two working days before at 10:00, with an outing on the first Thursday.
- The DUPONT family (parent.demo) has bookings on both.

Idempotent: loading twice on the same day changes nothing.
"""

import contextlib
from datetime import date, time, timedelta
from decimal import Decimal

from django.utils import timezone

from family_file.models import FamilyQuotient
from parents.demo import born as demo_born
from parents.models import Child, Family, Structure, User

from . import services
from .deadlines import PARIS
from .models import (
    Booking,
    Outing,
    Period,
    Slot,
    TariffBracket,
    Unit,
    UnitPrice,
    WaitingListEntry,
)

FULL_DAY_CAPACITY = 4
# Fixed-date public holidays (month, day): the centre is closed.
PUBLIC_HOLIDAYS = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]
BRACKETS = [
    ("QF 0 à 600", Decimal("0")),
    ("QF 601 à 1000", Decimal("601")),
    ("QF plus de 1000", Decimal("1001")),
]
# (reference, name, first name, (age this year, birth month, day)): ages of the centre's
# children whatever the year (parents.demo.born).
OTHER_FAMILIES = [
    ("DEM001", "GARCIA", "Jules", (9, 4, 3)),
    ("DEM002", "PETIT", "Inès", (8, 1, 19)),
    ("DEM003", "DURAND", "Adam", (10, 11, 7)),
    ("DEM004", "LEROY", "Chloé", (7, 6, 30)),
    ("DEM005", "MOREAU", "Nathan", (9, 9, 12)),
]


def holiday_name(start):
    month = start.month
    if month in (10, 11):
        name = "Vacances de la Toussaint"
    elif month in (12, 1):
        name = "Vacances de Noël"
    elif month in (2, 3):
        name = "Vacances d'hiver"
    elif month in (4, 5):
        name = "Vacances de printemps"
    else:
        name = "Vacances d'été"
    return f"{name} {start.year}"


def public_holidays(first, last):
    found = []
    for year in range(first.year, last.year + 1):
        for month, day in PUBLIC_HOLIDAYS:
            value = date(year, month, day)
            if first <= value <= last:
                found.append(value)
    return found


def _unit(period, name, span, meal, capacity, order, prices, brackets):
    unit, _ = Unit.objects.update_or_create(
        period=period,
        name=name,
        defaults={
            "span": span,
            "includes_meal": meal,
            "default_capacity": capacity,
            "sort_order": order,
        },
    )
    for bracket, (price, meal_price) in zip(brackets, prices, strict=True):
        UnitPrice.objects.update_or_create(
            unit=unit,
            bracket=bracket,
            defaults={"price": Decimal(price), "meal_price": Decimal(meal_price)},
        )
    services.sync_unit(unit)
    return unit


def _book(child, slot, now, *, by=None, on_behalf=True):
    if Booking.objects.filter(child=child, slot=slot, status=Booking.Status.BOOKED).exists():
        return
    # Already booked that day with another unit, or full: the demo goes on.
    with contextlib.suppress(services.BookingError):
        services.book(child, slot, by=by, on_behalf=on_behalf, now=now)


def load():
    now = timezone.now()
    today = now.astimezone(PARIS).date()
    brax = Structure.objects.get(slug="brax")
    brackets = []
    for name, floor in BRACKETS:
        bracket, _ = TariffBracket.objects.update_or_create(
            structure=brax, min_quotient=floor, defaults={"name": name}
        )
        brackets.append(bracket)

    dupont = Family.objects.get(structure=brax, reference="DUP001")
    parent = User.objects.get(username="parent.demo")
    lea = dupont.children.get(first_name="Léa")
    hugo = dupont.children.get(first_name="Hugo")
    school_year = today.year if today.month >= 5 else today.year - 1
    FamilyQuotient.objects.get_or_create(
        family=dupont,
        effective_date=date(school_year, 9, 1),
        defaults={"quotient": Decimal("850"), "note": "Attestation CAF"},
    )
    others = []
    for reference, name, first_name, born in OTHER_FAMILIES:
        family, _ = Family.objects.update_or_create(
            structure=brax,
            reference=reference,
            defaults={
                "name": name,
                "address_line1": "1 place de la Mairie",
                "postcode": "31490",
                "city": "Brax",
            },
        )
        child, _ = Child.objects.update_or_create(
            family=family,
            first_name=first_name,
            defaults={"last_name": name, "birth_date": demo_born(*born)},
        )
        others.append(child)

    # The next holiday period first: its Wednesdays are closed in the Wednesday period.
    start = today + timedelta(days=21)
    start += timedelta(days=(7 - start.weekday()) % 7)
    end = start + timedelta(days=11)
    holidays, _ = Period.objects.update_or_create(
        structure=brax,
        name=holiday_name(start),
        defaults={
            "kind": Period.Kind.HOLIDAYS,
            "first_day": start,
            "last_day": end,
            "weekdays": "0,1,2,3,4",
            "closed_dates": "\n".join(f"{d:%d/%m/%Y}" for d in public_holidays(start, end)),
            "booking_opens_on": start - timedelta(days=35),
            "booking_closes_on": start - timedelta(days=3),
            "deadline_kind": Period.DeadlineKind.DAYS_BEFORE,
            "deadline_days": 2,
            "deadline_time": time(10),
            "deadline_counts_weekends": False,
        },
    )
    services.sync_period(holidays)
    holiday_unit = _unit(
        holidays,
        "Journée avec repas",
        "day",
        True,
        20,
        0,
        [("9.50", "3.20"), ("12.00", "3.20"), ("14.50", "3.20")],
        brackets,
    )
    first_thursday = start + timedelta(days=3)
    outing, _ = Outing.objects.update_or_create(
        period=holidays,
        name="Sortie accrobranche",
        defaults={
            "date": first_thursday,
            "description": "Parc de loisirs de la forêt de Bouconne, départ 9 h 30.",
            "capacity": 8,
            "price": Decimal("12.00"),
            "min_days_in_week": 3,
        },
    )
    services.sync_outing(outing)

    first, last = date(school_year, 9, 1), date(school_year + 1, 7, 4)
    closed = sorted(
        {d for d in public_holidays(first, last) if d.weekday() == 2}
        | {start + timedelta(days=2), start + timedelta(days=9)}
    )
    wednesdays, _ = Period.objects.update_or_create(
        structure=brax,
        name=f"Mercredis {school_year}-{school_year + 1}",
        defaults={
            "kind": Period.Kind.WEDNESDAYS,
            "first_day": first,
            "last_day": last,
            "weekdays": "2",
            "closed_dates": "\n".join(f"{d:%d/%m/%Y}" for d in closed),
            "booking_opens_on": date(school_year, 4, 1),
            "booking_closes_on": last,
            "deadline_kind": Period.DeadlineKind.WEEKDAY_BEFORE,
            "deadline_weekday": 0,
            "deadline_time": time(10),
        },
    )
    services.sync_period(wednesdays)
    day_unit = _unit(
        wednesdays,
        "Journée avec repas",
        "day",
        True,
        24,
        0,
        [("8.50", "3.20"), ("11.00", "3.20"), ("13.50", "3.20")],
        brackets,
    )
    _unit(
        wednesdays,
        "Matin sans repas",
        "morning",
        False,
        12,
        1,
        [("3.59", "0"), ("4.50", "0"), ("5.50", "0")],
        brackets,
    )
    _unit(
        wednesdays,
        "Après-midi sans repas",
        "afternoon",
        False,
        12,
        2,
        [("3.86", "0"), ("4.80", "0"), ("5.80", "0")],
        brackets,
    )

    upcoming = [
        day
        for day in wednesdays.days.filter(is_closed=False, date__gte=today).order_by("date")
        if wednesdays.deadline_for(day.date) > now + timedelta(days=1)
    ]
    slots = {
        slot.day_id: slot for slot in Slot.objects.filter(unit=day_unit, age_group__isnull=True)
    }
    if len(upcoming) >= 5:
        # Hugo: the next Wednesday and the fourth; two full Wednesdays in between.
        _book(hugo, slots[upcoming[0].pk], now, by=parent, on_behalf=False)
        _book(hugo, slots[upcoming[3].pk], now, by=parent, on_behalf=False)
        for day in upcoming[1:3]:
            slot = slots[day.pk]
            if slot.capacity != FULL_DAY_CAPACITY:
                services.set_capacity(slot, FULL_DAY_CAPACITY)
            for child in others[:FULL_DAY_CAPACITY]:
                _book(child, slot, now)
        waiting_slot = slots[upcoming[1].pk]
        if not WaitingListEntry.objects.filter(slot=waiting_slot, child=others[4]).exists():
            services.join_waiting_list(others[4], waiting_slot, on_behalf=True, now=now)

    holiday_slots = {slot.day_id: slot for slot in Slot.objects.filter(unit=holiday_unit)}
    first_week = list(holidays.days.filter(is_closed=False).order_by("date")[:4])
    for day in first_week:
        _book(lea, holiday_slots[day.pk], now, by=parent, on_behalf=False)
    if len(first_week) >= 3:
        _book(lea, outing.slot, now, by=parent, on_behalf=False)
    for child in others[:3]:
        for day in first_week[:3]:
            _book(child, holiday_slots[day.pk], now)
    return {"wednesdays": wednesdays, "holidays": holidays, "outing": outing}
