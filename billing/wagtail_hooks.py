from django.utils.translation import gettext_lazy as _

from wagtail import hooks


@hooks.register("register_log_actions")
def register_billing_log_actions(actions):
    actions.register_action("billing.issue_invoice", _("Issue invoice"), _("Invoice issued"))
    actions.register_action(
        "billing.issue_credit_note", _("Issue credit note"), _("Credit note issued")
    )
    actions.register_action("billing.record_payment", _("Record payment"), _("Payment recorded"))
    actions.register_action("billing.reverse_payment", _("Reverse payment"), _("Payment reversed"))
    actions.register_action("billing.allocate", _("Allocate"), _("Payments allocated"))
