"""Seasons (school years): health data is kept for the current season only."""

from datetime import date

from django.conf import settings
from django.utils import timezone


def season_of(day=None):
    """The season a day belongs to, named by the year it starts (2026 for 2026-2027)."""
    day = day or timezone.localdate()
    return day.year if day.month >= settings.SEASON_START_MONTH else day.year - 1


def season_start(season):
    return date(season, settings.SEASON_START_MONTH, 1)


def season_label(season):
    return f"{season}-{season + 1}"
