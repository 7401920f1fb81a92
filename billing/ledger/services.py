"""The only code that changes a family's money state.

Every function here runs in one transaction, locks the family row first (so writes to one
family's balance are serialised), validates, writes, and leaves an audit entry. Views,
admin, imports, webhooks and commands call these functions and nothing else.
"""

import functools
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce, Round
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wagtail.log_actions import log

from core.money import ZERO, format_euros, line_amount, quantize, split_pro_rata
from parents.models import Family

from .balances import family_balance
from .models import (
    Allocation,
    CreditNote,
    CreditNoteLine,
    DocumentSequence,
    DocumentStatus,
    FamilyBalance,
    Invoice,
    InvoiceLine,
    LedgerEntry,
    Payment,
    PaymentMethod,
    PaymentReversal,
)
from .notifications import send_invoice_issued

logger = logging.getLogger(__name__)


class BillingError(ValidationError):
    """A refused money operation, with a message meant for the person who asked for it."""


def site_language():
    """Journal labels are stored once and read by parents in the site's language, whatever
    the language of the admin user whose action wrote them.
    """
    return translation.override(settings.LANGUAGE_CODE)


# --- Locks and numbering -------------------------------------------------------------------


def lock_family(family):
    """Serialise every balance-changing write of one family (SELECT … FOR UPDATE)."""
    return Family.objects.select_for_update().get(pk=family.pk)


def write_journal(entries):
    """Write journal rows and add them to their families' stored balances (`FamilyBalance`),
    in the caller's transaction, under its family lock: the journal is append-only, so the
    stored balance is the sum of every row written here."""
    LedgerEntry.objects.bulk_create(entries)
    changes = defaultdict(lambda: ZERO)
    for entry in entries:
        changes[entry.family_id] += entry.debit - entry.credit
    for family_id, change in changes.items():
        updated = FamilyBalance.objects.filter(family_id=family_id).update(
            balance=F("balance") + change
        )
        if not updated:
            FamilyBalance.objects.create(family_id=family_id, balance=change)


@dataclass(frozen=True)
class BalanceDifference:
    family: Family
    stored: Decimal  # FamilyBalance, ZERO when the family has no row
    journal: Decimal


def find_balance_differences():
    """The families whose stored balance (`FamilyBalance`) is not their journal's sum: none,
    as long as every journal row went through `write_journal`. A row written or changed
    behind the services' back (the database shell, a restore) shows here."""
    journal = (
        LedgerEntry.objects.filter(family=OuterRef("pk"))
        .order_by()
        .values("family")
        .annotate(total=Sum(F("debit") - F("credit")))
        .values("total")
    )
    kept = FamilyBalance.objects.filter(family=OuterRef("pk")).values("balance")
    families = (
        Family.objects.select_related("structure")
        .annotate(journal=Coalesce(Subquery(journal), ZERO), stored=Coalesce(Subquery(kept), ZERO))
        # To the cent: SQLite sums decimals as floating point.
        .annotate(gap=Round(F("journal") - F("stored"), 2))
        .exclude(gap=0)
        .order_by("structure__name", "reference", "pk")
    )
    return [
        BalanceDifference(family, quantize(family.stored), quantize(family.journal))
        for family in families
    ]


@transaction.atomic
def repair_family_balance(family, *, by=None):
    """Set the family's stored balance to its journal's sum, under the family lock (no
    journal row can be written meanwhile). The journal itself is never changed."""
    lock_family(family)
    balance = family_balance(family)
    FamilyBalance.objects.update_or_create(family=family, defaults={"balance": balance})
    log(instance=family, action="billing.balance_repaired", user=by, data={"balance": str(balance)})
    return balance


def format_number(prefix, year, value, suffix):
    """2L + 2012 + 38 + EN → "2L2012/0038EN", the manual's numbering."""
    return f"{prefix}{year}/{value:04d}{suffix}"


def next_number(structure, kind, year):
    """Take the next number of a series. Must run inside the issuing transaction: the row
    lock on the series is held until commit, so concurrent issues queue and no number is
    skipped or given twice; a rolled-back issue gives its number back.
    """
    DocumentSequence.objects.bulk_create(
        [DocumentSequence(structure=structure, kind=kind, year=year)], ignore_conflicts=True
    )
    sequence = DocumentSequence.objects.select_for_update().get(
        structure=structure, kind=kind, year=year
    )
    sequence.last_value += 1
    sequence.save(update_fields=["last_value"])
    if kind == DocumentSequence.Kind.INVOICE:
        prefix, suffix = structure.invoice_prefix, structure.invoice_suffix
    else:
        prefix, suffix = structure.credit_note_prefix, structure.credit_note_suffix
    return format_number(prefix, year, sequence.last_value, suffix)


