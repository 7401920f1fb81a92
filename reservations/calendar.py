"""The calendar of one child for one period, as families (and the centre) see it.

Built in a fixed number of queries whatever the number of days, children or bookings:
days, slots, occupancy (two), the child's bookings, waiting-list entries and positions,
and the days booked in the weeks of the period's outings.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils.dates import MONTHS, WEEKDAYS
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.dates import day_number, format_time

from .deadlines import PARIS
from .models import AgeGroup, Booking, Slot, WaitingListEntry
from .services import can_justify, eligibility_refusal, occupancy, waiting_positions


class DayLabels:
    """ "mercredi 2 décembre 2026" for many dates, translating each name once per request
    (the `date` filter looks every name up again, which a 50-day calendar feels).
    """

    def __init__(self):
        self.weekdays = [str(WEEKDAYS[number]) for number in range(7)]
        self.months = {number: str(MONTHS[number]) for number in range(1, 13)}

    def day(self, value):
        return (
            f"{self.weekdays[value.weekday()]} {day_number(value.day)} "
            f"{self.months[value.month]} {value.year}"
        )

    def until(self, moment):
        local = moment.astimezone(PARIS)
        if (local.hour, local.minute, local.second) == (0, 0, 0):
            # "Until Saturday, 00:00" reads as a day too late: say the evening before.
            local -= timedelta(minutes=1)
        text = (
            f"{self.weekdays[local.weekday()]} {day_number(local.day)} {self.months[local.month]}"
        )
        return _("Until %(moment)s") % {
            "moment": _("%(date)s at %(time)s") % {"date": text, "time": format_time(local)}
        }


# Families see the days from four weeks ago on: recent ones for absences, the rest in the
# history.
SHOWN_PAST_DAYS = 28

CLOSED = "closed"
NOT_OPEN = "not_open"
PAST = "past"
OPEN = "open"


@dataclass
class Choice:
    """One unit (or outing) a child could take on a day, with its places."""

    slot: Slot
    free: int
    entry: WaitingListEntry | None = None
    position: int | None = None

    @property
    def label(self):
        return self.slot.label

    @property
    def is_full(self):
        return self.free <= 0

    @property
    def is_offered(self):
        return self.entry is not None and self.entry.status == WaitingListEntry.Status.OFFERED

    @property
    def places_text(self):
        return ngettext("%(count)s place left", "%(count)s places left", self.free) % {
            "count": self.free
        }


@dataclass
class DayRow:
    day: object
    deadline: object
    state: str
    label: str = ""
    deadline_text: str = ""
    booking: Booking | None = None
    choices: list = field(default_factory=list)
    can_justify: bool = False

    @property
    def date(self):
        return self.day.date

    @property
    def actionable(self):
        return self.state == OPEN


@dataclass
class OutingRow:
    outing: object
    choice: Choice
    deadline: object
    state: str
    label: str = ""
    booking: Booking | None = None
    booked_days: int = 0
    refusal: str | None = None


@dataclass
class Week:
    monday: object
    days: list = field(default_factory=list)


@dataclass
class Calendar:
    period: object
    child: object
    weeks: list
    outings: list
    units: list

    @property
    def has_open_days(self):
        return any(row.actionable for week in self.weeks for row in week.days)


def _state(period, day, deadline, now, staff):
    if day.is_closed:
        return CLOSED
    if staff:
        return OPEN
    if now < period.window_start:
        return NOT_OPEN
    if now >= deadline:
        return PAST
    return OPEN


def _pick_slot(candidates, child, on_date):
    """The age group's own slot when there is one for the child, else the shared one."""
    shared = None
    for slot in candidates:
        if slot.age_group_id is None:
            shared = slot
        elif slot.age_group.includes(child, on_date):
            return slot
    return shared


