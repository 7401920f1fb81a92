"""Wagtail admin for online payment attempts: directors see each try and its status.

Read only: an attempt's status comes from Stripe, and its money, once paid, is a `Payment`
with its own inspect view (and its reverse action). Registered from `wagtail_hooks.py`
through `register()`.
"""

from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.admin.ui.tables import Column

from core.admin import AllChoiceFilter, DateFromToFilter

from ..ledger import admin_views
from ..ledger.viewsets import (
    FAMILY_EXPORT_FIELDS,
    FAMILY_EXPORT_HEADINGS,
    BillingModelViewSet,
    StructureFamilyFilterSet,
)
from .models import PaymentAttempt


def payment_attempt_permissions():
    """What the Direction group needs to see attempts, as (app_label, codename)."""
    return [("billing", "view_paymentattempt")]


class PaymentAttemptFilterSet(StructureFamilyFilterSet):
    status = AllChoiceFilter(label=_("status"), choices=PaymentAttempt.Status.choices)
    created_at = DateFromToFilter(label=_("started at"))

    class Meta:
        model = PaymentAttempt
        fields = ["structure", "family", "status", "created_at"]


class PaymentAttemptViewSet(BillingModelViewSet):
    model = PaymentAttempt
    name = "payment_attempts"
    url_prefix = "facturation/paiements-en-ligne"
    icon = "credit-card"
    menu_label = _("Online payments")
    menu_order = 210
    add_to_admin_menu = True
    disabled_views = ("add", "edit", "delete", "usage")
    list_display = [
        Column("created_at", label=_("started at"), sort_key="created_at"),
        "family",
        admin_views.EurosColumn("amount", label=_("amount"), sort_key="amount"),
        "status",
        Column("payment_intent_id", label=_("Stripe PaymentIntent")),
        Column("failure_message", label=_("failure message")),
    ]
    filterset_class = PaymentAttemptFilterSet
    search_fields = ["family__name", "family__reference", "payment_intent_id"]
    list_export = [
        "created_at",
        *FAMILY_EXPORT_FIELDS,
        "amount",
        "balance_due",
        "get_status_display",
        "payment_intent_id",
        "amount_received",
        "failure_code",
        "failure_message",
    ]
    export_headings = {**FAMILY_EXPORT_HEADINGS, "get_status_display": _("Status")}
    export_filename = "paiements-en-ligne"
    inspect_view_fields = [
        "created_at",
        "updated_at",
        "structure",
        "family",
        "guardian",
        "amount",
        "balance_due",
        "currency",
        "status",
        "payment_intent_id",
        "amount_received",
        "payment",
        "failure_code",
        "failure_message",
    ]

    def scope(self, user):
        return PaymentAttempt.objects.for_staff(user).select_related("family")


_registered = False


def register():
    """Add the attempts to the admin menu, next to "Billing".

    Call once from `billing/wagtail_hooks.py`; a second call changes nothing. (To show them
    inside the Billing group instead, list `PaymentAttemptViewSet` in its items and do not
    call this.)
    """
    global _registered
    if _registered:
        return
    _registered = True
    hooks.register("register_admin_viewset", PaymentAttemptViewSet)
