"""Dates as the reader's language writes them.

French writes the first of the month as an ordinal ("1er avril 2026", never "1 avril");
English does not ("1 April 2026"). Every date written in words goes through `format_date`
(the `long_date` template filter), so the rule holds on every page, e-mail and PDF.

A deadline at midnight means "until the end of the day before": it reads "jusqu'au
9 décembre 2026 à 23 h 59", never "jusqu'au 10 décembre 2026, 00:00".
"""

import re
from datetime import datetime, time, timedelta

from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

# A "j" (day of the month) not escaped by a backslash in a Django date format.
DAY_OF_MONTH = re.compile(r"(?<!\\)j")


def is_french():
    return (translation.get_language() or "").startswith("fr")


def _local(value):
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.localtime(value)
    return value


def day_number(day):
    """ "1er" or "2" in French, "1" or "2" in English."""
    return "1er" if day == 1 and is_french() else str(day)


def format_date(value, fmt="j F Y"):
    """`value` (a date, or a datetime shown in local time) in the Django date format `fmt`,
    with "1er" for the first of the month in French.
    """
    if not value:
        return ""
    value = _local(value)
    if value.day == 1 and is_french():
        fmt = DAY_OF_MONTH.sub(r"\\1\\e\\r", fmt)
    return date_format(value, fmt)


def format_time(value):
    """ "10 h 00" in French, "10:00" in English."""
    return _("%(hour)s:%(minute)s") % {"hour": f"{value.hour:02d}", "minute": f"{value.minute:02d}"}


def format_deadline(moment, fmt="j F Y"):
    """The last moment something may be done: "8 décembre 2026 à 10 h 00".

    A deadline at midnight reads as the last minute of the day before ("9 décembre 2026 à
    23 h 59"), which every preposition around it ("jusqu'au", "avant le", "au plus tard
    le") keeps right. A plain date is the last day itself.
    """
    if not moment:
        return ""
    local = _local(moment)
    if not isinstance(local, datetime):
        return format_date(local, fmt)
    if local.time() == time(0):
        local -= timedelta(minutes=1)
    return _("%(date)s at %(time)s") % {"date": format_date(local, fmt), "time": format_time(local)}
