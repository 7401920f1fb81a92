"""Dates as the French write them in letters: "1er avril 2026", "15 avril 2026"."""

from django import template
from django.utils import translation
from django.utils.formats import date_format

register = template.Library()


def long_date(value):
    if not value:
        return ""
    text = date_format(value, "j F Y")
    # French writes the first of the month as an ordinal: "1er avril".
    if value.day == 1 and (translation.get_language() or "").startswith("fr"):
        text = "1er" + text[1:]
    return text


register.filter("long_date", long_date)
