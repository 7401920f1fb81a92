from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("billing")

    def ready(self):
        from parents.roles import DIRECTION_GROUP, register_role_permissions

        from .certificates.viewsets import certificate_permissions
        from .direct_debit.viewsets import direct_debit_permissions
        from .ledger.viewsets import billing_permissions
        from .online_payment.viewsets import payment_attempt_permissions

        register_role_permissions(
            DIRECTION_GROUP,
            billing_permissions()
            + payment_attempt_permissions()
            + certificate_permissions()
            + direct_debit_permissions(),
        )