def _claim_external_number(structure, kind, year, number):
    """An invoice numbered by another program (import, history): keep its number and move
    our series past it so the numbers we give next follow on without reuse.
    """
    import re

    match = re.search(r"/(\d+)", number)
    DocumentSequence.objects.bulk_create(
        [DocumentSequence(structure=structure, kind=kind, year=year)], ignore_conflicts=True
    )
    sequence = DocumentSequence.objects.select_for_update().get(
        structure=structure, kind=kind, year=year
    )
    if match and int(match.group(1)) > sequence.last_value:
        sequence.last_value = int(match.group(1))
        sequence.save(update_fields=["last_value"])
    return number


# --- Balances --------------------------------------------------------------------------------


def _allocated_by_line(lines):
    rows = (
        Allocation.objects.filter(invoice_line__in=lines)
        .values("invoice_line")
        .annotate(total=Sum("amount"))
    )
    return {row["invoice_line"]: row["total"] for row in rows}


def _credited_by_line(lines):
    rows = (
        CreditNoteLine.objects.filter(
            invoice_line__in=lines, credit_note__status=DocumentStatus.ISSUED
        )
        .values("invoice_line")
        .annotate(total=Sum("amount"))
    )
    return {row["invoice_line"]: row["total"] for row in rows}


def open_lines(family):
    """Issued invoice lines still to be settled, oldest invoice first, with what is left."""
    lines = list(
        InvoiceLine.objects.filter(
            invoice__family=family, invoice__status=DocumentStatus.ISSUED
        ).select_related("invoice")
    )
    allocated = _allocated_by_line(lines)
    result = []
    for line in lines:
        left = line.amount - allocated.get(line.pk, ZERO)
        if left > 0:
            result.append((line, left))
    result.sort(
        key=lambda pair: (
            pair[0].invoice.issue_date,
            pair[0].invoice_id,
            pair[0].sort_order,
            pair[0].pk,
        )
    )
    return result


def payment_available(payment):
    """What a payment can still settle: received − reversed − already allocated."""
    allocated = payment.allocations.aggregate(total=Sum("amount"))["total"] or ZERO
    return payment.amount - payment.reversed_amount - allocated


def credit_note_available(credit_note):
    allocated = credit_note.allocations.aggregate(total=Sum("amount"))["total"] or ZERO
    return credit_note.total - allocated


# --- Allocation (lettrage) -------------------------------------------------------------------


def _settle(source_kwargs, available, lines_with_left, on_date, by):
    """Allocate `available` to the given open lines, invoice by invoice, oldest first.

    An invoice that the money covers entirely is settled line by line; one it covers only
    partly is settled pro rata across its open lines, so care and meals of a partly paid
    invoice are paid in the same proportion (the rule the yearly certificate relies on).
    """
    by_invoice = defaultdict(list)
    invoice_order = []
    for line, left in lines_with_left:
        if line.invoice_id not in by_invoice:
            invoice_order.append(line.invoice_id)
        by_invoice[line.invoice_id].append((line, left))
    created = []
    for invoice_id in invoice_order:
        if available <= 0:
            break
        pairs = by_invoice[invoice_id]
        open_total = sum(left for _, left in pairs)
        if available >= open_total:
            shares = [left for _, left in pairs]
        else:
            shares = split_pro_rata(available, [left for _, left in pairs])
        for (line, _left), share in zip(pairs, shares, strict=True):
            if share > 0:
                created.append(
                    Allocation(
                        invoice_line=line,
                        amount=share,
                        date=on_date,
                        created_by=by,
                        **source_kwargs,
                    )
                )
        available -= sum(shares)
    Allocation.objects.bulk_create(created)
    return created


