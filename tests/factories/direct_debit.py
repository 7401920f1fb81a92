from datetime import date

from billing.direct_debit.models import DirectDebitSettings
from billing.direct_debit.services import record_paper_mandate
from billing.reminders.models import ReminderSettings

# Public example IBANs (valid checksums, banks schwifty knows).
IBAN_FR = "FR7630006000011234567890189"
IBAN_FR_2 = "FR1420041010050500013M02606"
IBAN_DE = "DE89370400440532013000"
ICS = "FR72ZZZ123456"


def direct_debit_settings(structure, **overrides):
    values = {
        "enabled": True,
        "creditor_identifier": ICS,
        "creditor_iban": "FR7630004000031234567890143",
        "creditor_bic": "BNPAFRPPXXX",
        "debit_day": 5,
        **overrides,
    }
    settings, _created = DirectDebitSettings.objects.update_or_create(
        structure=structure, defaults=values
    )
    return settings


def reminder_settings(structure, **overrides):
    settings, _created = ReminderSettings.objects.update_or_create(
        structure=structure, defaults={"enabled": True, **overrides}
    )
    return settings


def active_mandate(family, *, iban=IBAN_FR, by=None, signed_on=date(2026, 1, 10), pdf=False):
    """A paper mandate recorded by the director: active at once (no PDF unless asked)."""
    return record_paper_mandate(
        family,
        holder_name=f"Marie {family.name}",
        iban=iban,
        signed_on=signed_on,
        by=by,
        render_pdf=pdf,
    )
