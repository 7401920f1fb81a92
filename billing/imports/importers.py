"""Import of invoices and payments exported by another program, as a `;`-separated CSV file.

The format is documented in docs/billing-import.md. Importing is two steps:

- `parse(file_bytes, user=...)` reads and checks the whole file without writing anything and
  returns an `ImportPlan`: the invoices (rows grouped by structure and number) and payments it
  would create, those already imported, and every error found, by line number.
- `run(plan, by=..., dry_run=...)` writes the plan through `billing.ledger.services` in a single
  transaction: one error and nothing at all is imported.

Every row carries the other program's identifier (`reference_externe`), stored as the
invoice's or payment's external reference: a row whose reference already exists in its
structure is skipped, so importing the same file twice creates nothing the second time.
"""

import csv
import hashlib
import io
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.immutable import ImmutableError
from core.money import CENT, ZERO, format_euros, line_amount
from parents.models import Family, Structure

from ..ledger.services import (
    BillingError,
    LineData,
    create_draft_invoice,
    issue_invoice,
    record_payment,
)
from ..models import Category, Invoice, Payment, PaymentMethod

logger = logging.getLogger(__name__)

INVOICE = "facture"
PAYMENT = "reglement"

# Always needed, then what each kind of row needs; only the columns of the kinds of row
# actually present are required, so a file of payments carries no invoice columns.
COMMON_COLUMNS = ["type", "structure", "famille", "date", "reference_externe"]
INVOICE_COLUMNS = ["numero", "libelle", "categorie", "date_service", "quantite", "prix_unitaire"]
PAYMENT_COLUMNS = ["montant_reglement", "mode"]
OPTIONAL_COLUMNS = ["enfant", "date_fin_service", "numero_cheque", "commentaire"]
KNOWN_COLUMNS = COMMON_COLUMNS + INVOICE_COLUMNS + PAYMENT_COLUMNS + OPTIONAL_COLUMNS

# Lengths of the model fields the cells end up in.
MAX_LENGTHS = {
    "numero": Invoice._meta.get_field("number").max_length,
    "libelle": 200,
    "reference_externe": Invoice._meta.get_field("external_reference").max_length,
    "numero_cheque": Payment._meta.get_field("cheque_number").max_length,
}
# (max_digits, decimal_places) of the model fields, so that no value fails in the database.
NUMBER_LIMITS = {"quantite": (8, 2), "prix_unitaire": (10, 2), "montant_reglement": (10, 2)}

DATE_FR = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
DATE_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
NUMBER = re.compile(r"^[+-]?\d+(?:[.,]\d+)?$")


