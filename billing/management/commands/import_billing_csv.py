from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from billing.imports.importers import parse, run
from core.money import ZERO, format_euros


class Command(BaseCommand):
    help = (
        "Import invoices and payments from a ';'-separated UTF-8 CSV file "
        "(format: docs/billing-import.md). All or nothing; re-importing a file creates "
        "nothing twice."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The CSV file to import.")
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Check the file and show what would be imported, without saving anything.",
        )
        parser.add_argument(
            "--user",
            help="Import as this user: only their structures are accepted, and the audit "
            "log names them.",
        )
        parser.add_argument(
            "--notify",
            action="store_true",
            help="Email the guardians about each new invoice (off by default: imported "
            "invoices usually reached the families already).",
        )

    def handle(self, *args, **options):
        path = options["file"]
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(
                _("Cannot read %(file)s: %(error)s") % {"file": path, "error": exc}
            ) from exc
        user = None
        if options["user"]:
            User = get_user_model()
            try:
                user = User.objects.get(username=options["user"], is_active=True)
            except User.DoesNotExist:
                raise CommandError(
                    _("No active user “%(username)s”.") % {"username": options["user"]}
                ) from None
        plan = parse(data, user=user)
        dry_run = options["dry_run"]
        result = run(plan, by=user, dry_run=dry_run, notify=options["notify"])

        write = self.stdout.write
        write(_("File: %(file)s (%(count)s rows)") % {"file": path, "count": plan.row_count})
        if dry_run:
            write(_("Dry run: nothing was saved."))
        if result.ok:
            self._write_summary(result, dry_run)
        for operation in result.skipped:
            write("  " + describe_skipped(operation))
        if result.errors:
            write(self.style.ERROR(_("Errors: %(count)s") % {"count": len(result.errors)}))
            for line_number, message in result.errors:
                write(
                    "  "
                    + _("line %(line)s: %(message)s") % {"line": line_number, "message": message}
                )
            raise CommandError(_("Nothing was imported: correct the file and try again."))
        if not dry_run:
            write(self.style.SUCCESS(_("Import complete.")))

    def _write_summary(self, result, dry_run):
        write = self.stdout.write
        values = {
            "invoices": len(result.invoices),
            "lines": result.line_count,
            "invoiced": format_euros(sum((i.total for i in result.invoices), ZERO)),
            "payments": len(result.payments),
            "paid": format_euros(sum((p.amount for p in result.payments), ZERO)),
        }
        if dry_run:
            write(_("Invoices to create: %(invoices)s (%(lines)s lines, %(invoiced)s)") % values)
            write(_("Payments to record: %(payments)s (%(paid)s)") % values)
        else:
            write(_("Invoices created: %(invoices)s (%(lines)s lines, %(invoiced)s)") % values)
            write(_("Payments recorded: %(payments)s (%(paid)s)") % values)
        write(_("Already imported (skipped): %(count)s") % {"count": len(result.skipped)})


def describe_skipped(operation):
    if operation.kind == "facture":
        return _("line %(line)s: invoice %(number)s already imported") % {
            "line": operation.line_number,
            "number": operation.number,
        }
    return _("line %(line)s: payment “%(reference)s” already imported") % {
        "line": operation.line_number,
        "reference": operation.external_reference,
    }
