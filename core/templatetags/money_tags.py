from django import template

from core.money import format_euros

register = template.Library()


@register.filter
def euros(value):
    """36.07 → "36,07 €" in French, "€36.07" in English."""
    return format_euros(value)
