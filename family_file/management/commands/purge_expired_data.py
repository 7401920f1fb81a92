from django.core.management.base import BaseCommand

from family_file.retention import purge_expired_data


class Command(BaseCommand):
    help = (
        "Apply the retention rules: health data of past seasons, registration data of "
        "families inactive for REGISTRATION_RETENTION_YEARS; accounting records are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be purged, change nothing."
        )

    def handle(self, *args, dry_run=False, **options):
        report = purge_expired_data(dry_run=dry_run)
        if dry_run:
            self.stdout.write("Dry run: nothing was changed.")
        for line in report.lines():
            self.stdout.write(line)
        for label in report.families_expired:
            self.stdout.write(f"  - {label}")