def _settle_corrected_lines(credit_note, on_date, by):
    """A credit note settles the very lines it corrects, each for its own amount.

    Where payments already settled such a line, the credit note takes their place (newest
    payment first) with negative rows of those payments marked `displaced_by`; the money
    freed moves on to the oldest open lines, exactly as money freed by a refund does. So
    the family's money stays certified for the category it actually paid.
    """
    available = credit_note_available(credit_note)
    if available <= 0:
        return []
    by_this_note = dict(
        credit_note.allocations.values_list("invoice_line").annotate(total=Sum("amount"))
    )
    credit_lines = list(credit_note.lines.select_related("invoice_line").order_by("sort_order"))
    settled_by_line = _allocated_by_line([cl.invoice_line for cl in credit_lines])
    created = []
    for cl in credit_lines:
        line = cl.invoice_line
        wanted = min(cl.amount - by_this_note.get(line.pk, ZERO), available)
        if wanted <= 0:
            continue
        left = line.amount - settled_by_line.get(line.pk, ZERO)
        shortfall = wanted - max(left, ZERO)
        if shortfall > 0:
            paid_by = (
                Allocation.objects.filter(invoice_line=line, payment__isnull=False)
                .values("payment")
                .annotate(total=Sum("amount"))
                .filter(total__gt=0)
                .order_by("-payment__date", "-payment")
            )
            for row in paid_by:
                take = min(row["total"], shortfall)
                created.append(
                    Allocation(
                        invoice_line=line,
                        payment_id=row["payment"],
                        displaced_by=credit_note,
                        amount=-take,
                        date=on_date,
                        created_by=by,
                    )
                )
                shortfall -= take
                if shortfall <= 0:
                    break
            # Whatever no payment covered (none should remain) is not settled twice.
            wanted -= max(shortfall, ZERO)
        if wanted > 0:
            created.append(
                Allocation(
                    invoice_line=line,
                    credit_note=credit_note,
                    amount=wanted,
                    date=on_date,
                    created_by=by,
                )
            )
            settled_by_line[line.pk] = settled_by_line.get(line.pk, ZERO) + wanted
            available -= wanted
    Allocation.objects.bulk_create(created)
    return created


def _allocate_locked(family, by=None, on_date=None):
    on_date = on_date or timezone.localdate()
    created = []
    # Credit notes first settle the very lines they correct, taking the place of payments.
    for credit_note in CreditNote.objects.filter(family=family, status=DocumentStatus.ISSUED):
        created += _settle_corrected_lines(credit_note, on_date, by)
    # Then money not yet used (payments, credit left over) settles the oldest open lines.
    sources = [
        (p.date, 0, p.pk, {"payment": p}, payment_available(p))
        for p in Payment.objects.filter(family=family)
    ] + [
        (c.issue_date, 1, c.pk, {"credit_note": c}, credit_note_available(c))
        for c in CreditNote.objects.filter(family=family, status=DocumentStatus.ISSUED)
    ]
    for *_order, source_kwargs, available in sorted(sources, key=lambda s: s[:3]):
        if available <= 0:
            continue
        lines = open_lines(family)
        if not lines:
            break
        created += _settle(source_kwargs, available, lines, on_date, by)
    return created


def allocate(family, *, by=None):
    """Allocate every unallocated payment and credit note of the family to the oldest open
    invoice lines. Idempotent: run twice, the second run allocates nothing.
    """
    with transaction.atomic():
        family = lock_family(family)
        created = _allocate_locked(family, by)
        if created:
            log(
                instance=family,
                action="billing.allocate",
                user=by,
                data={"allocations": len(created), "amount": str(sum(a.amount for a in created))},
            )
        return created


def reallocate(payment, targets, *, by=None):
    """A director's manual lettrage: undo the payment's allocations and allocate it to
    `targets` ({invoice line: amount}) instead. Writes negative rows, never edits history.
    """
    with transaction.atomic():
        family = lock_family(payment.family)
        today = timezone.localdate()
        current = (
            payment.allocations.values("invoice_line").annotate(total=Sum("amount")).order_by()
        )
        for row in current:
            if row["total"]:
                Allocation.objects.create(
                    invoice_line_id=row["invoice_line"],
                    payment=payment,
                    amount=-row["total"],
                    date=today,
                    created_by=by,
                )
        wanted = {line: quantize(amount) for line, amount in targets.items() if amount}
        if sum(wanted.values(), ZERO) > payment.amount - payment.reversed_amount:
            raise BillingError(_("The allocated amounts exceed the payment."))
        left_by_line = dict(open_lines(family))
        for line, amount in wanted.items():
            if line.invoice.family_id != family.pk:
                raise BillingError(_("This invoice line belongs to another family."))
            if amount <= 0 or amount > left_by_line.get(line, ZERO):
                raise BillingError(
                    _("%(amount)s is more than what is left to pay on “%(line)s”.")
                    % {"amount": format_euros(amount), "line": line.label}
                )
            Allocation.objects.create(
                invoice_line=line, payment=payment, amount=amount, date=today, created_by=by
            )
        log(instance=payment, action="billing.allocate", user=by, data={"manual": True})
        return payment


