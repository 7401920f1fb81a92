"""When a booking can still be made or cancelled by a family: the deadline rule engine.

Rules are written in local time at the centre ("the Monday before at 10:00"), so every
deadline is computed as a local date and time in Europe/Paris first, then made aware. The
UTC instant therefore moves by an hour across the daylight-saving changes while the
wall-clock time stays 10:00, which is what families read and what the rule says.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.dates import format_time

PARIS = ZoneInfo("Europe/Paris")

WEEKDAY_BEFORE = "weekday_before"
DAYS_BEFORE = "days_before"

SATURDAY = 5


def local_datetime(day, at):
    """`day` at wall-clock time `at` in Paris, as an aware datetime.

    A time that does not exist (inside the spring gap) is normalised through UTC to the
    instant it designates, so comparisons never depend on a non-existent wall time.
    """
    naive = datetime.combine(day, at)
    return naive.replace(tzinfo=PARIS).astimezone(ZoneInfo("UTC")).astimezone(PARIS)


def start_of_day(day):
    return local_datetime(day, time(0))


def weekday_name(weekday):
    names = [
        _("Monday"),
        _("Tuesday"),
        _("Wednesday"),
        _("Thursday"),
        _("Friday"),
        _("Saturday"),
        _("Sunday"),
    ]
    return names[weekday]


@dataclass(frozen=True)
class DeadlineRule:
    """How long before a day a family may still book or cancel it.

    - `weekday_before`: the last `weekday` strictly before the day, at `at`
      ("the Monday before at 10:00": for Wednesday the 2nd, Monday the 30th at 10:00).
    - `days_before`: `days` days before the day, at `at`; with `count_weekends` off,
      Saturdays and Sundays are skipped while counting, so the deadline is a weekday.

    The deadline itself is excluded: at 10:00:00 it is too late, at 09:59:59 it is not.
    """

    kind: str = WEEKDAY_BEFORE
    weekday: int = 0
    days: int = 2
    at: time = time(10)
    count_weekends: bool = False

    def deadline_date(self, day):
        if self.kind == WEEKDAY_BEFORE:
            candidate = day - timedelta(days=1)
            while candidate.weekday() != self.weekday:
                candidate -= timedelta(days=1)
            return candidate
        candidate = day
        left = self.days
        while left > 0:
            candidate -= timedelta(days=1)
            if self.count_weekends or candidate.weekday() < SATURDAY:
                left -= 1
        return candidate

    def deadline(self, day: date) -> datetime:
        return local_datetime(self.deadline_date(day), self.at)

    def describe(self):
        at = format_time(self.at)
        if self.kind == WEEKDAY_BEFORE:
            return _("the %(weekday)s before at %(time)s") % {
                "weekday": weekday_name(self.weekday).lower(),
                "time": at,
            }
        if self.count_weekends:
            text = ngettext(
                "%(days)s day before at %(time)s", "%(days)s days before at %(time)s", self.days
            )
        else:
            text = ngettext(
                "%(days)s day before at %(time)s, weekends not counted",
                "%(days)s days before at %(time)s, weekends not counted",
                self.days,
            )
        return text % {"days": self.days, "time": at}