def normalize(text):
    """Lower case without accents or surrounding spaces: "Règlement " → "reglement"."""
    decomposed = unicodedata.normalize("NFKD", text.strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def normalize_header(text):
    """ "Prix unitaire" and "prix-unitaire" are read as the documented `prix_unitaire`."""
    return re.sub(r"[\s\-]+", "_", normalize(text))


# --- The plan ------------------------------------------------------------------------------


@dataclass
class PlannedLine:
    line_number: int
    label: str
    category: str
    service_date: date
    quantity: Decimal
    unit_price: Decimal
    child: object = None
    service_end: date | None = None

    @property
    def amount(self):
        return line_amount(self.quantity, self.unit_price)


@dataclass
class PlannedInvoice:
    """One invoice of the file: every row of one structure with one number."""

    kind = INVOICE

    line_number: int
    structure: Structure
    family: Family
    number: str
    issue_date: date
    external_reference: str
    lines: list = field(default_factory=list)
    note: str = ""
    already_imported: bool = False

    @property
    def date(self):
        return self.issue_date

    @property
    def total(self):
        return sum((line.amount for line in self.lines), ZERO)


@dataclass
class PlannedPayment:
    """One payment of the file: one row."""

    kind = PAYMENT
    line_number: int
    structure: Structure
    family: Family
    date: date
    amount: Decimal
    method: str
    external_reference: str
    cheque_number: str = ""
    note: str = ""
    already_imported: bool = False

    @property
    def method_label(self):
        return PaymentMethod(self.method).label


@dataclass
class ImportPlan:
    """What a file would import. Nothing may be imported while `errors` is not empty."""

    digest: str = ""
    row_count: int = 0
    invoices: list = field(default_factory=list)
    payments: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    def add_error(self, line_number, message):
        self.errors.append((line_number, str(message)))

    @property
    def is_valid(self):
        return not self.errors

    @property
    def new_invoices(self):
        return [invoice for invoice in self.invoices if not invoice.already_imported]

    @property
    def new_payments(self):
        return [payment for payment in self.payments if not payment.already_imported]

    @property
    def new_line_count(self):
        return sum(len(invoice.lines) for invoice in self.new_invoices)

    @property
    def new_invoices_total(self):
        return sum((invoice.total for invoice in self.new_invoices), ZERO)

    @property
    def new_payments_total(self):
        return sum((payment.amount for payment in self.new_payments), ZERO)

    @property
    def already_imported(self):
        skipped = [op for op in self.invoices + self.payments if op.already_imported]
        return sorted(skipped, key=lambda op: op.line_number)

    def sorted_errors(self):
        return sorted(self.errors, key=lambda error: error[0])

    def operations(self):
        """What to write, in date order, then in file order: an invoice's PDF must not show
        as paid a payment received after it.
        """
        pending = self.new_invoices + self.new_payments
        return sorted(pending, key=lambda op: (op.date, op.line_number))


@dataclass
class ImportResult:
    dry_run: bool = False
    invoices: list = field(default_factory=list)
    payments: list = field(default_factory=list)
    line_count: int = 0
    skipped: list = field(default_factory=list)
    errors: list = field(default_factory=list)

    @property
    def ok(self):
        return not self.errors


# --- Reading cells -------------------------------------------------------------------------


class CellError(Exception):
    """A cell that cannot be read; the message names the column."""


def read_text(row, column, *, required=True):
    value = (row.get(column) or "").strip()
    if required and not value:
        raise CellError(_("Column “%(column)s” is required.") % {"column": column})
    limit = MAX_LENGTHS.get(column)
    if limit and len(value) > limit:
        raise CellError(
            _("Column “%(column)s”: at most %(max)s characters.") % {"column": column, "max": limit}
        )
    return value


def read_date(row, column, *, required=True):
    value = read_text(row, column, required=required)
    if not value:
        return None
    if match := DATE_FR.match(value):
        day, month, year = (int(part) for part in match.groups())
    elif match := DATE_ISO.match(value):
        year, month, day = (int(part) for part in match.groups())
    else:
        raise CellError(
            _("Column “%(column)s”: “%(value)s” is not a date in the form DD/MM/YYYY.")
            % {"column": column, "value": value}
        )
    try:
        return date(year, month, day)
    except ValueError:
        raise CellError(
            _("Column “%(column)s”: “%(value)s” is not a date in the form DD/MM/YYYY.")
            % {"column": column, "value": value}
        ) from None


def read_decimal(row, column, *, allow_zero=False):
    """French decimals ("3,59"); a dot is accepted too, spaces between thousands as well."""
    value = read_text(row, column)
    cleaned = re.sub(r"[\s\u00a0\u202f]", "", value).removesuffix("€")
    if not NUMBER.match(cleaned):
        raise CellError(
            _("Column “%(column)s”: “%(value)s” is not a number (for example 3,59).")
            % {"column": column, "value": value}
        )
    try:
        number = Decimal(cleaned.replace(",", "."))
    except InvalidOperation:  # pragma: no cover - the pattern above rules this out
        raise CellError(
            _("Column “%(column)s”: “%(value)s” is not a number (for example 3,59).")
            % {"column": column, "value": value}
        ) from None
    if number < 0:
        raise CellError(
            _("Column “%(column)s”: the value cannot be negative.") % {"column": column}
        )
    if number == 0 and not allow_zero:
        raise CellError(
            _("Column “%(column)s”: the value must be greater than zero.") % {"column": column}
        )
    if number != number.quantize(CENT):
        raise CellError(_("Column “%(column)s”: at most two decimals.") % {"column": column})
    max_digits, places = NUMBER_LIMITS[column]
    if number >= Decimal(10) ** (max_digits - places):
        raise CellError(_("Column “%(column)s”: the value is too large.") % {"column": column})
    return number


def read_choice(row, column, choices, message):
    value = read_text(row, column)
    code = normalize(value)
    if code not in choices:
        raise CellError(message % {"value": value, "choices": ", ".join(choices)})
    return code


# --- Parsing -------------------------------------------------------------------------------


@dataclass
class _Row:
    """A data row once its cells are read; references are resolved in a second pass."""

    line_number: int
    kind: str
    cells: dict
    values: dict = field(default_factory=dict)


def _decode(file_bytes, plan):
    try:
        return file_bytes.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line_number = file_bytes[: exc.start].count(b"\n") + 1
        plan.add_error(
            line_number,
            _(
                "The file is not encoded in UTF-8. Save it again as “CSV UTF-8” "
                "(LibreOffice: character set “Unicode (UTF-8)”; Excel: “CSV UTF-8”)."
            ),
        )
        return None


def _read_header(reader, plan):
    try:
        header = next(reader)
    except StopIteration:
        header = []
    if not any(cell.strip() for cell in header):
        plan.add_error(1, _("The file is empty: the first line must name the columns."))
        return None
    if len(header) == 1 and re.search(r"[,\t]", header[0]):
        plan.add_error(1, _("The columns must be separated by semicolons (;)."))
        return None
    columns = [normalize_header(cell) for cell in header]
    problems = []
    unknown = [name for name in columns if name not in KNOWN_COLUMNS]
    if unknown:
        problems.append(_("Unknown columns: %(columns)s.") % {"columns": ", ".join(unknown)})
    twice = sorted({name for name in columns if columns.count(name) > 1})
    if twice:
        problems.append(_("Columns given twice: %(columns)s.") % {"columns": ", ".join(twice)})
    for problem in problems:
        plan.add_error(1, problem)
    return columns


def _read_rows(reader, columns, plan):
    rows = []
    for cells in reader:
        line_number = reader.line_num
        if not any(cell.strip() for cell in cells):
            continue
        plan.row_count += 1
        if len(cells) > len(columns) and any(cell.strip() for cell in cells[len(columns) :]):
            plan.add_error(
                line_number,
                _(
                    "This line has more cells than the header has columns "
                    "(a “;” inside a text that is not between quotes?)."
                ),
            )
            continue
        values = dict(zip(columns, cells, strict=False))
        kind = normalize(values.get("type", ""))
        if kind not in (INVOICE, PAYMENT):
            plan.add_error(
                line_number,
                _("Column “type”: “%(value)s” is neither “facture” nor “reglement”.")
                % {"value": values.get("type", "").strip()},
            )
            continue
        rows.append(_Row(line_number, kind, values))
    return rows


def _check_required_columns(columns, rows, plan):
    required = list(COMMON_COLUMNS)
    kinds = {row.kind for row in rows}
    if INVOICE in kinds:
        required += INVOICE_COLUMNS
    if PAYMENT in kinds:
        required += PAYMENT_COLUMNS
    missing = [name for name in required if name not in columns]
    if missing:
        plan.add_error(1, _("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
    return not missing


def _read_cells(row, plan):
    """Read and check every cell of the row on its own; all problems are reported."""
    cells, values = row.cells, row.values
    readers = {
        "structure": lambda: read_text(cells, "structure"),
        "famille": lambda: read_text(cells, "famille"),
        "date": lambda: read_date(cells, "date"),
        "reference_externe": lambda: read_text(cells, "reference_externe"),
        "commentaire": lambda: read_text(cells, "commentaire", required=False),
    }
    if row.kind == INVOICE:
        readers.update(
            numero=lambda: read_text(cells, "numero"),
            enfant=lambda: read_text(cells, "enfant", required=False),
            libelle=lambda: read_text(cells, "libelle"),
            categorie=lambda: read_choice(
                cells,
                "categorie",
                Category.values,
                _("Unknown category “%(value)s” (expected one of: %(choices)s)."),
            ),
            date_service=lambda: read_date(cells, "date_service"),
            date_fin_service=lambda: read_date(cells, "date_fin_service", required=False),
            quantite=lambda: read_decimal(cells, "quantite"),
            # A free service (price 0) is a valid line; a negative one needs a credit note.
            prix_unitaire=lambda: read_decimal(cells, "prix_unitaire", allow_zero=True),
        )
    else:
        readers.update(
            montant_reglement=lambda: read_decimal(cells, "montant_reglement"),
            mode=lambda: read_choice(
                cells,
                "mode",
                PaymentMethod.values,
                _("Unknown payment method “%(value)s” (expected one of: %(choices)s)."),
            ),
            numero_cheque=lambda: read_text(cells, "numero_cheque", required=False),
        )
    ok = True
    for column, reader in readers.items():
        try:
            values[column] = reader()
        except CellError as exc:
            plan.add_error(row.line_number, exc.args[0])
            ok = False
    if not ok:
        return False
    if row.kind == INVOICE:
        end = values["date_fin_service"]
        if end and end < values["date_service"]:
            plan.add_error(row.line_number, _("The service end date is before the service date."))
            ok = False
    elif values["mode"] == PaymentMethod.CHEQUE and not values["numero_cheque"]:
        plan.add_error(
            row.line_number,
            _("A cheque payment needs its cheque number (column “numero_cheque”)."),
        )
        ok = False
    return ok


class _References:
    """Structures, families and already imported documents the file names, fetched in bulk."""

    def __init__(self, rows, user):
        slugs = {row.values["structure"] for row in rows}
        self.structures = {s.slug: s for s in Structure.objects.filter(slug__in=slugs)}
        allowed = Structure.objects.filter(slug__in=slugs)
        if user is not None:
            allowed = Structure.objects.for_staff(user).filter(slug__in=slugs)
        self.allowed = set(allowed.values_list("slug", flat=True))
        wanted = {}
        for row in rows:
            structure = self.structures.get(row.values["structure"])
            if structure is not None:
                wanted.setdefault(structure.pk, set()).add(row.values["famille"])
        self.families = {}
        for structure_id, references in wanted.items():
            families = Family.objects.filter(
                structure_id=structure_id, reference__in=references
            ).prefetch_related("children")
            for family in families:
                self.families[(structure_id, family.reference)] = family
        ids = list(self.structures.values())
        invoice_refs = {row.values["reference_externe"] for row in rows if row.kind == INVOICE}
        numbers = {row.values["numero"] for row in rows if row.kind == INVOICE}
        payment_refs = {row.values["reference_externe"] for row in rows if row.kind == PAYMENT}
        self.invoices_by_reference = {
            (i.structure_id, i.external_reference): i
            for i in Invoice.objects.filter(
                structure__in=ids, external_reference__in=invoice_refs
            ).select_related("family")
        }
        self.invoices_by_number = {
            (i.structure_id, i.number): i
            for i in Invoice.objects.filter(structure__in=ids, number__in=numbers)
        }
        self.payments_by_reference = {
            (p.structure_id, p.external_reference): p
            for p in Payment.objects.filter(
                structure__in=ids, external_reference__in=payment_refs
            ).select_related("family")
        }


def _resolve(row, refs, plan):
    """The row's structure (within the user's), family and child, or None with an error."""
    slug = row.values["structure"]
    structure = refs.structures.get(slug)
    if structure is None:
        plan.add_error(row.line_number, _("Unknown structure “%(slug)s”.") % {"slug": slug})
        return None
    if slug not in refs.allowed:
        plan.add_error(
            row.line_number,
            _("You do not manage the structure “%(slug)s”: its rows cannot be imported.")
            % {"slug": slug},
        )
        return None
    reference = row.values["famille"]
    family = refs.families.get((structure.pk, reference))
    if family is None:
        plan.add_error(
            row.line_number,
            _("Unknown family “%(reference)s” in %(structure)s.")
            % {"reference": reference, "structure": structure},
        )
        return None
    row.values["structure_obj"] = structure
    row.values["family_obj"] = family
    if row.kind == INVOICE and row.values["enfant"]:
        name = normalize(row.values["enfant"])
        matches = [c for c in family.children.all() if normalize(c.first_name) == name]
        if not matches:
            plan.add_error(
                row.line_number,
                _("“%(child)s” is not a child of the family %(family)s.")
                % {"child": row.values["enfant"], "family": family},
            )
            return None
        if len(matches) > 1:
            plan.add_error(
                row.line_number,
                _("Two children of the family %(family)s are named “%(child)s”.")
                % {"child": row.values["enfant"], "family": family},
            )
            return None
        row.values["child_obj"] = matches[0]
    return row


def _group_invoices(rows, refs, plan):
    """Rows of one structure and number make one invoice; its rows must agree on the family,
    the date and the external reference, and a reference names one invoice only.
    """
    invoices = {}
    by_reference = {}
    for row in rows:
        v = row.values
        structure, family = v["structure_obj"], v["family_obj"]
        key = (structure.pk, v["numero"])
        invoice = invoices.get(key)
        if invoice is None:
            other = by_reference.get((structure.pk, v["reference_externe"]))
            if other is not None:
                plan.add_error(
                    row.line_number,
                    _(
                        "The external reference “%(reference)s” is already used on line "
                        "%(line)s by invoice %(number)s."
                    )
                    % {
                        "reference": v["reference_externe"],
                        "line": other.line_number,
                        "number": other.number,
                    },
                )
                continue
            invoice = PlannedInvoice(
                line_number=row.line_number,
                structure=structure,
                family=family,
                number=v["numero"],
                issue_date=v["date"],
                external_reference=v["reference_externe"],
                note=v["commentaire"],
            )
            invoices[key] = invoice
            by_reference[(structure.pk, invoice.external_reference)] = invoice
        elif v["reference_externe"] != invoice.external_reference:
            plan.add_error(
                row.line_number,
                _(
                    "Invoice number %(number)s is also used on line %(line)s with another "
                    "external reference (“%(reference)s”): a number belongs to one invoice only."
                )
                % {
                    "number": invoice.number,
                    "line": invoice.line_number,
                    "reference": invoice.external_reference,
                },
            )
            continue
        elif family.pk != invoice.family.pk or v["date"] != invoice.issue_date:
            column, value = (
                ("famille", invoice.family.reference)
                if family.pk != invoice.family.pk
                else ("date", invoice.issue_date.strftime("%d/%m/%Y"))
            )
            plan.add_error(
                row.line_number,
                _(
                    "Invoice %(number)s: the column “%(column)s” differs from line %(line)s "
                    "(“%(value)s”); all the lines of an invoice must share it."
                )
                % {
                    "number": invoice.number,
                    "column": column,
                    "line": invoice.line_number,
                    "value": value,
                },
            )
            continue
        invoice.lines.append(
            PlannedLine(
                line_number=row.line_number,
                label=v["libelle"],
                category=v["categorie"],
                service_date=v["date_service"],
                service_end=v["date_fin_service"],
                quantity=v["quantite"],
                unit_price=v["prix_unitaire"],
                child=v.get("child_obj"),
            )
        )
    for invoice in invoices.values():
        _check_existing_invoice(invoice, refs, plan)
    return list(invoices.values())


def _check_existing_invoice(invoice, refs, plan):
    structure_id = invoice.structure.pk
    existing = refs.invoices_by_reference.get((structure_id, invoice.external_reference))
    if existing is not None:
        if existing.number == invoice.number and existing.family_id == invoice.family.pk:
            invoice.already_imported = True
        else:
            plan.add_error(
                invoice.line_number,
                _(
                    "The external reference “%(reference)s” was already imported as invoice "
                    "%(number)s of %(family)s."
                )
                % {
                    "reference": invoice.external_reference,
                    "number": existing.number or "—",
                    "family": existing.family,
                },
            )
        return
    if (structure_id, invoice.number) in refs.invoices_by_number:
        plan.add_error(
            invoice.line_number,
            _("Invoice number %(number)s already exists in %(structure)s for another invoice.")
            % {"number": invoice.number, "structure": invoice.structure},
        )


def _plan_payments(rows, refs, plan):
    payments = []
    by_reference = {}
    for row in rows:
        v = row.values
        structure, family = v["structure_obj"], v["family_obj"]
        key = (structure.pk, v["reference_externe"])
        if key in by_reference:
            plan.add_error(
                row.line_number,
                _(
                    "The external reference “%(reference)s” is already used by the payment on "
                    "line %(line)s."
                )
                % {"reference": v["reference_externe"], "line": by_reference[key].line_number},
            )
            continue
        payment = PlannedPayment(
            line_number=row.line_number,
            structure=structure,
            family=family,
            date=v["date"],
            amount=v["montant_reglement"],
            method=v["mode"],
            cheque_number=v["numero_cheque"],
            external_reference=v["reference_externe"],
            note=v["commentaire"],
        )
        by_reference[key] = payment
        existing = refs.payments_by_reference.get(key)
        if existing is not None:
            if existing.family_id == family.pk and existing.amount == payment.amount:
                payment.already_imported = True
            else:
                plan.add_error(
                    row.line_number,
                    _(
                        "The external reference “%(reference)s” was already imported for "
                        "another payment (%(amount)s, family %(family)s)."
                    )
                    % {
                        "reference": payment.external_reference,
                        "amount": format_euros(existing.amount),
                        "family": existing.family,
                    },
                )
        payments.append(payment)
    return payments


def parse(file_bytes, *, user=None):
    """Read and check a whole file; writes nothing.

    `user` limits the structures the file may name to those the user manages
    (`Structure.objects.for_staff`); None (the command line) allows every structure.
    """
    plan = ImportPlan(digest=hashlib.sha256(file_bytes).hexdigest())
    text = _decode(file_bytes, plan)
    if text is None:
        return plan
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    try:
        columns = _read_header(reader, plan)
        if columns is None or plan.errors:
            # Reading the rows would only repeat the header's problem on every line.
            return plan
        if "type" not in columns:
            missing = [name for name in COMMON_COLUMNS if name not in columns]
            plan.add_error(1, _("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
            return plan
        rows = _read_rows(reader, columns, plan)
    except csv.Error as exc:
        plan.add_error(
            reader.line_num, _("The file cannot be read as CSV: %(error)s.") % {"error": exc}
        )
        return plan
    if not rows:
        if not plan.errors:
            plan.add_error(2, _("The file has no line to import after the header."))
        return plan
    if not _check_required_columns(columns, rows, plan):
        return plan
    rows = [row for row in rows if _read_cells(row, plan)]
    refs = _References(rows, user)
    rows = [row for row in rows if _resolve(row, refs, plan)]
    plan.invoices = _group_invoices([r for r in rows if r.kind == INVOICE], refs, plan)
    plan.payments = _plan_payments([r for r in rows if r.kind == PAYMENT], refs, plan)
    return plan


# --- Running -------------------------------------------------------------------------------


class _Abort(Exception):
    def __init__(self, line_number, message):
        super().__init__(message)
        self.line_number = line_number
        self.message = message


def _error_message(exc):
    if isinstance(exc, BillingError | ImmutableError):
        return " ".join(str(message) for message in getattr(exc, "messages", [exc]))
    return _("the database refused the row (a number or reference imported at the same time?).")


def run(plan, *, by=None, dry_run=False, notify=False):
    """Import a valid plan in one transaction: all of it, or nothing.

    Invoices are issued with their own number and date, and their PDF (not rendered on a
    dry run); payments are recorded and allocated by `record_payment`. What was imported
    since the plan was made is skipped again inside the transaction. A dry run writes
    everything then rolls back, so the services' own checks are part of the preview.
    Guardians get the new-invoice email only when `notify` is set: an import usually brings
    invoices the family already received from the other program.
    """
    result = ImportResult(dry_run=dry_run)
    if not plan.is_valid:
        result.errors = plan.sorted_errors()
        return result
    result.skipped = plan.already_imported
    stored_pdfs = []
    try:
        with transaction.atomic():
            for operation in plan.operations():
                try:
                    if isinstance(operation, PlannedInvoice):
                        invoice = _import_invoice(operation, by, dry_run, notify)
                        if invoice is None:
                            result.skipped.append(operation)
                            continue
                        if invoice.pdf:
                            stored_pdfs.append(invoice.pdf)
                        result.invoices.append(invoice)
                        result.line_count += len(operation.lines)
                    else:
                        payment = _import_payment(operation, by)
                        if payment is None:
                            result.skipped.append(operation)
                            continue
                        result.payments.append(payment)
                except (BillingError, ImmutableError, IntegrityError) as exc:
                    raise _Abort(operation.line_number, _error_message(exc)) from exc
            if dry_run:
                transaction.set_rollback(True)
    except _Abort as abort:
        _delete_files(stored_pdfs)
        return ImportResult(
            dry_run=dry_run,
            errors=[
                (
                    abort.line_number,
                    _("Import stopped: %(error)s Nothing was imported.") % {"error": abort.message},
                )
            ],
        )
    except Exception:
        _delete_files(stored_pdfs)
        raise
    if not dry_run:
        logger.info(
            "Imported %s invoices and %s payments (file %s, by user %s)",
            len(result.invoices),
            len(result.payments),
            plan.digest[:12],
            getattr(by, "pk", None),
        )
    return result


def _import_invoice(planned, by, dry_run, notify):
    if Invoice.objects.filter(
        structure=planned.structure, external_reference=planned.external_reference
    ).exists():
        return None
    lines = [
        LineData(
            label=line.label,
            service_date=line.service_date,
            service_end=line.service_end,
            quantity=line.quantity,
            unit_price=line.unit_price,
            category=line.category,
            child=line.child,
        )
        for line in planned.lines
    ]
    draft = create_draft_invoice(
        planned.family,
        lines,
        by=by,
        note=planned.note,
        external_reference=planned.external_reference,
    )
    return issue_invoice(
        draft,
        by=by,
        issue_date=planned.issue_date,
        number=planned.number,
        render_pdf=not dry_run,
        notify=notify and not dry_run,
    )


def _import_payment(planned, by):
    if Payment.objects.filter(
        structure=planned.structure, external_reference=planned.external_reference
    ).exists():
        return None
    return record_payment(
        planned.family,
        planned.amount,
        planned.method,
        on_date=planned.date,
        by=by,
        cheque_number=planned.cheque_number,
        note=planned.note,
        external_reference=planned.external_reference,
    )


def _delete_files(files):
    """PDFs written by a rolled-back import would be orphans in private storage."""
    for file in files:
        try:
            file.storage.delete(file.name)
        except OSError:
            logger.warning("Could not delete %s after a failed import", file.name)
