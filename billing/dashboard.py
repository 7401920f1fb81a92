"""The billing panels of the admin's home page: balances due, online payments to check.

Each counts only the structures of the member of staff (the models' `for_staff`), one line
per structure, and links to the list where it is dealt with.
"""

from decimal import Decimal

from django.db.models import Count, Sum
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy

from core.admin import HomePanel
from core.dashboard import count_lines, counts_by_structure
from core.money import format_euros
from parents.models import Family

from .ledger.admin_views import STATEMENT_PERMISSION
from .models import FamilyBalance, PaymentAttempt


def balances_due(user):
    """{structure name: (families owing, total owed)} over the user's structures.

    Read from the stored balances (`FamilyBalance`), counted and summed by the database:
    summing the journal took seconds at 100,000 families.
    """
    rows = (
        FamilyBalance.objects.filter(
            family__in=Family.objects.for_staff(user).values("pk"), balance__gt=0
        )
        .order_by()
        .values("family__structure__name")
        .annotate(families=Count("pk"), total=Sum("balance"))
        .values_list("family__structure__name", "families", "total")
    )
    return {structure: (count, total) for structure, count, total in sorted(rows)}


def balances_panel(user):
    if not user.has_perm(STATEMENT_PERMISSION):
        return None
    due = balances_due(user)
    lines = [
        (
            structure,
            ngettext_lazy(
                "%(count)s family owes %(total)s", "%(count)s families owe %(total)s", "count"
            )
            % {"count": count, "total": format_euros(total)},
        )
        for structure, (count, total) in due.items()
    ]
    total = sum((amount for _count, amount in due.values()), Decimal("0.00"))
    return HomePanel(
        "balances",
        _("Balances due"),
        lines,
        reverse("billing_statements:index") + "?" + urlencode({"ordering": "-balance"}),
        _("Family statements, largest balance first"),
        order=10,
        summary=_("Total due: %(total)s") % {"total": format_euros(total)},
    )


def payment_attempts_panel(user):
    if not user.has_perm("billing.view_paymentattempt"):
        return None
    attempts = PaymentAttempt.objects.for_staff(user).filter(
        status=PaymentAttempt.Status.NEEDS_REVIEW
    )
    lines = count_lines(
        counts_by_structure(attempts, "structure"),
        ngettext_lazy(
            "%(count)s online payment to check", "%(count)s online payments to check", "count"
        ),
    )
    return HomePanel(
        "online_payments",
        _("Online payments to check"),
        lines,
        reverse("payment_attempts:index") + "?" + urlencode({"status": "needs_review"}),
        _("Online payments to check"),
        order=40,
    )
