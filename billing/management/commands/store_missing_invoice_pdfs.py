from django.conf import settings
from django.core.management.base import BaseCommand

from billing.ledger.services import store_missing_invoice_pdfs


class Command(BaseCommand):
    help = (
        "Render the PDF of every issued invoice that has none (the renderer failed after the "
        "invoice was numbered). Safe to run as often as wanted."
    )

    def handle(self, *args, **options):
        rendered = store_missing_invoice_pdfs(workers=getattr(settings, "INVOICE_PDF_WORKERS", 1))
        self.stdout.write(f"{rendered} invoice PDF(s) rendered.")
