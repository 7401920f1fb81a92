"""Exact money: Decimal euros with two places, rounded half up once per invoice line."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def quantize(value):
    """Round to the cent, half up (0.005 → 0.01), the way French invoices are computed."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def line_amount(quantity, unit_price):
    """Amount of one invoice line: quantity × unit price, rounded once, here and only here."""
    return quantize(Decimal(quantity) * Decimal(unit_price))


def format_euros(value, *, signed=False):
    """French display: "36,07 €", "1 234,50 €" (spaces group thousands, comma for cents)."""
    if value is None:
        return ""
    value = quantize(value)
    sign = "-" if value < 0 else ("+" if signed and value > 0 else "")
    units, cents = f"{abs(value):.2f}".split(".")
    groups = []
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]
    return f"{sign}{' '.join(groups)},{cents} €"
