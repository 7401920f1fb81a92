"""Dates in words for templates: `{{ value|long_date }}` gives "1er avril 2026" in French,
`{{ value|long_date:"l j F Y" }}` "mercredi 1er avril 2026"; `{{ moment|deadline }}` gives
"9 décembre 2026 à 23 h 59" for a deadline at midnight (see `core.dates`).
"""

from django import template

from core.dates import format_date, format_deadline

register = template.Library()


@register.filter
def long_date(value, fmt="j F Y"):
    return format_date(value, fmt)


@register.filter
def deadline(value, fmt="j F Y"):
    return format_deadline(value, fmt)
