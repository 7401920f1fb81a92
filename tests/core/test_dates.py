"""Dates in words: "1er avril" in French, deadlines at midnight read as the day before."""

import re
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from django.template import Context, Template
from django.utils import translation

import pytest

from core.dates import format_date, format_deadline

PARIS = ZoneInfo("Europe/Paris")
TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.mark.parametrize(
    ("language", "value", "fmt", "expected"),
    [
        ("fr", date(2027, 4, 1), "j F Y", "1er avril 2027"),
        ("fr", date(2027, 4, 2), "j F Y", "2 avril 2027"),
        ("fr", date(2026, 12, 1), "l j F Y", "mardi 1er décembre 2026"),
        ("fr", datetime(2026, 3, 31, 23, 30, tzinfo=ZoneInfo("UTC")), "j F", "1er avril"),
        ("en", date(2027, 4, 1), "j F Y", "1 April 2027"),
        ("en", date(2026, 12, 1), "l j F Y", "Tuesday 1 December 2026"),
    ],
)
def test_the_first_of_the_month(language, value, fmt, expected):
    with translation.override(language):
        assert format_date(value, fmt) == expected


def test_a_deadline_at_midnight_is_the_last_minute_of_the_day_before():
    midnight = datetime(2026, 12, 10, 0, 0, tzinfo=PARIS)
    ten = datetime(2026, 12, 8, 10, 0, tzinfo=PARIS)
    with translation.override("fr"):
        assert format_deadline(midnight) == "9 décembre 2026 à 23 h 59"
        assert format_deadline(ten, "l j F Y") == "mardi 8 décembre 2026 à 10 h 00"
        assert format_deadline(datetime(2027, 4, 2, tzinfo=PARIS)) == "1er avril 2027 à 23 h 59"
        assert format_deadline(date(2026, 12, 10)) == "10 décembre 2026"
    with translation.override("en"):
        assert format_deadline(midnight) == "9 December 2026 at 23:59"


def test_the_template_filters():
    template = Template('{% load dates %}{{ day|long_date }} — {{ moment|deadline:"l j F" }}')
    context = Context({"day": date(2027, 4, 1), "moment": datetime(2026, 12, 10, tzinfo=PARIS)})
    with translation.override("fr"):
        assert template.render(context) == "1er avril 2027 — mercredi 9 décembre à 23 h 59"


def test_no_template_writes_a_day_in_words_without_the_ordinal_rule():
    """`|date:"j F Y"` would print "1 avril": every day in words goes through `long_date`."""
    offenders = [
        f"{path.relative_to(TEMPLATES)}: {match.group(0)}"
        for path in TEMPLATES.rglob("*")
        if path.suffix in (".html", ".txt")
        for match in re.finditer(r'\|date:"([^"]*)"', path.read_text())
        if re.search(r"(?<!\\)j|DATE_FORMAT\b|DATETIME_FORMAT\b", match.group(1))
        and not match.group(1).startswith("SHORT_")
    ]
    assert offenders == []
