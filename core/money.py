"""Exact money: Decimal euros with two places, rounded half up once per invoice line."""

import re
from decimal import ROUND_HALF_UP, Decimal

from django.utils import translation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def quantize(value):
    """Round to the cent, half up (0.005 → 0.01), the way French invoices are computed."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def line_amount(quantity, unit_price):
    """Amount of one invoice line: quantity × unit price, rounded once, here and only here."""
    return quantize(Decimal(quantity) * Decimal(unit_price))


def format_euros(value, *, signed=False):
    """An amount as the reader's language writes it: "1 234,50 €" in French (spaces group
    thousands, comma for cents, the manual's format, also for whole amounts: "15,00 €"),
    "€1,234.50" in English. Without an active language, the site's (French).
    """
    if value is None:
        return ""
    value = quantize(value)
    sign = "-" if value < 0 else ("+" if signed and value > 0 else "")
    units, cents = f"{abs(value):.2f}".split(".")
    groups = []
    while units:
        groups.insert(0, units[-3:])
        units = units[:-3]
    if (translation.get_language() or "fr").startswith("en"):
        return f"{sign}€{','.join(groups)}.{cents}"
    return f"{sign}{' '.join(groups)},{cents} €"


# What a person types: "36,07", "36.07", "1 234,5", "36 €"; a sign is read so that "-5" is
# refused for being negative rather than for its form. One decimal separator, comma or point;
# spaces only between groups of three digits; ASCII digits only ("\d" would read "٢٠" too).
TYPED_AMOUNT = re.compile(r"([-+]?)([0-9]{1,3}(?: [0-9]{3})+|[0-9]+)(?:[.,]([0-9]+))?")


def parse_euros(text):
    """The Decimal a typed amount of euros stands for, as typed (no rounding: "36,071" gives
    36.071, for the caller to refuse). Raises ValueError for anything else: letters, two
    separators, an empty string."""
    cleaned = re.sub(r"[\s\u00a0\u202f]+", " ", str(text)).strip().removesuffix("€").strip()
    match = TYPED_AMOUNT.fullmatch(cleaned)
    if match is None:
        raise ValueError(f"not an amount: {text!r}")
    sign, units, decimals = match.groups()
    return Decimal(f"{sign}{units.replace(' ', '')}.{decimals or '0'}")


def split_pro_rata(amount, weights):
    """Split `amount` over `weights` in proportion, to the cent, summing exactly to `amount`
    (largest remainders get the leftover cents).
    """
    if amount < 0:
        return [-share for share in split_pro_rata(-amount, weights)]
    total = sum(weights)
    if total <= 0:
        return [ZERO for _ in weights]
    cents = int(quantize(amount) * 100)
    raw = [Decimal(cents) * w / total for w in weights]
    floors = [int(r) for r in raw]
    leftover = cents - sum(floors)
    order = sorted(range(len(raw)), key=lambda i: raw[i] - floors[i], reverse=True)
    for i in order[:leftover]:
        floors[i] += 1
    return [Decimal(f) / 100 for f in floors]
