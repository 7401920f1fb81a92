from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from billing import demo as billing_demo
from family_file import demo as family_file_demo
from forms_library import demo as forms_library_demo
from home import demo as home_demo
from parents import demo as parents_demo
from reservations import demo as reservations_demo


class Command(BaseCommand):
    help = "Load the demo association, families and logins (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even when DEBUG is off (the demo logins have published passwords).",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "Refusing to load demo data with DEBUG off: its logins are public. Use --force."
            )
        with transaction.atomic():
            parents_demo.load()
            billing_demo.load()
            reservations_demo.load()
            family_file_demo.load()
            pages = home_demo.load()
            library = forms_library_demo.load(pages["home"], pages["structure_pages"])
            home_demo.load_help(pages["home"], rules_document=library["documents"]["rules"])
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(
            "\n".join(
                [
                    "",
                    "Demo logins:",
                    f"  Family DUPONT (Brax):   parent.demo  / {parents_demo.PARENT_PASSWORD}",
                    f"  Family BERNARD (other): parent2.demo / {parents_demo.PARENT_PASSWORD}",
                    f"  Family MARTIN (Brax):   parent3.demo / {parents_demo.PARENT_PASSWORD}",
                    f"  Director (Brax):        directeur.demo / {parents_demo.DIRECTOR_PASSWORD}",
                    f"    TOTP secret (base32): {parents_demo.DIRECTOR_TOTP_SECRET}",
                    f"    Backup codes:         {' '.join(parents_demo.DIRECTOR_BACKUP_CODES)}",
                    "  Communication (Brax):   communication.demo / "
                    f"{parents_demo.COMMUNICATION_PASSWORD}",
                    f"    TOTP secret (base32): {parents_demo.COMMUNICATION_TOTP_SECRET}",
                    "    Backup codes:         "
                    f"{' '.join(parents_demo.COMMUNICATION_BACKUP_CODES)}",
                    "",
                    "Published content: / (home), /brax/imprimes/ (library), /manuel/ (manual),",
                    "  /api/v2/pages/ (content API), /espace-famille/imprimes/ (family Imprimés).",
                    "",
                ]
            )
        )
