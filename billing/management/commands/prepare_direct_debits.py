from datetime import datetime

from django.core.management.base import BaseCommand, CommandError

from billing.direct_debit import services
from billing.ledger.services import BillingError
from parents.models import Structure


class Command(BaseCommand):
    help = (
        "Prepare the direct debit batches due: for each structure offering direct debit, the "
        "batch of its next debit date once the pre-notification deadline is near (families "
        "are e-mailed the amount and date at least 14 days before). Run it daily; a batch "
        "already prepared is not prepared again."
    )

    def add_arguments(self, parser):
        parser.add_argument("--structure", help="Slug of one structure (default: all).")
        parser.add_argument(
            "--date",
            help="Collection date YYYY-MM-DD (with --structure): prepare that batch now.",
        )

    def handle(self, *args, **options):
        if options["date"]:
            if not options["structure"]:
                raise CommandError("--date needs --structure.")
            try:
                day = datetime.strptime(options["date"], "%Y-%m-%d").date()  # noqa: DTZ007
            except ValueError as exc:
                raise CommandError("Give the date as YYYY-MM-DD.") from exc
            structure = Structure.objects.filter(slug=options["structure"]).first()
            if structure is None:
                raise CommandError(f"No structure {options['structure']!r}.")
            todo = [(structure, day)]
        else:
            todo = services.due_batches()
            if options["structure"]:
                todo = [(s, d) for s, d in todo if s.slug == options["structure"]]
        for structure, day in todo:
            try:
                batch = services.prepare_batch(structure, day)
            except BillingError as exc:
                raise CommandError(f"{structure}: {exc.messages[0]}") from exc
            if batch is None:
                self.stdout.write(f"{structure}: {day:%Y-%m-%d}, no balance to debit.")
            else:
                totals = services.batch_totals(batch)
                self.stdout.write(
                    f"{structure}: {day:%Y-%m-%d}, {totals['count']} debit(s), "
                    f"{totals['total']} EUR (batch {batch.pk})."
                )
        if not todo:
            self.stdout.write("No batch to prepare today.")
