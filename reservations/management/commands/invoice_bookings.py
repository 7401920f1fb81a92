import re

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from parents.models import Structure
from reservations.services import invoice_month


class Command(BaseCommand):
    help = (
        "Turn a month's bookings into draft invoices, one per family (idempotent): "
        "invoice_bookings 2026-11 [--structure SLUG] [--issue]"
    )

    def add_arguments(self, parser):
        parser.add_argument("month", help="The month to invoice, as YYYY-MM.")
        parser.add_argument("--structure", help="Only this structure (its slug).")
        parser.add_argument(
            "--issue", action="store_true", help="Issue the invoices (number, PDF, email)."
        )

    def handle(self, *args, month, structure=None, issue=False, **options):
        match = re.fullmatch(r"(\d{4})-(0[1-9]|1[0-2])", month)
        if not match:
            raise CommandError("The month is written YYYY-MM, e.g. 2026-11.")
        year, number = int(match.group(1)), int(match.group(2))
        structures = Structure.objects.order_by("name")
        if structure:
            structures = structures.filter(slug=structure)
            if not structures:
                raise CommandError(f"No structure with the slug {structure!r}.")
        failed = False
        for item in structures:
            run = invoice_month(
                item,
                year,
                number,
                issue=issue,
                pdf_workers=getattr(settings, "INVOICE_PDF_WORKERS", 1),
            )
            self.stdout.write(
                f"{item.name}: {len(run.created)} invoice(s) created"
                + (f", {len(run.issued)} issued" if issue else "")
            )
            for family, error in run.errors:
                failed = True
                self.stderr.write(f"  {family}: {error}")
        if failed:
            raise CommandError("Some families could not be invoiced; see above.")
