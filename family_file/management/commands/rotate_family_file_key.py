from django.core.management.base import BaseCommand
from django.db import transaction

from family_file.crypto import rotate_bytes
from family_file.models import HealthSheet, PendingChange, SupportingDocument


class Command(BaseCommand):
    help = (
        "Re-encrypt health data and family documents with the first key of "
        "FAMILY_FILE_ENCRYPTION_KEYS, so that older keys can then be removed."
    )

    def handle(self, *args, **options):
        rows = files = 0
        with transaction.atomic():
            # Saving re-encrypts with the first key (values are decrypted with any key).
            for sheet in HealthSheet.objects.exclude(data=None).iterator():
                sheet.save(update_fields=["data"])
                rows += 1
            for change in PendingChange.objects.iterator():
                change.save(update_fields=["before", "after"])
                rows += 1
        for field_file in self._files():
            storage = field_file.storage
            storage.rewrite(field_file.name, rotate_bytes(storage.raw_bytes(field_file.name)))
            files += 1
        self.stdout.write(f"Re-encrypted {rows} rows and {files} files with the first key.")

    def _files(self):
        for sheet in HealthSheet.objects.exclude(pai_document=""):
            if sheet.pai_document.storage.exists(sheet.pai_document.name):
                yield sheet.pai_document
        for document in SupportingDocument.objects.all():
            if document.file and document.file.storage.exists(document.file.name):
                yield document.file
