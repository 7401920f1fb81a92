"""The family ledger: invoices, credit notes, payments, reversals, allocations and the journal.

Issued documents and recorded payments are immutable: corrections are credit notes and
reversal entries, all written by `billing.services`. `LedgerEntry` is the append-only
journal the account page and the balance read; `Allocation` (lettrage) tells which paid
euros settled which invoice line, which the yearly certificates rely on.
"""

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.db.models import Q, Sum
from django.utils.functional import LazyObject
from django.utils.translation import gettext_lazy as _

from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

from .money import ZERO


class PrivateStorage(LazyObject):
    """Files readable only through views that check the family (never under MEDIA_URL)."""

    def _setup(self):
        self._wrapped = storages["private"]


private_storage = PrivateStorage()


def get_private_storage():
    """Storage of the PDF fields. A callable, so migrations name it instead of freezing one
    environment's folder into them.
    """
    return private_storage


class ImmutableError(Exception):
    """Raised on any attempt to change or delete an issued document or a recorded payment."""


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


class GuardedModel(models.Model):
    """Refuses saves and deletes once the row is final, unless a service unlocks it."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not getattr(self, "_service_write", False):
            stored = type(self)._base_manager.filter(pk=self.pk).first() if self.pk else None
            if stored is not None:
                final = stored if stored.is_final() else None
            else:
                # A new line added to an issued document changes that document just as much.
                final = self.issued_parent()
            if final is not None:
                raise ImmutableError(
                    _("%(object)s is issued and can no longer be changed.") % {"object": final}
                )
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        stored = type(self)._base_manager.filter(pk=self.pk).first()
        if stored is not None and stored.is_final():
            raise ImmutableError(
                _("%(object)s is issued and can no longer be deleted.") % {"object": stored}
            )
        return super().delete(*args, **kwargs)

    def is_final(self):
        raise NotImplementedError

    def issued_parent(self):
        """The issued document a new row of this model would belong to, if any."""
        return None


class GuardedQuerySet(models.QuerySet):
    """Bulk deletes and updates cannot bypass immutability either."""

    final_filter = Q()

    def delete(self):
        if self.filter(self.final_filter).exists():
            raise ImmutableError(_("Issued documents and recorded payments cannot be deleted."))
        return super().delete()

    def update(self, **kwargs):
        if self.filter(self.final_filter).exists():
            raise ImmutableError(_("Issued documents and recorded payments cannot be changed."))
        return super().update(**kwargs)


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


class InvoiceQuerySet(GuardedQuerySet):
    final_filter = Q(status=DocumentStatus.ISSUED)

    def for_family(self, family):
        return self.filter(family=family)

    def issued(self):
        return self.filter(status=DocumentStatus.ISSUED)

    def for_staff(self, user):
        if user.is_superuser:
            return self
        return self.filter(structure__staff=user)


class Invoice(GuardedModel, ClusterableModel):
    """A facture. Drafts are edited freely; issuing gives the number, the PDF and the entries."""

    structure = models.ForeignKey(
        "parents.Structure", verbose_name=_("structure"), on_delete=models.PROTECT
    )
    family = models.ForeignKey(
        "parents.Family",
        verbose_name=_("family"),
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.DRAFT
    )
    number = models.CharField(_("number"), max_length=40, blank=True)
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    due_date = models.DateField(_("due date"), null=True, blank=True)
    period_start = models.DateField(_("service period from"), null=True, blank=True)
    period_end = models.DateField(_("service period to"), null=True, blank=True)
    total = models.DecimalField(_("total"), max_digits=10, decimal_places=2, default=ZERO)
    # Who and where the invoice was addressed to, frozen at issue (a family may move).
    billed_name = models.CharField(_("billed to"), max_length=300, blank=True)
    billed_address = models.TextField(_("billing address"), blank=True)
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
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ["-issue_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["structure", "number"],
                condition=~Q(number=""),
                name="invoice_unique_number",
            ),
            models.UniqueConstraint(
                fields=["structure", "external_reference"],
                condition=~Q(external_reference=""),
                name="invoice_unique_external_reference",
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | ~Q(number=""), name="invoice_issued_has_number"
            ),
        ]

    def __str__(self):
        if self.number:
            return _("Invoice %(number)s") % {"number": self.number}
        return _("Draft invoice #%(id)s for %(family)s") % {"id": self.pk, "family": self.family}

    def is_final(self):
        return self.status == DocumentStatus.ISSUED

    @property
    def is_draft(self):
        return self.status == DocumentStatus.DRAFT

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


class CreditNoteQuerySet(GuardedQuerySet):
    final_filter = Q(status=DocumentStatus.ISSUED)

    def for_family(self, family):
        return self.filter(family=family)

    def for_staff(self, user):
        if user.is_superuser:
            return self
        return self.filter(structure__staff=user)


class CreditNote(GuardedModel, ClusterableModel):
    """An avoir: the only way to correct or cancel (part of) an issued invoice."""

    structure = models.ForeignKey(
        "parents.Structure", verbose_name=_("structure"), on_delete=models.PROTECT
    )
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
    status = models.CharField(
        _("status"), max_length=10, choices=DocumentStatus.choices, default=DocumentStatus.DRAFT
    )
    number = models.CharField(_("number"), max_length=40, blank=True)
    issue_date = models.DateField(_("issue date"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300)
    total = models.DecimalField(_("total"), max_digits=10, decimal_places=2, default=ZERO)
    billed_name = models.CharField(_("billed to"), max_length=300, blank=True)
    billed_address = models.TextField(_("billing address"), blank=True)
    pdf = models.FileField(
        _("PDF"), storage=get_private_storage, upload_to="credit-notes/", blank=True
    )
    external_reference = models.CharField(_("external reference"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = CreditNoteQuerySet.as_manager()

    class Meta:
        verbose_name = _("credit note")
        verbose_name_plural = _("credit notes")
        ordering = ["-issue_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["structure", "number"],
                condition=~Q(number=""),
                name="creditnote_unique_number",
            ),
            models.UniqueConstraint(
                fields=["structure", "external_reference"],
                condition=~Q(external_reference=""),
                name="creditnote_unique_external_reference",
            ),
        ]

    def __str__(self):
        if self.number:
            return _("Credit note %(number)s") % {"number": self.number}
        return _("Draft credit note #%(id)s") % {"id": self.pk}

    def is_final(self):
        return self.status == DocumentStatus.ISSUED

    @property
    def is_draft(self):
        return self.status == DocumentStatus.DRAFT


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
        return self.filter(structure__staff=user)


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
        """As on the manual's account page: "Règlement Chèques 9038108"."""
        detail = self.cheque_number or self.reference
        method = PAYMENT_LABELS.get(self.method, self.get_method_display())
        return " ".join(str(part) for part in (_("Payment"), method, detail) if part)

    @property
    def reversed_amount(self):
        return self.reversals.aggregate(total=Sum("amount"))["total"] or ZERO


