"""What a restore must give back, as JSON: run it on the live site and on the restored copy,
then compare (docs/operations.md, restore drill)."""

import hashlib
import json

from django.core.management.base import BaseCommand

from billing.ledger.balances import family_balance
from billing.models import CreditNote, DocumentSequence, Invoice
from parents.models import Family


class Command(BaseCommand):
    help = (
        "Print every family's balance, every numbering series' last number and the SHA-256 "
        "of a sample of stored PDFs (one document in N), as JSON."
    )

    def add_arguments(self, parser):
        parser.add_argument("--every", type=int, default=10, help="PDF sample: one in N")

    def handle(self, *args, every=10, **options):
        balances = {
            f"{family.structure_id}/{family.reference}": str(family_balance(family))
            for family in Family.objects.order_by("structure_id", "reference")
        }
        series = {
            f"{row.structure_id}/{row.kind}/{row.year}": row.last_value
            for row in DocumentSequence.objects.order_by("structure_id", "kind", "year")
        }
        pdfs = {}
        for model in (Invoice, CreditNote):
            documents = model.objects.exclude(pdf="").exclude(number="").order_by("pk")
            for document in documents[::every]:
                with document.pdf.open("rb") as handle:
                    pdfs[document.number] = hashlib.sha256(handle.read()).hexdigest()
        self.stdout.write(
            json.dumps({"balances": balances, "series": series, "pdfs": pdfs}, indent=1)
        )
