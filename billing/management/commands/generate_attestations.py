"""`manage.py generate_attestations 2025 [--structure SLUG] [--family REF] [--dry-run]`.

Generates the yearly certificates of a year (see docs/certificates.md): what did not change
is left alone, so running it twice regenerates nothing. PDFs are rendered by worker
processes, one per core unless `--workers` says otherwise.
"""

import os
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from billing.certificates.services import (
    issue_attestations,
    notify_due_attestations,
    publish_attestations,
)
from parents.models import Family, Structure

BAR_WIDTH = 30


def format_duration(seconds):
    seconds = int(round(seconds))
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


class ProgressBar:
    """One line redrawn in place on a terminal (a new line each time elsewhere, at most
    every few seconds): families done, rate and time left, certificates so far.
    """

    def __init__(self, stream, interval=None):
        self.stream = stream
        self.tty = stream.isatty()
        self.interval = interval if interval is not None else (0.2 if self.tty else 5.0)
        self.started = time.monotonic()
        self.last = 0.0

    def __call__(self, summary, final=False):
        now = time.monotonic()
        if not final and now - self.last < self.interval:
            return
        self.last = now
        total = summary.total_families or 1
        done = summary.families
        elapsed = max(now - self.started, 1e-6)
        rate = done / elapsed
        left = (total - done) / rate if rate else 0
        filled = round(BAR_WIDTH * done / total)
        line = (
            f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] "
            f"{done}/{summary.total_families} families ({100 * done // total}%) · "
            f"{rate:.1f} families/s · {format_duration(left)} left · "
            f"{summary.generated} generated, {summary.rendered} PDFs"
        )
        if self.tty:
            self.stream.write("\r" + line.ljust(110), ending="\n" if final else "")
        else:
            self.stream.write(line)
        self.stream.flush()


class Command(BaseCommand):
    help = "Generate the yearly childcare certificates of a year (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("year", type=int, help="The year of the payments, e.g. 2025.")
        parser.add_argument("--structure", help="Only this structure (its slug).")
        parser.add_argument("--family", help="Only the family with this reference.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Compute and report, write nothing.",
        )
        parser.add_argument(
            "--workers",
            type=int,
            default=os.cpu_count() or 1,
            help="Processes rendering PDFs (default: one per core).",
        )
        parser.add_argument(
            "--publish",
            action="store_true",
            help="Then publish the reviewed certificates and email the families they are "
            "visible to.",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, year, structure, family, dry_run, workers, publish, **options):
        today = timezone.localdate()
        if not 2000 <= year <= today.year:
            raise CommandError(f"{year} is not a past or current year.")
        structures = Structure.objects.all()
        if structure:
            structures = structures.filter(slug=structure)
            if not structures:
                raise CommandError(f"No structure with the slug {structure!r}.")
        families = Family.objects.filter(structure__in=structures)
        if family:
            families = families.filter(reference=family)
            if not families:
                raise CommandError(f"No family with the reference {family!r}.")
        progress = None if options["no_progress"] else ProgressBar(self.stderr)
        summary = issue_attestations(
            year,
            families=families,
            dry_run=dry_run,
            workers=workers,
            progress=progress,
        )
        if progress is not None:
            progress(summary, final=True)
        verb = "Would generate" if dry_run else "Generated"
        rate = summary.rendered / summary.elapsed if summary.elapsed else 0
        self.stdout.write(
            f"{verb} {summary.generated}, unchanged {summary.unchanged}, "
            f"flagged {summary.flagged} — {summary.families} families in "
            f"{format_duration(summary.elapsed)}"
            + (f", {summary.rendered} PDFs ({rate:.1f}/s)" if not dry_run else "")
        )
        for number, family_name, reason in summary.flagged_cases:
            self.stdout.write(f"  to review: {number} {family_name}: {reason}")
        if publish and not dry_run:
            for item in structures:
                published = publish_attestations(item, year)
                self.stdout.write(
                    f"{item.slug}: published {published.published}, replaced "
                    f"{published.replaced}, held for review {published.held}; shown to "
                    f"parents from {published.visible_from:%d/%m/%Y}"
                )
            sent = notify_due_attestations(today=today)
            self.stdout.write(f"Emails sent: {sent}")