# --- Invoices --------------------------------------------------------------------------------


@dataclass
class LineData:
    label: str
    service_date: date
    quantity: Decimal
    unit_price: Decimal
    category: str
    child: object = None
    service_end: date | None = None


def create_draft_invoice(
    family, lines, *, by=None, period_start=None, period_end=None, note="", external_reference=""
):
    """A new draft invoice with its lines (amounts rounded per line). Drafts have no number."""
    if not lines:
        raise BillingError(_("An invoice needs at least one line."))
    with transaction.atomic():
        invoice = Invoice.objects.create(
            structure=family.structure,
            family=family,
            period_start=period_start,
            period_end=period_end,
            note=note,
            external_reference=external_reference,
            created_by=by,
        )
        for position, data in enumerate(lines):
            _validate_line(family, data)
            InvoiceLine.objects.create(
                invoice=invoice,
                child=data.child,
                label=data.label,
                category=data.category,
                service_date=data.service_date,
                service_end=data.service_end,
                quantity=data.quantity,
                unit_price=data.unit_price,
                amount=line_amount(data.quantity, data.unit_price),
                sort_order=position,
            )
        log(instance=invoice, action="wagtail.create", user=by)
        return invoice


def _validate_line(family, data):
    if data.quantity is None or Decimal(data.quantity) <= 0:
        raise BillingError(
            _("The quantity of “%(label)s” must be positive.") % {"label": data.label}
        )
    if data.unit_price is None or Decimal(data.unit_price) < 0:
        raise BillingError(
            _(
                "The unit price of “%(label)s” cannot be negative; "
                "use a credit note to give money back."
            )
            % {"label": data.label}
        )
    if data.child is not None and data.child.family_id != family.pk:
        raise BillingError(_("This child does not belong to the family."))


def issue_invoice(invoice, *, by=None, issue_date=None, number=None, render_pdf=True, notify=True):
    """Issue a draft: number it (gapless series), freeze its totals and addressee, write the
    account entries (one per child, as the account page shows them), allocate available
    credit, render and store the PDF, then email the guardians once the transaction commits.
    """
    with transaction.atomic():
        family = lock_family(invoice.family)
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if not invoice.is_draft:
            raise BillingError(_("This invoice is already issued."))
        lines = list(invoice.lines.select_related("child").order_by("sort_order", "pk"))
        if not lines:
            raise BillingError(_("An invoice needs at least one line."))
        for line in lines:
            _validate_line(family, line)
            expected = line_amount(line.quantity, line.unit_price)
            if line.amount != expected:
                line.amount = expected
                line.save(update_fields=["amount"])
        issue_date = issue_date or timezone.localdate()
        if number:
            invoice.number = _claim_external_number(
                family.structure, DocumentSequence.Kind.INVOICE, issue_date.year, number
            )
        else:
            invoice.number = next_number(
                family.structure, DocumentSequence.Kind.INVOICE, issue_date.year
            )
        invoice.status = DocumentStatus.ISSUED
        invoice.issue_date = issue_date
        invoice.due_date = invoice.due_date or issue_date + timedelta(
            days=family.structure.payment_terms_days
        )
        invoice.total = sum((line.amount for line in lines), ZERO)
        invoice.billed_name = _billed_name(family)
        invoice.billed_address = family.postal_address
        invoice.issued_at = timezone.now()
        invoice.issued_by = by
        if not invoice.period_start:
            invoice.period_start = min(line.service_date for line in lines)
        if not invoice.period_end:
            invoice.period_end = max(line.service_end or line.service_date for line in lines)
        # What the family had already paid in advance (its credit), printed on the PDF; set
        # before the issued row is written, which the database then keeps as it is.
        invoice.paid_at_issue = min(max(-family_balance(family), ZERO), invoice.total)
        invoice._service_write = True
        try:
            invoice.save()
        except IntegrityError as exc:
            raise BillingError(
                _("The number %(number)s is already used.") % {"number": invoice.number}
            ) from exc
        _write_invoice_entries(invoice, lines)
        _allocate_locked(family, by, on_date=issue_date)
        # The caller gets the issued invoice back: it must be as locked as any other copy.
        invoice._service_write = False
        log(
            instance=invoice,
            action="billing.issue_invoice",
            user=by,
            data={"number": invoice.number},
        )
    # The PDF is rendered once the number is committed, outside the family and numbering
    # locks: rendering is most of an issue's time, and every other issue of the structure
    # waited for the numbering lock meanwhile. The email follows: it carries no PDF, only the
    # amount, the balance and a link to the family area, where the file is downloaded.
    if render_pdf:
        _store_issued_invoice_pdf(invoice)
    if notify:
        transaction.on_commit(lambda: _notify_invoice(invoice.pk))
    return invoice


