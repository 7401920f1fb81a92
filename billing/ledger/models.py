"""The family ledger: invoices, credit notes, payments, reversals, allocations and the journal.

Issued documents and recorded payments are immutable: corrections are credit notes and
reversal entries, all written by `billing.ledger.services`. `LedgerEntry` is the append-only
journal the account page and the balance read; `Allocation` (lettrage) tells which paid
euros settled which invoice line, which the yearly certificates rely on.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q, Sum
from django.utils.translation import gettext_lazy as _

from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

from core.immutable import GuardedModel, GuardedQuerySet
from core.money import ZERO
from core.storage import get_private_storage
from parents.models import Structure


class Category(models.TextChoices):
    """What an invoice line pays for; the yearly certificate counts only care (garde)."""

    GARDE = "garde", _("care")
    REPAS = "repas", _("meals and snacks")
    SORTIE = "sortie", _("outing or supplement")
    PENALITE = "penalite", _("penalty")
    ADHESION = "adhesion", _("membership fee")
    AUTRE = "autre", _("other")


class DocumentStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    ISSUED = "issued", _("issued")


class DocumentSequence(models.Model):
    """The last number given in one series (structure, kind, year): gapless by row lock."""

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("invoice")
        CREDIT_NOTE = "credit_note", _("credit note")

    structure = models.ForeignKey("parents.Structure", on_delete=models.PROTECT)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    year = models.PositiveSmallIntegerField()
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("number series")
        verbose_name_plural = _("number series")
        constraints = [
            models.UniqueConstraint(
                fields=["structure", "kind", "year"], name="document_sequence_unique"
            )
        ]

    def __str__(self):
        return f"{self.structure} {self.kind} {self.year}: {self.last_value}"


class IssuedDocument(GuardedModel, ClusterableModel):
    """What invoices and credit notes share: a draft edited freely, then issued once with a
    number of its structure's series, an issue date, the addressee frozen and a PDF.
    """

    structure = models.ForeignKey(
        "parents.Structure", verbose_name=_("structure"), on_delete=models.PROTECT
    )
    status = models.CharField(
        _("status"), max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.DRAFT
    )
    number = models.CharField(_("number"), max_length=40, blank=True)
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    total = models.DecimalField(_("total"), max_digits=10, decimal_places=2, default=ZERO)
    # Who and where the document was addressed to, frozen at issue (a family may move).
    billed_name = models.CharField(_("billed to"), max_length=300, blank=True)
    billed_address = models.TextField(_("billing address"), blank=True)
    external_reference = models.CharField(_("external reference"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Subclasses declare `family` (its reverse name) and `pdf` (its folder).

    class Meta:
        abstract = True
        ordering = ["-issue_date", "-id"]
        # The admin lists read the newest first: in index order, never sorting them all.
        indexes = [models.Index(fields=["issue_date", "id"], name="%(class)s_issue_date_id")]
        constraints = [
            models.UniqueConstraint(
                fields=["structure", "number"],
                condition=~Q(number=""),
                name="%(class)s_unique_number",
            ),
            models.UniqueConstraint(
                fields=["structure", "external_reference"],
                condition=~Q(external_reference=""),
                name="%(class)s_unique_external_reference",
            ),
        ]

    def is_final(self):
        return self.status == DocumentStatus.ISSUED

    @property
    def is_draft(self):
        return self.status == DocumentStatus.DRAFT


class IssuedDocumentQuerySet(GuardedQuerySet):
    final_filter = Q(status=DocumentStatus.ISSUED)

    def for_family(self, family):
        return self.filter(family=family)

    def issued(self):
        return self.filter(status=DocumentStatus.ISSUED)

    def for_staff(self, user):
        if user.is_superuser:
            return self
        # The member of staff's structures first, then rows by structure_id: joining the
        # staff table to millions of rows made every count read them all.
        return self.filter(structure__in=Structure.objects.for_staff(user).values("pk"))


class Invoice(IssuedDocument):
    """A facture. Drafts are edited freely; issuing gives the number, the PDF and the entries."""

    family = models.ForeignKey(
        "parents.Family",
        verbose_name=_("family"),
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    period_start = models.DateField(_("service period from"), null=True, blank=True)
    period_end = models.DateField(_("service period to"), null=True, blank=True)
    # Paid and left to pay when issued, printed on the PDF.
    paid_at_issue = models.DecimalField(max_digits=10, decimal_places=2, default=ZERO)
    pdf = models.FileField(_("PDF"), storage=get_private_storage, upload_to="invoices/", blank=True)
    external_reference = models.CharField(
        _("external reference"),
        max_length=100,
        blank=True,
        help_text=_("Identifier in the program the invoice was imported from."),
    )
    note = models.TextField(_("note"), blank=True)

    objects = IssuedDocumentQuerySet.as_manager()

    class Meta(IssuedDocument.Meta):
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        # Each column the admin list sorts on: the first page is read in index order
        # instead of sorting millions of invoices.
        indexes = [
            *IssuedDocument.Meta.indexes,
            models.Index(fields=["number"], name="invoice_number"),
            models.Index(fields=["status"], name="invoice_status"),
            models.Index(fields=["total"], name="invoice_total"),
        ]
        constraints = [
            *IssuedDocument.Meta.constraints,
            models.CheckConstraint(
                condition=Q(status="draft") | ~Q(number=""), name="invoice_issued_has_number"
            ),
        ]

    def __str__(self):
        if self.number:
            return _("Invoice %(number)s") % {"number": self.number}
        return _("Draft invoice #%(id)s for %(family)s") % {"id": self.pk, "family": self.family}

    @property
    def left_to_pay_at_issue(self):
        return self.total - self.paid_at_issue


class InvoiceLineQuerySet(GuardedQuerySet):
    final_filter = Q(invoice__status=DocumentStatus.ISSUED)


class InvoiceLine(GuardedModel):
    """One priced service of an invoice, for one child (or the family) and one category."""

    invoice = ParentalKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    child = models.ForeignKey(
        "parents.Child",
        verbose_name=_("child"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoice_lines",
    )
    label = models.CharField(_("description"), max_length=200)
    category = models.CharField(
        _("category"), max_length=10, choices=Category.choices, default=Category.GARDE
    )
    service_date = models.DateField(_("service date (from)"))
    service_end = models.DateField(_("service date (to)"), null=True, blank=True)
    quantity = models.DecimalField(_("quantity"), max_digits=8, decimal_places=2)
    unit_price = models.DecimalField(_("unit price"), max_digits=10, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2, default=ZERO)
    sort_order = models.PositiveIntegerField(default=0, editable=False)

    objects = InvoiceLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ["invoice", "sort_order", "id"]
        indexes = [models.Index(fields=["service_date"], name="invoiceline_service_date")]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="invoiceline_quantity_gt0"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="invoiceline_price_gte0"),
        ]

    def __str__(self):
        return self.label

    def is_final(self):
        return self.invoice.status == DocumentStatus.ISSUED

    def issued_parent(self):
        return Invoice._base_manager.filter(
            pk=self.invoice_id, status=DocumentStatus.ISSUED
        ).first()


class CreditNote(IssuedDocument):
    """An avoir: the only way to correct or cancel (part of) an issued invoice."""

    family = models.ForeignKey(
        "parents.Family",
        verbose_name=_("family"),
        on_delete=models.PROTECT,
        related_name="credit_notes",
    )
    invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("corrected invoice"),
        on_delete=models.PROTECT,
        related_name="credit_notes",
    )
    reason = models.CharField(_("reason"), max_length=300)
    pdf = models.FileField(
        _("PDF"), storage=get_private_storage, upload_to="credit-notes/", blank=True
    )

    objects = IssuedDocumentQuerySet.as_manager()

    class Meta(IssuedDocument.Meta):
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")

    def __str__(self):
        if self.number:
            return _("Credit note %(number)s") % {"number": self.number}
        return _("Draft credit note #%(id)s") % {"id": self.pk}


class CreditNoteLineQuerySet(GuardedQuerySet):
    final_filter = Q(credit_note__status=DocumentStatus.ISSUED)


class CreditNoteLine(GuardedModel):
    """The part of one invoice line that a credit note gives back."""

    credit_note = ParentalKey(CreditNote, on_delete=models.CASCADE, related_name="lines")
    invoice_line = models.ForeignKey(
        InvoiceLine,
        verbose_name=_("invoice line"),
        on_delete=models.PROTECT,
        related_name="credit_note_lines",
    )
    label = models.CharField(_("description"), max_length=200)
    quantity = models.DecimalField(_("quantity"), max_digits=8, decimal_places=2)
    unit_price = models.DecimalField(_("unit price"), max_digits=10, decimal_places=2)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2, default=ZERO)
    sort_order = models.PositiveIntegerField(default=0, editable=False)

    objects = CreditNoteLineQuerySet.as_manager()

    class Meta:
        verbose_name = _("credit note line")
        verbose_name_plural = _("credit note lines")
        ordering = ["credit_note", "sort_order", "id"]

    def __str__(self):
        return self.label

    def is_final(self):
        return self.credit_note.status == DocumentStatus.ISSUED

    def issued_parent(self):
        return CreditNote._base_manager.filter(
            pk=self.credit_note_id, status=DocumentStatus.ISSUED
        ).first()

    @property
    def child(self):
        return self.invoice_line.child

    @property
    def category(self):
        return self.invoice_line.category


class PaymentMethod(models.TextChoices):
    CHEQUE = "cheque", _("Cheque")
    CASH = "especes", _("Cash")
    CARD_ONLINE = "carte", _("Online card payment")
    TRANSFER = "virement", _("Bank transfer")
    CESU = "cesu", _("CESU")
    ANCV = "ancv", _("ANCV holiday vouchers")
    DIRECT_DEBIT = "prelevement", _("Direct debit")


class PaymentQuerySet(GuardedQuerySet):
    # A payment is final as soon as it is recorded.
    final_filter = Q()

    def for_family(self, family):
        return self.filter(family=family)

    def for_staff(self, user):
        if user.is_superuser:
            return self
        # The member of staff's structures first, then rows by structure_id: joining the
        # staff table to millions of rows made every count read them all.
        return self.filter(structure__in=Structure.objects.for_staff(user).values("pk"))


class Payment(GuardedModel):
    """A règlement received from (or on behalf of) a family. Never edited nor deleted."""

    class PayerKind(models.TextChoices):
        FAMILY = "family", _("the family")
        THIRD_PARTY = "third_party", _("a third party (CAF, commune, works council…)")

    structure = models.ForeignKey(
        "parents.Structure", verbose_name=_("structure"), on_delete=models.PROTECT
    )
    family = models.ForeignKey(
        "parents.Family",
        verbose_name=_("family"),
        on_delete=models.PROTECT,
        related_name="payments",
    )
    date = models.DateField(_("date received"))
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    method = models.CharField(_("method"), max_length=12, choices=PaymentMethod.choices)
    cheque_number = models.CharField(_("cheque number"), max_length=30, blank=True)
    reference = models.CharField(
        _("reference"),
        max_length=100,
        blank=True,
        help_text=_("Bank reference, CESU or ANCV voucher numbers, card payment identifier…"),
    )
    payer_kind = models.CharField(
        _("paid by"), max_length=12, choices=PayerKind.choices, default=PayerKind.FAMILY
    )
    payer = models.ForeignKey(
        "parents.Guardian",
        verbose_name=_("paying guardian"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="payments",
        help_text=_("Who paid, when the two guardians pay separately."),
    )
    third_party_name = models.CharField(_("third party"), max_length=200, blank=True)
    needs_review = models.BooleanField(
        _("to review"),
        default=False,
        help_text=_("Set when the amount received differs from what was expected."),
    )
    note = models.TextField(_("note"), blank=True)
    external_reference = models.CharField(_("external reference"), max_length=100, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = PaymentQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-date", "-id"]
        # The admin list reads the newest first: in index order, never sorting them all.
        indexes = [
            models.Index(fields=["date", "id"], name="payment_date_id"),
            # "To review" is a few payments among millions: listed without reading the rest.
            models.Index(
                fields=["date", "id"], condition=Q(needs_review=True), name="payment_to_review"
            ),
            # The other columns the list sorts on, read in index order likewise.
            models.Index(fields=["amount"], name="payment_amount"),
            models.Index(fields=["method"], name="payment_method"),
            models.Index(fields=["needs_review"], name="payment_needs_review"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_gt0"),
            # One card payment per PaymentIntent, whoever sees the success first.
            models.UniqueConstraint(
                fields=["reference"],
                condition=Q(method="carte") & ~Q(reference=""),
                name="payment_unique_card_reference",
            ),
            models.UniqueConstraint(
                fields=["structure", "external_reference"],
                condition=~Q(external_reference=""),
                name="payment_unique_external_reference",
            ),
        ]

    def __str__(self):
        return self.label

    def is_final(self):
        return True

    @property
    def label(self):
        """As on the manual's account page: "Règlement Chèques 9038108", in the language in
        force when it is read (see `payment_label`).
        """
        return payment_label(self.method, self.cheque_number or self.reference)

    @property
    def reversed_amount(self):
        return self.reversals.aggregate(total=Sum("amount"))["total"] or ZERO


# How a payment method reads on the account page ("Règlement Chèques 9038108").
PAYMENT_LABELS = {
    PaymentMethod.CHEQUE: _("Cheque"),
    PaymentMethod.CASH: _("Cash"),
    PaymentMethod.CARD_ONLINE: _("Online card"),
    PaymentMethod.TRANSFER: _("Transfer"),
    PaymentMethod.CESU: _("CESU"),
    PaymentMethod.ANCV: _("ANCV"),
    PaymentMethod.DIRECT_DEBIT: _("Direct debit"),
}


def payment_label(method, detail=""):
    """ "Règlement Chèques 9038108": the word, the method, then the cheque number or reference.

    A card payment's reference is the payment processor's identifier: staff read it in the
    reference field, families never need it. A reference that repeats the method ("CESU
    2025-03-1187" for a CESU payment) loses the repeated word.
    """
    method_label = str(PAYMENT_LABELS.get(method, method))
    if method == PaymentMethod.CARD_ONLINE:
        detail = ""
    for word in {method_label, str(method)}:
        if detail.casefold().startswith(word.casefold() + " "):
            detail = detail[len(word) :].strip()
            break
    if detail:
        return _("%(method)s payment %(detail)s") % {"method": method_label, "detail": detail}
    return _("%(method)s payment") % {"method": method_label}


class PaymentReversal(GuardedModel):
    """Money given back or not received after all (bounced cheque, card refund)."""

    class Reason(models.TextChoices):
        BOUNCED = "bounced", _("Bounced cheque")
        REFUND = "refund", _("Refund")
        ERROR = "error", _("Recording error")
        DEBIT_REJECTED = "dd_reject", _("Direct debit rejected")

    payment = models.ForeignKey(
        Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="reversals"
    )
    date = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    note = models.TextField(_("note"), blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = PaymentQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment reversal")
        verbose_name_plural = _("payment reversals")
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="reversal_amount_gt0"),
            models.UniqueConstraint(
                fields=["reference"], condition=~Q(reference=""), name="reversal_unique_reference"
            ),
        ]

    def __str__(self):
        return _("Reversal of %(payment)s") % {"payment": self.payment}

    def is_final(self):
        return True


class Allocation(models.Model):
    """Lettrage: an amount of a payment or credit note settling an invoice line.

    Append-only: undoing an allocation (re-allocation, reversal) writes a negative row, so
    the history of which euros paid which line on which day stays readable.
    """

    invoice_line = models.ForeignKey(
        InvoiceLine, on_delete=models.PROTECT, related_name="allocations"
    )
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations"
    )
    credit_note = models.ForeignKey(
        CreditNote, null=True, blank=True, on_delete=models.PROTECT, related_name="allocations"
    )
    reversal = models.ForeignKey(
        PaymentReversal,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="allocations",
        help_text=_("Set on the negative rows a reversal writes."),
    )
    displaced_by = models.ForeignKey(
        CreditNote,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="displacements",
        help_text=_(
            "Set on the negative rows of a payment whose place a credit note took on the line "
            "it corrects; the payment then settles other lines."
        ),
    )
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    date = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        ordering = ["date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(payment__isnull=False) & Q(credit_note__isnull=True))
                | (Q(payment__isnull=True) & Q(credit_note__isnull=False)),
                name="allocation_one_source",
            ),
            models.CheckConstraint(condition=~Q(amount=0), name="allocation_amount_not_zero"),
        ]

    def __str__(self):
        return f"{self.amount} → {self.invoice_line}"


class LedgerEntryQuerySet(models.QuerySet):
    def for_family(self, family):
        return self.filter(family=family)

    def with_documents(self):
        """What `display_label` reads, in the same query."""
        return self.select_related("invoice", "credit_note", "payment", "reversal", "child")


class LedgerEntry(models.Model):
    """One row of a family's account (journal): what the parent's "Liste de vos opérations"
    shows. Written once by the services when a document is issued or money recorded.
    """

    class Kind(models.TextChoices):
        INVOICE = "invoice", _("Invoice")
        CREDIT_NOTE = "credit_note", _("Credit note")
        PAYMENT = "payment", _("Payment")
        REVERSAL = "reversal", _("Payment reversal")

    family = models.ForeignKey(
        "parents.Family", on_delete=models.PROTECT, related_name="ledger_entries"
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("operation"), max_length=12, choices=Kind.choices)
    label = models.CharField(_("operation"), max_length=200)
    debit = models.DecimalField(_("debit"), max_digits=10, decimal_places=2, default=ZERO)
    credit = models.DecimalField(_("credit"), max_digits=10, decimal_places=2, default=ZERO)
    child = models.ForeignKey(
        "parents.Child", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    invoice = models.ForeignKey(
        Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    credit_note = models.ForeignKey(
        CreditNote, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    payment = models.ForeignKey(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="ledger_entries"
    )
    reversal = models.ForeignKey(
        PaymentReversal,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
    )

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["family", "date", "id"], name="ledger_family_date_id")]

    def __str__(self):
        return f"{self.date} {self.label}"

    @property
    def display_label(self):
        """The row as the reader's language says it, built from the document or payment
        it records; `label` keeps the words written when the row was (in the site's
        language), and stays the fallback for rows that point to nothing.

        Rows of one document for several children say which child each one is for.
        Read through `with_documents()`, or each row costs queries.
        """
        if self.kind == self.Kind.INVOICE and self.invoice_id:
            text = _("Invoice %(number)s") % {"number": self.invoice.number}
        elif self.kind == self.Kind.CREDIT_NOTE and self.credit_note_id:
            text = _("Credit note %(number)s") % {"number": self.credit_note.number}
        elif self.kind == self.Kind.PAYMENT and self.payment_id:
            text = self.payment.label
        elif self.kind == self.Kind.REVERSAL and self.reversal_id:
            text = (
                _("Refund of %(payment)s")
                if self.reversal.reason == PaymentReversal.Reason.REFUND
                else _("Reversal of %(payment)s")
            ) % {"payment": self.payment.label}
        else:
            return self.label
        if self.child_id:
            text = _("%(operation)s for %(child)s") % {
                "operation": text,
                "child": self.child.first_name,
            }
        return text


class FamilyBalance(models.Model):
    """A family's balance (its journal's debits minus credits), kept by the ledger services
    in the transaction that writes each journal row.

    The journal stays the truth (`family_balance` sums it); this copy lets the admin find,
    count and sort families by what they owe without summing millions of rows: the home
    page's balances due, the statements sorted by balance, the families due a reminder.
    """

    family = models.OneToOneField(
        "parents.Family",
        primary_key=True,
        on_delete=models.CASCADE,
        related_name="stored_balance",
    )
    balance = models.DecimalField(_("balance"), max_digits=12, decimal_places=2, default=ZERO)

    class Meta:
        verbose_name = _("family balance")
        verbose_name_plural = _("family balances")
        indexes = [models.Index(fields=["balance"], name="family_balance_balance")]

    def __str__(self):
        return f"{self.family_id}: {self.balance}"


# --- Online card payment (Stripe) -------------------------------------------------------------
