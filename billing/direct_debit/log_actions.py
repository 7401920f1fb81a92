"""Audit-log actions of direct debit and reminders, registered from `billing.wagtail_hooks`."""

from django.utils.translation import gettext_lazy as _

ACTIONS = [
    ("billing.create_mandate", _("Record mandate"), _("Direct debit mandate recorded")),
    ("billing.validate_mandate", _("Validate mandate"), _("Direct debit mandate validated")),
    ("billing.revoke_mandate", _("Revoke mandate"), _("Direct debit mandate revoked")),
    ("billing.suspend_mandate", _("Suspend mandate"), _("Mandate suspended after rejects")),
    ("billing.reactivate_mandate", _("Reactivate mandate"), _("Direct debit mandate reactivated")),
    (
        "billing.request_mandate_stop",
        _("Ask to stop direct debit"),
        _("Stop of direct debit asked"),
    ),
    ("billing.prepare_debits", _("Prepare direct debits"), _("Direct debit batch prepared")),
    ("billing.exclude_debit", _("Take a debit out"), _("Debit taken out of its batch")),
    ("billing.cancel_debits", _("Cancel direct debits"), _("Direct debit batch cancelled")),
    ("billing.send_debits", _("Mark direct debits as sent"), _("Direct debit batch sent")),
    ("billing.reject_debit", _("Record a reject"), _("Direct debit rejected")),
    ("billing.send_reminder", _("Send payment reminder"), _("Payment reminder sent")),
    ("billing.pause_reminders", _("Pause reminders"), _("Payment reminders paused")),
    ("billing.resume_reminders", _("Resume reminders"), _("Payment reminders resumed")),
]


def register_direct_debit_log_actions(actions):
    for action, label, message in ACTIONS:
        actions.register_action(action, label, message)