# Invoices whose missing PDF is rendered together by `store_missing_invoice_pdfs`.
MISSING_PDFS_BATCH = 200


def _store_issued_invoice_pdf(invoice):
    """Render and store the PDF of an invoice already issued. A failure leaves the invoice
    issued (its number is taken) and is logged; the download then answers 404 and logs the
    missing file, until `store_missing_invoice_pdfs` renders it again."""
    from .pdf import store_invoice_pdf

    try:
        store_invoice_pdf(invoice)
    except Exception:  # noqa: BLE001 - the invoice is issued whatever the renderer raises
        logger.exception("The PDF of invoice %s could not be rendered", invoice.number)
        return
    _record_invoice_pdf(invoice)


def _record_invoice_pdf(invoice):
    invoice._service_write = True
    try:
        with transaction.atomic():
            invoice.save(update_fields=["pdf"])
    finally:
        invoice._service_write = False


def store_issued_invoice_pdfs(invoices, *, workers=1):
    """Render and store the PDFs of invoices already issued, with `workers` processes. As
    for one invoice, a failure leaves that invoice issued and without a file, and is logged.
    Returns how many PDFs were stored."""
    from .pdf import InvoicePDFs

    with InvoicePDFs(workers) as pdfs:
        for invoice in invoices:
            pdfs.add(invoice)
        return _store_rendered_invoice_pdfs(pdfs.finish())


def _store_rendered_invoice_pdfs(results):
    from .pdf import save_invoice_pdf

    stored = 0
    for invoice, result in results:
        if isinstance(result, Exception):
            logger.error("The PDF of invoice %s could not be rendered: %s", invoice.number, result)
            continue
        try:
            save_invoice_pdf(invoice, result)
        except Exception:  # noqa: BLE001 - the invoice is issued whatever the storage raises
            logger.exception("The PDF of invoice %s could not be stored", invoice.number)
            continue
        _record_invoice_pdf(invoice)
        stored += 1
    return stored


def issue_invoices(invoices, *, by=None, issue_date=None, workers=1, notify=True):
    """Issue many drafts (a month's invoicing): each as `issue_invoice` does, numbered in
    their order, each committed on its own; their PDFs are rendered meanwhile by `workers`
    processes, each once its number is committed, and stored once all are issued; only then
    are the guardians emailed.

    Returns `(issued, refused)`: the issued invoices, and `(draft, BillingError)` for each
    draft that could not be issued (it stays a draft without a number).
    """
    from .pdf import InvoicePDFs

    issued, refused = [], []
    try:
        with InvoicePDFs(workers) as pdfs:
            try:
                for invoice in invoices:
                    try:
                        invoice = issue_invoice(
                            invoice, by=by, issue_date=issue_date, render_pdf=False, notify=False
                        )
                    except BillingError as error:
                        refused.append((invoice, error))
                        continue
                    issued.append(invoice)
                    pdfs.add(invoice)
            finally:
                # Whatever stopped the run, the invoices it issued get their PDF and email,
                # as each did when issued one by one.
                _store_rendered_invoice_pdfs(pdfs.finish())
    finally:
        if notify:
            for invoice in issued:
                transaction.on_commit(functools.partial(_notify_invoice, invoice.pk))
    return issued, refused


