"""Building blocks for booking tests: brackets, periods with their days and units, outings."""

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone

from family_file.models import FamilyQuotient
from reservations import services
from reservations.deadlines import PARIS
from reservations.models import (
    Outing,
    Period,
    Slot,
    TariffBracket,
    Unit,
    UnitPrice,
)


def utc(*args):
    return datetime(*args, tzinfo=UTC)


def paris(*args):
    return datetime(*args, tzinfo=PARIS)


def brackets(structure):
    """Three brackets: QF 0-600, 601-1000, over 1000 (the default without a proof)."""
    return [
        TariffBracket.objects.create(structure=structure, name=name, min_quotient=Decimal(floor))
        for name, floor in (("QF 0 à 600", "0"), ("QF 601 à 1000", "601"), ("QF > 1000", "1001"))
    ]


def wednesdays(structure, first, last, *, opens=None, closes=None, closed="", **fields):
    """A Wednesday period booked until the Monday before at 10:00."""
    period = Period.objects.create(
        structure=structure,
        name=fields.pop("name", "Mercredis"),
        kind=Period.Kind.WEDNESDAYS,
        first_day=first,
        last_day=last,
        weekdays="2",
        closed_dates=closed,
        booking_opens_on=opens or first - timedelta(days=60),
        booking_closes_on=closes or last,
        **fields,
    )
    services.sync_period(period)
    return period


def holidays(structure, first, last, *, opens=None, closes=None, **fields):
    """A Monday-to-Friday period booked until 2 days before at 10:00, weekends not counted."""
    period = Period.objects.create(
        structure=structure,
        name=fields.pop("name", "Vacances"),
        kind=Period.Kind.HOLIDAYS,
        first_day=first,
        last_day=last,
        weekdays="0,1,2,3,4",
        booking_opens_on=opens or first - timedelta(days=60),
        booking_closes_on=closes or last,
        deadline_kind=Period.DeadlineKind.DAYS_BEFORE,
        deadline_days=2,
        deadline_time=time(10),
        **fields,
    )
    services.sync_period(period)
    return period


def unit(
    period, name="Journée avec repas", *, capacity=24, meal=True, prices=None, span="day", order=0
):
    """A unit with its prices: `prices` maps bracket -> (price, meal price)."""
    created = Unit.objects.create(
        period=period,
        name=name,
        span=span,
        includes_meal=meal,
        default_capacity=capacity,
        sort_order=order,
    )
    for bracket, (price, meal_price) in (prices or {}).items():
        UnitPrice.objects.create(
            unit=created, bracket=bracket, price=Decimal(price), meal_price=Decimal(meal_price)
        )
    services.sync_unit(created)
    return created


def slot(unit, on):
    return Slot.objects.get(unit=unit, day__date=on, age_group__isnull=True)


def outing(period, on, *, capacity=8, price="12.00", min_days=3, name="Sortie accrobranche"):
    created = Outing.objects.create(
        period=period,
        date=on,
        name=name,
        capacity=capacity,
        price=Decimal(price),
        min_days_in_week=min_days,
    )
    services.sync_outing(created)
    return created


def quotient(family, value, proof_date):
    return FamilyQuotient.objects.create(
        family=family, quotient=Decimal(value), effective_date=proof_date
    )


def next_weekday(weekday, *, after_days=0):
    """The first date with this weekday at least `after_days` days from today (Paris)."""
    start = timezone.now().astimezone(PARIS).date() + timedelta(days=after_days)
    return start + timedelta(days=(weekday - start.weekday()) % 7)


def this_school_year():
    today = timezone.now().astimezone(PARIS).date()
    year = today.year if today.month >= 8 else today.year - 1
    return date(year, 9, 1), date(year + 1, 7, 4)