# How a payment method reads on the account page ("Règlement Chèques 9038108").
PAYMENT_LABELS = {
    PaymentMethod.CHEQUE: _("Cheques"),
    PaymentMethod.CASH: _("Cash"),
    PaymentMethod.CARD_ONLINE: _("Online card"),
    PaymentMethod.TRANSFER: _("Transfer"),
    PaymentMethod.CESU: _("CESU"),
    PaymentMethod.ANCV: _("ANCV"),
    PaymentMethod.DIRECT_DEBIT: _("Direct debit"),
}


class PaymentReversal(GuardedModel):
    """Money given back or not received after all (bounced cheque, card refund)."""

    class Reason(models.TextChoices):
        BOUNCED = "bounced", _("Bounced cheque")
        REFUND = "refund", _("Refund")
        ERROR = "error", _("Recording error")

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


# --- Online card payment (Stripe) -------------------------------------------------------------


class PaymentAttemptQuerySet(models.QuerySet):
    def for_family(self, family):
        return self.filter(family=family)

    def for_staff(self, user):
        if user.is_superuser:
            return self
        return self.filter(structure__staff=user)

    def open(self):
        return self.filter(status__in=PaymentAttempt.OPEN_STATUSES)


class PaymentAttempt(models.Model):
    """One try of a family at paying its whole balance online by card, and the Stripe
    PaymentIntent created for it.

    The amount is the balance when the attempt was opened and never changes; a family has at
    most one open attempt (database constraint), which a reload or a double click reuses,
    and one attempt never has more than one PaymentIntent. The status only moves forward
    (see `billing.payments`); the money itself is a `Payment` recorded by the services.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for the card")
        REQUIRES_ACTION = "requires_action", _("waiting for 3-D Secure")
        PROCESSING = "processing", _("processing")
        FAILED = "failed", _("declined")
        CANCELED = "canceled", _("abandoned")
        SUCCEEDED = "succeeded", _("paid")

    OPEN_STATUSES = (Status.PENDING, Status.REQUIRES_ACTION, Status.PROCESSING)

    structure = models.ForeignKey(
        "parents.Structure", verbose_name=_("structure"), on_delete=models.PROTECT
    )
    family = models.ForeignKey(
        "parents.Family",
        verbose_name=_("family"),
        on_delete=models.PROTECT,
        related_name="payment_attempts",
    )
    guardian = models.ForeignKey(
        "parents.Guardian",
        verbose_name=_("guardian"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="payment_attempts",
    )
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3, default="eur")
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PENDING
    )
    idempotency_key = models.CharField(max_length=64, unique=True, editable=False)
    payment_intent_id = models.CharField(_("Stripe PaymentIntent"), max_length=255, blank=True)
    amount_received = models.DecimalField(
        _("amount received"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    failure_code = models.CharField(_("failure code"), max_length=100, blank=True)
    failure_message = models.CharField(_("failure message"), max_length=500, blank=True)
    payment = models.ForeignKey(
        Payment,
        verbose_name=_("payment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="online_attempts",
    )
    created_at = models.DateTimeField(_("started at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = PaymentAttemptQuerySet.as_manager()

    class Meta:
        verbose_name = _("online payment attempt")
        verbose_name_plural = _("online payment attempts")
        ordering = ["-created_at", "-id"]
        constraints = [
            # Reload, second tab, double click: all find this row instead of a second charge.
            models.UniqueConstraint(
                fields=["family"],
                condition=Q(status__in=["pending", "requires_action", "processing"]),
                name="paymentattempt_one_open_per_family",
            ),
            models.UniqueConstraint(
                fields=["payment_intent_id"],
                condition=~Q(payment_intent_id=""),
                name="paymentattempt_unique_intent",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="paymentattempt_amount_gt0"),
        ]

    def __str__(self):
        return _("Online payment #%(id)s of %(family)s") % {"id": self.pk, "family": self.family}

    @property
    def is_open(self):
        return self.status in self.OPEN_STATUSES


class StripeEvent(models.Model):
    """A Stripe webhook event, stored once (unique id) in the transaction that handles it:
    a replayed or concurrent delivery of the same event finds the row and does nothing.
    """

    event_id = models.CharField(_("event"), max_length=255, unique=True)
    type = models.CharField(_("type"), max_length=100)
    created = models.DateTimeField(_("created at Stripe"), null=True, blank=True)
    livemode = models.BooleanField(_("live mode"), default=False)
    payload = models.JSONField(_("payload"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    outcome = models.CharField(_("outcome"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")
        ordering = ["-received_at", "-id"]

    def __str__(self):
        return f"{self.event_id} {self.type}"


# --- Yearly certificates (attestations) -------------------------------------------------------


class CertificateQuerySet(models.QuerySet):
    def for_family(self, family):
        return self.filter(family=family)

    def for_staff(self, user):
        if user.is_superuser:
            return self
        return self.filter(structure__staff=user)

    def current(self):
        """The latest version of each certificate: drafts and published ones, not replaced."""
        return self.exclude(status=Certificate.Status.REPLACED)

    def visible_to_parents(self, on_date):
        """Published or replaced certificates whose year's publication date has come.

        A replaced certificate stays listed (marked replaced) so a parent who downloaded it
        can see that it was corrected.
        """
        return self.filter(
            status__in=[Certificate.Status.PUBLISHED, Certificate.Status.REPLACED],
            published_at__isnull=False,
            visible_from__lte=on_date,
        )


class Certificate(models.Model):
    """A yearly certificate of one payer of a family for one year: the childcare tax-credit
    attestation (children under 6 on 1 January) or a plain payment attestation (older
    children, never mentioning the tax credit).

    Its figures are frozen in `content` (the breakdown of `billing.certificates`) and its
    PDF; a published certificate is never changed: a correction is a new version
    (`version` + 1) and the old one is marked replaced, pointing to its successor.
    `content_hash` makes generation idempotent: same content, nothing regenerated.
    """

    class Kind(models.TextChoices):
        TAX_CREDIT = "tax_credit", _("childcare tax-credit certificate")
        PAYMENT = "payment", _("payment certificate")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")
        REPLACED = "replaced", _("replaced")

    structure = models.ForeignKey(
        "parents.Structure", verbose_name=_("structure"), on_delete=models.PROTECT
    )
    family = models.ForeignKey(
        "parents.Family",
        verbose_name=_("family"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    payer = models.ForeignKey(
        "parents.Guardian",
        verbose_name=_("paying guardian"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="certificates",
    )
    # "family" for payments recorded without a paying guardian, "g<id>" otherwise: names
    # the series of versions even if the guardian is later removed.
    payer_key = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField(_("year"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    serial = models.PositiveIntegerField(editable=False)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    number = models.CharField(_("number"), max_length=60, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("replaced by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supersedes",
    )
    payer_name = models.CharField(_("payer"), max_length=300)
    children_names = models.CharField(_("children"), max_length=500)
    care_amount = models.DecimalField(_("care paid"), max_digits=10, decimal_places=2)
    cesu_amount = models.DecimalField(_("of which CESU"), max_digits=10, decimal_places=2)
    excluded_amount = models.DecimalField(_("excluded"), max_digits=10, decimal_places=2)
    content = models.JSONField(_("content"))
    content_hash = models.CharField(max_length=64)
    pdf = models.FileField(
        _("PDF"), storage=get_private_storage, upload_to="certificates/", blank=True
    )
    flagged = models.BooleanField(_("to review"), default=False)
    flag_reason = models.TextField(_("why to review"), blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("generated at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    visible_from = models.DateField(_("shown to parents from"), null=True, blank=True)
    notified_at = models.DateTimeField(_("guardians notified at"), null=True, blank=True)

    objects = CertificateQuerySet.as_manager()

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-year", "family", "payer_key", "kind", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["family", "payer_key", "year", "kind", "version"],
                name="certificate_unique_version",
            ),
            models.UniqueConstraint(
                fields=["structure", "year", "serial", "version"],
                name="certificate_unique_serial",
            ),
        ]
        indexes = [
            models.Index(fields=["structure", "year", "status"], name="certificate_struct_year"),
        ]

    def __str__(self):
        return _("Certificate %(number)s") % {"number": self.number}

    @property
    def is_tax_credit(self):
        return self.kind == self.Kind.TAX_CREDIT

    @property
    def is_replaced(self):
        return self.status == self.Status.REPLACED


class CertificateRun(models.Model):
    """One generation of a year's certificates started from the admin, run as a background
    task; the task writes its progress here so the admin page can show it.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    structure = models.ForeignKey(
        "parents.Structure", verbose_name=_("structure"), on_delete=models.PROTECT
    )
    year = models.PositiveSmallIntegerField(_("year"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(_("families"), default=0)
    done = models.PositiveIntegerField(_("families done"), default=0)
    generated = models.PositiveIntegerField(_("generated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    flagged = models.PositiveIntegerField(_("to review"), default=0)
    error = models.TextField(_("error"), blank=True)
    task_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("certificate generation")
        verbose_name_plural = _("certificate generations")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.structure} {self.year} ({self.get_status_display()})"

    @property
    def percent(self):
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def is_finished(self):
        return self.status in (self.Status.DONE, self.Status.FAILED)