def store_missing_invoice_pdfs(structure=None, *, workers=1):
    """Render the PDF of every issued invoice that has none (a renderer failure after the
    number was committed). Idempotent; returns how many were rendered."""
    missing = Invoice.objects.filter(status=DocumentStatus.ISSUED, pdf="")
    if structure is not None:
        missing = missing.filter(structure=structure)
    # Read by slices of ids: forking the rendering processes closes the database connection,
    # which a cursor left open across the renders would not survive.
    ids = list(missing.order_by("pk").values_list("pk", flat=True))
    rendered = 0
    for start in range(0, len(ids), MISSING_PDFS_BATCH):
        batch = list(
            Invoice.objects.filter(pk__in=ids[start : start + MISSING_PDFS_BATCH])
            .select_related("family", "structure__association")
            .order_by("pk")
        )
        rendered += store_issued_invoice_pdfs(batch, workers=workers)
    return rendered


def _billed_name(family):
    names = [g.full_name for g in family.guardians.all()]
    return " et ".join(names) if names else family.name


def _amounts_by_child(pairs):
    """[(child id, amount)] → {child id: total}, in the order the children first appear."""
    totals = {}
    for child_id, amount in pairs:
        totals[child_id] = totals.get(child_id, ZERO) + amount
    return totals


def _write_document_entries(totals, **fields):
    """One journal row per child of an issued document. Written in reverse so that, newest
    first, the rows of one document read in child order (the manual's 2L2012/0156EN).
    """
    amount_field = "debit" if fields["kind"] == LedgerEntry.Kind.INVOICE else "credit"
    write_journal(
        [
            LedgerEntry(child_id=child_id, **{amount_field: amount}, **fields)
            for child_id, amount in reversed(totals.items())
        ]
    )


def _write_invoice_entries(invoice, lines):
    with site_language():
        label = _("Invoice %(number)s") % {"number": invoice.number}
    _write_document_entries(
        _amounts_by_child((line.child_id, line.amount) for line in lines),
        family_id=invoice.family_id,
        date=invoice.issue_date,
        kind=LedgerEntry.Kind.INVOICE,
        label=label,
        invoice=invoice,
    )


def _notify_invoice(invoice_id):
    send_invoice_issued(Invoice.objects.select_related("family__structure").get(pk=invoice_id))


def delete_draft_invoice(invoice, *, by=None):
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        if not invoice.is_draft:
            raise BillingError(_("An issued invoice cannot be deleted; issue a credit note."))
        log(instance=invoice, action="wagtail.delete", user=by)
        invoice.delete()


# --- Credit notes ----------------------------------------------------------------------------


def create_draft_credit_note(invoice, reason, lines=None, *, by=None):
    """A draft avoir on an issued invoice. `lines` is [(invoice line, quantity)], the whole
    invoice when omitted. Amounts can never exceed what the line has not yet been credited.
    """
    if invoice.is_draft:
        raise BillingError(_("Only an issued invoice can be corrected by a credit note."))
    if lines is None:
        lines = [(line, line.quantity) for line in invoice.lines.all()]
    with transaction.atomic():
        credit_note = CreditNote.objects.create(
            structure=invoice.structure,
            family=invoice.family,
            invoice=invoice,
            reason=reason,
            created_by=by,
        )
        for position, (line, quantity) in enumerate(lines):
            if line.invoice_id != invoice.pk:
                raise BillingError(_("A credit note only corrects lines of its own invoice."))
            CreditNoteLine.objects.create(
                credit_note=credit_note,
                invoice_line=line,
                label=line.label,
                quantity=quantity,
                unit_price=line.unit_price,
                amount=line_amount(quantity, line.unit_price),
                sort_order=position,
            )
        return credit_note


