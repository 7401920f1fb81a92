from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("billing")

    def ready(self):
        from core.structure_cache import keep_per_structure
        from parents.data_export import register_contributor
        from parents.roles import DIRECTION_GROUP, register_role_permissions

        from .certificates.exports import certificates_export
        from .certificates.viewsets import certificate_permissions
        from .direct_debit.models import DirectDebitSettings
        from .direct_debit.viewsets import direct_debit_permissions
        from .ledger.exports import ledger_export
        from .ledger.viewsets import billing_permissions
        from .online_payment.viewsets import payment_attempt_permissions

        register_role_permissions(
            DIRECTION_GROUP,
            billing_permissions()
            + payment_attempt_permissions()
            + certificate_permissions()
            + direct_debit_permissions(),
        )
        # "Mes données" holds the family's invoices, credit notes and certificates.
        register_contributor("comptabilite", ledger_export)
        register_contributor("attestations", certificates_export)
        keep_per_structure(DirectDebitSettings)
