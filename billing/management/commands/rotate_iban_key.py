from django.core.management.base import BaseCommand, CommandError

from billing.direct_debit import crypto, services


class Command(BaseCommand):
    help = (
        "Encrypt every mandate's IBAN again with the first key of IBAN_ENCRYPTION_KEYS. "
        "Rotation: put the new key first (keep the old one after it), run this, then remove "
        "the old key."
    )

    def handle(self, *args, **options):
        if not crypto.is_configured():
            raise CommandError("IBAN_ENCRYPTION_KEYS is empty or invalid.")
        count = services.rotate_iban_encryption()
        self.stdout.write(f"{count} IBAN(s) encrypted with the newest key.")