def issue_credit_note(credit_note, *, by=None, issue_date=None, number=None, render_pdf=True):
    """Issue an avoir: its own gapless series, entries on the account (credit), allocation of
    the credit to the lines it corrects first, then to the oldest open lines.
    """
    with transaction.atomic():
        family = lock_family(credit_note.family)
        credit_note = CreditNote.objects.select_for_update().get(pk=credit_note.pk)
        if not credit_note.is_draft:
            raise BillingError(_("This credit note is already issued."))
        lines = list(
            credit_note.lines.select_related("invoice_line__invoice").order_by("sort_order")
        )
        if not lines:
            raise BillingError(_("A credit note needs at least one line."))
        credited = _credited_by_line([cl.invoice_line for cl in lines])
        for cl in lines:
            if cl.invoice_line.invoice_id != credit_note.invoice_id:
                raise BillingError(_("A credit note only corrects lines of its own invoice."))
            cl.amount = line_amount(cl.quantity, cl.unit_price)
            if cl.amount <= 0:
                raise BillingError(_("Credit note amounts must be positive."))
            room = cl.invoice_line.amount - credited.get(cl.invoice_line_id, ZERO)
            if cl.amount > room:
                raise BillingError(
                    _("“%(line)s” cannot be credited more than its invoiced amount.")
                    % {"line": cl.label}
                )
            cl.save(update_fields=["amount"])
        issue_date = issue_date or timezone.localdate()
        if number:
            credit_note.number = _claim_external_number(
                family.structure, DocumentSequence.Kind.CREDIT_NOTE, issue_date.year, number
            )
        else:
            credit_note.number = next_number(
                family.structure, DocumentSequence.Kind.CREDIT_NOTE, issue_date.year
            )
        credit_note.status = DocumentStatus.ISSUED
        credit_note.issue_date = issue_date
        credit_note.total = sum((cl.amount for cl in lines), ZERO)
        credit_note.billed_name = _billed_name(family)
        credit_note.billed_address = family.postal_address
        credit_note.issued_at = timezone.now()
        credit_note.issued_by = by
        credit_note._service_write = True
        credit_note.save()
        with site_language():
            label = _("Credit note %(number)s") % {"number": credit_note.number}
        _write_document_entries(
            _amounts_by_child((cl.invoice_line.child_id, cl.amount) for cl in lines),
            family_id=family.pk,
            date=issue_date,
            kind=LedgerEntry.Kind.CREDIT_NOTE,
            label=label,
            credit_note=credit_note,
        )
        _allocate_locked(family, by, on_date=issue_date)
        if render_pdf:
            from .pdf import store_credit_note_pdf

            store_credit_note_pdf(credit_note)
            credit_note.save(update_fields=["pdf"])
        credit_note._service_write = False
        log(
            instance=credit_note,
            action="billing.issue_credit_note",
            user=by,
            data={"number": credit_note.number, "invoice": credit_note.invoice.number},
        )
        return credit_note


# --- Payments --------------------------------------------------------------------------------


def record_payment(
    family,
    amount,
    method,
    *,
    on_date=None,
    by=None,
    cheque_number="",
    reference="",
    payer=None,
    payer_kind=Payment.PayerKind.FAMILY,
    third_party_name="",
    note="",
    needs_review=False,
    external_reference="",
):
    """Record money received and allocate it to the oldest open invoice lines.

    Card payments are unique on their reference (the PaymentIntent id): recording the same
    one twice returns the existing payment instead of a second one.
    """
    amount = quantize(amount)
    if amount <= 0:
        raise BillingError(_("A payment amount must be positive."))
    if method not in PaymentMethod.values:
        raise BillingError(_("Unknown payment method."))
    if method == PaymentMethod.CHEQUE and not cheque_number:
        raise BillingError(_("Enter the cheque number."))
    if payer is not None and payer.family_id != family.pk:
        raise BillingError(_("The paying guardian belongs to another family."))
    with transaction.atomic():
        family = lock_family(family)
        if method == PaymentMethod.CARD_ONLINE and reference:
            existing = Payment.objects.filter(method=method, reference=reference).first()
            if existing is not None:
                return existing
        payment = Payment.objects.create(
            structure=family.structure,
            family=family,
            date=on_date or timezone.localdate(),
            amount=amount,
            method=method,
            cheque_number=cheque_number,
            reference=reference,
            payer=payer,
            payer_kind=payer_kind,
            third_party_name=third_party_name,
            note=note,
            needs_review=needs_review,
            external_reference=external_reference,
            recorded_by=by,
        )
        with site_language():
            label = str(payment.label)
        write_journal(
            [
                LedgerEntry(
                    family=family,
                    date=payment.date,
                    kind=LedgerEntry.Kind.PAYMENT,
                    label=label,
                    credit=amount,
                    payment=payment,
                )
            ]
        )
        _allocate_locked(family, by, on_date=payment.date)
        log(
            instance=payment,
            action="billing.record_payment",
            user=by,
            data={"amount": str(amount), "method": method},
        )
        return payment


