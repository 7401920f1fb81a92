"""What a family owes, read from the journal. Read-only: services, notifications and pages
all use it, and it imports neither of them.
"""

from django.db.models import Sum

from core.money import ZERO, quantize

from .models import LedgerEntry


def family_balance(family):
    """Balance of the account: positive when the family owes money, negative in credit."""
    totals = LedgerEntry.objects.filter(family=family).aggregate(
        debit=Sum("debit"), credit=Sum("credit")
    )
    return quantize((totals["debit"] or ZERO) - (totals["credit"] or ZERO))
