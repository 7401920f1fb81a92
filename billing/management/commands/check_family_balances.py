"""Compare every family's stored balance with its journal (docs/operations.md)."""

from django.core.management.base import BaseCommand, CommandError

from billing.ledger.services import find_balance_differences, repair_family_balance
from core.money import format_euros


class Command(BaseCommand):
    help = (
        "List the families whose stored balance (used by the admin's lists, the home page and "
        "the reminders) differs from the sum of their account rows; with --repair, set it to "
        "that sum. Exits with an error when a difference is left. The account rows are never "
        "changed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--repair", action="store_true", help="set each stored balance to its account's sum"
        )

    def handle(self, *args, repair=False, **options):
        differences = find_balance_differences()
        for difference in differences:
            family = difference.family
            self.stdout.write(
                f"{family.structure.name} / {family.reference} {family.name}: stored "
                f"{format_euros(difference.stored)}, account {format_euros(difference.journal)}"
            )
            if repair:
                repair_family_balance(family)
        if not differences:
            self.stdout.write("Every stored balance is its account's.")
        elif repair:
            self.stdout.write(f"{len(differences)} stored balance(s) repaired.")
        else:
            raise CommandError(
                f"{len(differences)} stored balance(s) differ from the account: "
                "run again with --repair."
            )