def _reverse_displaced(payment, reversal, amount, on_date, by):
    """Money a credit note freed and that is reversed before it paid anything else: the
    reversal happens on the corrected line, as if the credit note had come after it. Each
    displacement is restored (+) and the reversal written (−) on that line, so the yearly
    certificate shows a refund on the day it is paid out, as for any other refund.
    """
    displaced = (
        payment.allocations.filter(displaced_by__isnull=False)
        .values("displaced_by", "invoice_line")
        .annotate(total=Sum("amount"))
        .filter(total__lt=0)
        .order_by("-displaced_by__issue_date", "-displaced_by", "invoice_line")
    )
    rows = []
    for row in displaced:
        if amount <= 0:
            break
        take = min(-row["total"], amount)
        common = {"invoice_line_id": row["invoice_line"], "payment": payment, "date": on_date}
        rows += [
            Allocation(displaced_by_id=row["displaced_by"], amount=take, created_by=by, **common),
            Allocation(reversal=reversal, amount=-take, created_by=by, **common),
        ]
        amount -= take
    Allocation.objects.bulk_create(rows)


def reverse_payment(payment, *, reason, amount=None, on_date=None, by=None, reference="", note=""):
    """Cancel (all or part of) a recorded payment: a bounced cheque, a card refund. Writes a
    reversal entry (a debit on the account) and undoes the allocations it frees, newest
    lines first, with negative allocation rows; the payment itself is never touched.
    Idempotent on `reference` (e.g. a Stripe refund id).
    """
    with transaction.atomic():
        family = lock_family(payment.family)
        if reference:
            existing = PaymentReversal.objects.filter(reference=reference).first()
            if existing is not None:
                return existing
        remaining = payment.amount - payment.reversed_amount
        amount = quantize(amount if amount is not None else remaining)
        if amount <= 0:
            raise BillingError(_("A reversal amount must be positive."))
        if amount > remaining:
            raise BillingError(
                _("Only %(remaining)s of this payment can still be reversed.")
                % {"remaining": format_euros(remaining)}
            )
        on_date = on_date or timezone.localdate()
        reversal = PaymentReversal.objects.create(
            payment=payment,
            date=on_date,
            amount=amount,
            reason=reason,
            reference=reference,
            note=note,
            recorded_by=by,
        )
        # The unallocated part of the payment (family credit) goes first; then allocations
        # are undone invoice by invoice from the most recent back. An invoice left partly
        # paid is undone pro rata, so what stays paid keeps care and meals in proportion.
        allocated_total = payment.allocations.aggregate(total=Sum("amount"))["total"] or ZERO
        unallocated = payment.amount - (payment.reversed_amount - amount) - allocated_total
        _reverse_displaced(payment, reversal, min(amount, max(unallocated, ZERO)), on_date, by)
        to_undo = max(ZERO, amount - max(unallocated, ZERO))
        if to_undo > 0:
            per_line = (
                payment.allocations.values("invoice_line", "invoice_line__invoice")
                .annotate(total=Sum("amount"))
                .filter(total__gt=0)
                .order_by(
                    "-invoice_line__invoice__issue_date",
                    "-invoice_line__invoice",
                    "invoice_line__sort_order",
                    "invoice_line",
                )
            )
            by_invoice = defaultdict(list)
            for row in per_line:
                by_invoice[row["invoice_line__invoice"]].append(row)
            undo_rows = []
            for rows in by_invoice.values():
                if to_undo <= 0:
                    break
                paid = [row["total"] for row in rows]
                takes = paid if to_undo >= sum(paid) else split_pro_rata(to_undo, paid)
                undo_rows += [
                    Allocation(
                        invoice_line_id=row["invoice_line"],
                        payment=payment,
                        reversal=reversal,
                        amount=-take,
                        date=on_date,
                        created_by=by,
                    )
                    for row, take in zip(rows, takes, strict=True)
                    if take > 0
                ]
                to_undo -= sum(takes)
            Allocation.objects.bulk_create(undo_rows)
        with site_language():
            label_format = (
                _("Refund of %(payment)s")
                if reason == PaymentReversal.Reason.REFUND
                else _("Reversal of %(payment)s")
            )
            label = label_format % {"payment": payment.label}
        write_journal(
            [
                LedgerEntry(
                    family=family,
                    date=on_date,
                    kind=LedgerEntry.Kind.REVERSAL,
                    label=label,
                    debit=amount,
                    payment=payment,
                    reversal=reversal,
                )
            ]
        )
        _allocate_locked(family, by, on_date=on_date)
        log(
            instance=payment,
            action="billing.reverse_payment",
            user=by,
            data={"amount": str(amount), "reason": reason},
        )
        return reversal