def build_calendar(child, period, now, *, staff=False):
    labels = DayLabels()
    shown = {"day__period": period}
    if not staff:
        shown["day__date__gte"] = now.astimezone(PARIS).date() - timedelta(days=SHOWN_PAST_DAYS)
    days = list(period.days.filter(date__gte=shown.get("day__date__gte", period.first_day)))
    units = list(period.units.order_by("sort_order", "pk"))
    outings = {outing.pk: outing for outing in period.outings.all()}
    age_groups = {
        group.pk: group for group in AgeGroup.objects.filter(structure=period.structure_id)
    }
    # Related rows are attached by hand: a join per slot would build the same few unit,
    # day and period objects again for every one of the period's slots.
    day_by_id = {day.pk: day for day in days}
    unit_by_id = {unit.pk: unit for unit in units}
    for day in days:
        day.period = period
    slots = list(Slot.objects.filter(**shown))
    for slot in slots:
        slot.day = day_by_id[slot.day_id]
        if slot.unit_id:
            slot.unit = unit_by_id[slot.unit_id]
        if slot.outing_id:
            slot.outing = outings[slot.outing_id]
            slot.outing.period = period
        if slot.age_group_id:
            slot.age_group = age_groups[slot.age_group_id]
    taken = occupancy(slots, now)
    bookings = list(
        Booking.objects.filter(child=child, status=Booking.Status.BOOKED, **shown).select_related(
            "slot__unit", "slot__outing", "justification", "day__period"
        )
    )
    entries = list(
        WaitingListEntry.objects.filter(
            child=child,
            **{f"slot__{key}": value for key, value in shown.items()},
            status__in=[WaitingListEntry.Status.WAITING, WaitingListEntry.Status.OFFERED],
        )
    )
    positions = waiting_positions(entries) if entries else {}
    entry_by_slot = {entry.slot_id: entry for entry in entries}
    unit_booking_by_day = {b.day_id: b for b in bookings if not b.is_outing}
    outing_booking_by_slot = {b.slot_id: b for b in bookings if b.is_outing}

    slots_by_day_unit = defaultdict(list)
    outing_slots = []
    for slot in slots:
        if slot.outing_id:
            outing_slots.append(slot)
        else:
            slots_by_day_unit[(slot.day_id, slot.unit_id)].append(slot)

    def choice(slot):
        entry = entry_by_slot.get(slot.pk)
        return Choice(
            slot=slot,
            free=max(0, slot.capacity - taken.get(slot.pk, 0)),
            entry=entry,
            position=positions.get(entry.pk) if entry else None,
        )

    weeks = {}
    for day in days:
        deadline = period.deadline_for(day.date)
        row = DayRow(
            day=day,
            deadline=deadline,
            state=_state(period, day, deadline, now, staff),
            booking=unit_booking_by_day.get(day.pk),
            label=labels.day(day.date),
            deadline_text=labels.until(deadline),
        )
        if row.booking is not None:
            row.can_justify = can_justify(row.booking, now)
        elif row.state == OPEN:
            for unit in units:
                slot = _pick_slot(slots_by_day_unit.get((day.pk, unit.pk), []), child, day.date)
                if slot is not None:
                    row.choices.append(choice(slot))
        monday = day.date - timedelta(days=day.date.weekday())
        weeks.setdefault(monday, Week(monday=monday)).days.append(row)

    outings = []
    if outing_slots:
        booked_dates = _unit_days_in_weeks(child, period, [s.outing for s in outing_slots])
        for slot in sorted(outing_slots, key=lambda s: (s.outing.date, s.pk)):
            outing = slot.outing
            start, end = outing.week
            count = len({d for d in booked_dates if start <= d <= end})
            deadline = period.deadline_for(outing.date)
            outings.append(
                OutingRow(
                    outing=outing,
                    choice=choice(slot),
                    deadline=deadline,
                    state=_state(period, slot.day, deadline, now, staff),
                    booking=outing_booking_by_slot.get(slot.pk),
                    booked_days=count,
                    refusal=eligibility_refusal(child, outing, count),
                    label=labels.day(outing.date),
                )
            )
    return Calendar(
        period=period, child=child, weeks=list(weeks.values()), outings=outings, units=units
    )


def _unit_days_in_weeks(child, period, outings):
    first = min(outing.week[0] for outing in outings)
    last = max(outing.week[1] for outing in outings)
    return set(
        Booking.objects.filter(
            child=child,
            status=Booking.Status.BOOKED,
            is_outing=False,
            day__date__range=(first, last),
            day__period__structure_id=period.structure_id,
        ).values_list("day__date", flat=True)
    )


@dataclass
class FamilyDay:
    """One day of the family calendar: the same day as each child sees it."""

    label: str
    rows: list  # (child, DayRow) pairs, in the family's order of children

    @property
    def day(self):
        return self.rows[0][1].day

    @property
    def state(self):
        return self.rows[0][1].state

    @property
    def deadline_text(self):
        return self.rows[0][1].deadline_text


@dataclass
class FamilyCalendar:
    """Every child of a family on one calendar for one period, built from one calendar per
    child: the days (and outings) are the period's, the same list for every child."""

    period: object
    children: list
    calendars: list
    weeks: list
    outings: list  # (outing row of the first child, [(child, OutingRow), …])

    @property
    def has_open_days(self):
        return any(calendar.has_open_days for calendar in self.calendars)

    @property
    def units(self):
        return self.calendars[0].units if self.calendars else []


def build_family_calendar(children, period, now):
    children = list(children)
    calendars = [build_calendar(child, period, now) for child in children]
    weeks, outings = [], []
    if calendars:
        for week_index, week in enumerate(calendars[0].weeks):
            days = []
            for day_index, row in enumerate(week.days):
                rows = [
                    (child, calendar.weeks[week_index].days[day_index])
                    for child, calendar in zip(children, calendars, strict=True)
                ]
                days.append(FamilyDay(label=row.label, rows=rows))
            weeks.append(Week(monday=week.monday, days=days))
        for outing_index, row in enumerate(calendars[0].outings):
            outings.append(
                (
                    row,
                    [
                        (child, calendar.outings[outing_index])
                        for child, calendar in zip(children, calendars, strict=True)
                    ],
                )
            )
    return FamilyCalendar(
        period=period, children=children, calendars=calendars, weeks=weeks, outings=outings
    )
