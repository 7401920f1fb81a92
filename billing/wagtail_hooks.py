from django.apps import apps
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.admin.menu import MenuItem

from parents.family_links import FAMILY_ADMIN_LINKS_HOOK

from .certificates.viewsets import CertificateAdminViewSet, register_certificate_log_actions
from .direct_debit.log_actions import register_direct_debit_log_actions
from .direct_debit.viewsets import DirectDebitAdminViewSet
from .imports.views import can_import, get_import_urls
from .ledger.admin_views import STATEMENT_PERMISSION
from .ledger.viewsets import BillingViewSetGroup
from .online_payment.viewsets import PaymentAttemptViewSet
from .reminders.viewsets import ReminderAdminViewSet


@hooks.register("register_log_actions")
def register_billing_log_actions(actions):
    actions.register_action("billing.issue_invoice", _("Issue invoice"), _("Invoice issued"))
    actions.register_action(
        "billing.issue_credit_note", _("Issue credit note"), _("Credit note issued")
    )
    actions.register_action("billing.record_payment", _("Record payment"), _("Payment recorded"))
    actions.register_action("billing.reverse_payment", _("Reverse payment"), _("Payment reversed"))
    actions.register_action("billing.allocate", _("Allocate"), _("Payments allocated"))
    actions.register_action(
        "billing.balance_repaired",
        _("Repair stored balance"),
        _("Stored balance set to the account's"),
    )
    register_certificate_log_actions(actions)
    register_direct_debit_log_actions(actions)


@hooks.register("register_admin_viewset")
def register_billing_viewsets():
    return BillingViewSetGroup()


@hooks.register("register_admin_viewset")
def register_payment_attempts_viewset():
    return PaymentAttemptViewSet()


@hooks.register("register_admin_viewset")
def register_certificates_viewset():
    return CertificateAdminViewSet()


@hooks.register("register_admin_viewset")
def register_direct_debit_viewsets():
    return [DirectDebitAdminViewSet(), ReminderAdminViewSet()]


@hooks.register("register_permissions")
def register_billing_permissions():
    # Reversals and the ledger have no viewset of their own, but the group editor must
    # still offer "reverse a payment" and "read family statements".
    return Permission.objects.filter(
        content_type__app_label="billing",
        codename__in=[
            "add_paymentreversal",
            "view_ledgerentry",
            "view_paymentattempt",
            "view_certificate",
            "add_certificate",
            "change_certificate",
            "view_mandate",
            "add_mandate",
            "change_mandate",
            "view_debitbatch",
            "add_debitbatch",
            "change_debitbatch",
            "change_directdebitsettings",
            "view_reminder",
            "add_reminder",
            "add_reminderpause",
        ],
    )


@hooks.register("register_admin_urls")
def register_billing_import_urls():
    return get_import_urls()


class ImportMenuItem(MenuItem):
    def is_shown(self, request):
        return can_import(request.user)


@hooks.register("register_admin_menu_item")
def register_billing_import_menu_item():
    return ImportMenuItem(
        _("Billing import"), reverse("billing_import"), icon_name="upload", order=310
    )


@hooks.register("register_log_scopes")
def register_billing_log_scopes():
    """Audit entries about invoices, credit notes, payments, attempts and certificates follow
    each model's staff scope (its structure's directors); certificate runs their structure's."""
    from parents.models import Structure

    from .certificates.models import CertificateRun
    from .ledger.models import Payment, PaymentReversal

    scopes = {
        model: model.objects.for_staff
        for model in apps.get_app_config("billing").get_models()
        if hasattr(model.objects, "for_staff")
    }
    # Its queryset's for_staff is the ledger's generic one; a reversal belongs to its payment.
    scopes[PaymentReversal] = lambda user: PaymentReversal.objects.filter(
        payment__in=Payment.objects.for_staff(user)
    )
    scopes[CertificateRun] = lambda user: CertificateRun.objects.filter(
        structure__in=Structure.objects.for_staff(user)
    )
    return scopes


@hooks.register(FAMILY_ADMIN_LINKS_HOOK, order=10)
def family_statement_link(user, family):
    if user.has_perm(STATEMENT_PERMISSION):
        url = reverse("billing_statements:statement", args=[family.pk])
        return (_("Account statement"), url)
    return None


@hooks.register("construct_homepage_panels")
def add_billing_home_panels(request, panels):
    from .dashboard import balances_panel, payment_attempts_panel

    for panel in (balances_panel(request.user), payment_attempts_panel(request.user)):
        if panel is not None:
            panels.append(panel)
