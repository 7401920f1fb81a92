"""SEPA direct debit (prélèvement automatique): the structure's creditor settings, the
families' mandates, the monthly batches and their lines.

A debit is a `Payment` of the ledger (method "prelevement") recorded when the batch is
marked as sent; a rejected debit is a `PaymentReversal` of that payment. Nothing here holds
money of its own: `billing.direct_debit.services` calls the ledger's services.
"""

import calendar
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.money import ZERO
from core.storage import get_private_storage

from ..ledger.models import Invoice, Payment, PaymentReversal
from .crypto import EncryptedCharField

# SEPA's minimum: the debtor is told the amount and date at least 14 calendar days before.
MIN_NOTICE_DAYS = 14

DEFAULT_MANDATE_TEXT = (
    "En signant ce formulaire de mandat, vous autorisez le créancier à envoyer des "
    "instructions à votre banque pour débiter votre compte, et votre banque à débiter votre "
    "compte conformément aux instructions du créancier. Vous bénéficiez du droit d'être "
    "remboursé par votre banque selon les conditions décrites dans la convention que vous "
    "avez passée avec elle. Une demande de remboursement doit être présentée dans les 8 "
    "semaines suivant la date de débit de votre compte pour un prélèvement autorisé, et sans "
    "tarder et au plus tard dans les 13 mois en cas de prélèvement non autorisé. Vous êtes "
    "informé(e) du montant et de la date de chaque prélèvement au moins 14 jours avant."
)

creditor_identifier_validator = RegexValidator(
    r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{3}[A-Z0-9]{1,28}$",
    _("A creditor identifier (ICS) reads like FR12ZZZ123456."),
)


def creditor_identifier_checksum_ok(value):
    """ICS check digits (EPC262-08): ISO 7064 mod 97-10 over the national identifier, the
    country code and the check digits, the 3-character business code left out.
    """
    national = value[7:]
    digits = "".join(str(int(char, 36)) for char in national + value[:4])
    return int(digits) % 97 == 1


def validate_creditor_identifier(value):
    creditor_identifier_validator(value)
    if not creditor_identifier_checksum_ok(value):
        raise ValidationError(_("The check digits of this creditor identifier are wrong."))


class DirectDebitSettings(models.Model):
    """A structure's direct-debit settings: creditor identity and account, and when it
    collects. Kept in billing (parents never depends on billing), one row per structure.
    """

    structure = models.OneToOneField(
        "parents.Structure",
        verbose_name=_("structure"),
        on_delete=models.CASCADE,
        related_name="direct_debit_settings",
    )
    enabled = models.BooleanField(
        _("offer direct debit to families"),
        default=False,
        help_text=_("Families can sign a mandate online from their account page."),
    )
    creditor_name = models.CharField(
        _("creditor name"),
        max_length=70,
        blank=True,
        help_text=_("As registered with the bank; the association's name when empty."),
    )
    creditor_identifier = models.CharField(
        _("creditor identifier (ICS)"),
        max_length=35,
        blank=True,
        validators=[validate_creditor_identifier],
        help_text=_("Identifiant créancier SEPA given by the bank, e.g. FR12ZZZ123456."),
    )
    creditor_iban = models.CharField(_("creditor IBAN"), max_length=34, blank=True)
    creditor_bic = models.CharField(_("creditor BIC"), max_length=11, blank=True)
    debit_day = models.PositiveSmallIntegerField(
        _("debit day"),
        default=5,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("Day of the month the bank debits the families (1 to 28)."),
    )
    collection_months = models.CharField(
        _("months with a debit"),
        max_length=40,
        default="1,2,3,4,5,6,7,8,9,10,11,12",
        help_text=_("The schedule: the months in which the balance is debited."),
    )
    notice_days = models.PositiveSmallIntegerField(
        _("pre-notification (days)"),
        default=MIN_NOTICE_DAYS,
        validators=[MinValueValidator(MIN_NOTICE_DAYS), MaxValueValidator(60)],
        help_text=_("Families are told the amount and date this many days before (14 at least)."),
    )
    minimum_amount = models.DecimalField(
        _("smallest amount debited"),
        max_digits=8,
        decimal_places=2,
        default=ZERO + 1,
        validators=[MinValueValidator(ZERO + 1)],
        help_text=_("A balance due under this amount waits for the next debit."),
    )
    reject_fee = models.DecimalField(
        _("reject fee"),
        max_digits=8,
        decimal_places=2,
        default=ZERO,
        validators=[MinValueValidator(ZERO)],
        help_text=_("Invoiced to the family for each rejected debit; 0 for none."),
    )
    mandate_text = models.TextField(_("mandate text"), default=DEFAULT_MANDATE_TEXT)

    class Meta:
        verbose_name = _("direct debit settings")
        verbose_name_plural = _("direct debit settings")

    def __str__(self):
        return str(self.structure)

    def clean(self):
        from .services import validate_iban

        if self.creditor_iban:
            iban, bic = validate_iban(self.creditor_iban, self.creditor_bic)
            self.creditor_iban, self.creditor_bic = iban, bic
        if self.enabled and not (self.creditor_identifier and self.creditor_iban):
            raise ValidationError(
                _("Enter the creditor identifier and the creditor IBAN to offer direct debit.")
            )
        if not self.months():
            raise ValidationError({"collection_months": _("Choose at least one month.")})

    def months(self):
        return sorted(
            {int(m) for m in self.collection_months.split(",") if m.strip().isdigit()}
            & set(range(1, 13))
        )

    @property
    def creditor_display_name(self):
        return self.creditor_name or self.structure.association.name

    @property
    def is_ready(self):
        """Enabled, with what the bank file needs."""
        return bool(self.enabled and self.creditor_identifier and self.creditor_iban)

    def collection_date_in(self, year, month):
        day = min(self.debit_day, calendar.monthrange(year, month)[1])
        return date(year, month, day)

    def next_collection_date(self, earliest):
        """The first scheduled debit date on or after `earliest`."""
        months = self.months()
        year, month = earliest.year, earliest.month
        for _step in range(25):
            if month in months:
                candidate = self.collection_date_in(year, month)
                if candidate >= earliest:
                    return candidate
            month += 1
            if month > 12:
                year, month = year + 1, 1
        return None


class MandateQuerySet(models.QuerySet):
    def for_family(self, family):
        return self.filter(family=family)

    def for_staff(self, user):
        if user.is_superuser:
            return self
        return self.filter(structure__staff=user)

    def current(self):
        """The mandates still in force or waiting: at most one per family."""
        return self.filter(status__in=Mandate.CURRENT_STATUSES)


class Mandate(models.Model):
    """A SEPA Core mandate: the family's authorisation to debit the account of `holder`.

    The IBAN is encrypted at rest; only its last four characters are ever shown once entered.
    """

    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting for validation")
        ACTIVE = "active", _("active")
        SUSPENDED = "suspended", _("suspended")
        REVOKED = "revoked", _("revoked")

    class Kind(models.TextChoices):
        ELECTRONIC = "electronic", _("signed online")
        PAPER = "paper", _("paper mandate")

    CURRENT_STATUSES = (Status.WAITING, Status.ACTIVE, Status.SUSPENDED)

    structure = models.ForeignKey(
        "parents.Structure", verbose_name=_("structure"), on_delete=models.PROTECT
    )
    family = models.ForeignKey(
        "parents.Family",
        verbose_name=_("family"),
        on_delete=models.PROTECT,
        related_name="mandates",
    )
    reference = models.CharField(_("mandate reference (RUM)"), max_length=35, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.WAITING
    )
    kind = models.CharField(_("signature"), max_length=10, choices=Kind.choices)
    holder_name = models.CharField(_("account holder"), max_length=70)
    holder_address = models.TextField(_("account holder's address"), blank=True)
    iban = EncryptedCharField(_("IBAN"))
    iban_last4 = models.CharField(_("IBAN (last four)"), max_length=4)
    bic = models.CharField(_("BIC"), max_length=11)
    signed_on = models.DateField(_("date of signature"))
    signed_at = models.DateTimeField(_("signed at"), null=True, blank=True)
    signed_ip = models.GenericIPAddressField(_("signed from (IP address)"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed by (account)"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    mandate_text = models.TextField(_("text signed"))
    pdf = models.FileField(_("PDF"), storage=get_private_storage, upload_to="mandates/", blank=True)
    consecutive_rejects = models.PositiveSmallIntegerField(_("rejects in a row"), default=0)
    validated_at = models.DateTimeField(_("validated at"), null=True, blank=True)
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    stop_requested_at = models.DateTimeField(_("stop requested at"), null=True, blank=True)
    ended_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    end_reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = MandateQuerySet.as_manager()

    class Meta:
        verbose_name = _("mandate")
        verbose_name_plural = _("mandates")
        ordering = ["-created_at", "-id"]
        constraints = [
            # One mandate in force (or waiting) per family: a new one needs the old revoked.
            models.UniqueConstraint(
                fields=["family"],
                condition=Q(status__in=["waiting", "active", "suspended"]),
                name="mandate_one_current_per_family",
            )
        ]

    def __str__(self):
        return self.reference

    @property
    def masked_iban(self):
        """What anyone sees of the account after entry: "•••• 0189"."""
        return f"•••• {self.iban_last4}"

    @property
    def is_active(self):
        return self.status == self.Status.ACTIVE


class DebitBatchQuerySet(models.QuerySet):
    def for_staff(self, user):
        if user.is_superuser:
            return self
        return self.filter(structure__staff=user)


class DebitBatch(models.Model):
    """One collection date of one structure: the families debited, their pre-notifications,
    and the pain.008 bank file. One batch per structure and date.
    """

    class Status(models.TextChoices):
        PREPARED = "prepared", _("prepared (families notified)")
        SENT = "sent", _("sent to the bank")
        CANCELLED = "cancelled", _("cancelled")

    structure = models.ForeignKey(
        "parents.Structure", verbose_name=_("structure"), on_delete=models.PROTECT
    )
    collection_date = models.DateField(_("collection date"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PREPARED
    )
    message_id = models.CharField(_("file identifier"), max_length=35, unique=True)
    created_at = models.DateTimeField(_("prepared at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    xml = models.FileField(
        _("bank file"), storage=get_private_storage, upload_to="direct-debits/", blank=True
    )

    objects = DebitBatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("direct debit batch")
        verbose_name_plural = _("direct debit batches")
        ordering = ["-collection_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["structure", "collection_date"],
                condition=~Q(status="cancelled"),
                name="debitbatch_one_per_structure_and_date",
            )
        ]

    def __str__(self):
        return f"{self.structure} — {self.collection_date:%d/%m/%Y}"

    def collected_lines(self):
        return self.lines.exclude(status=DebitLine.Status.EXCLUDED)


class DebitLine(models.Model):
    """One family's debit in a batch: the amount and date pre-notified, then the payment
    recorded when the batch was sent, and the reject if the bank returned it.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("to be collected")
        COLLECTED = "collected", _("collected")
        REJECTED = "rejected", _("rejected")
        EXCLUDED = "excluded", _("taken out of the batch")

    class Sequence(models.TextChoices):
        FIRST = "FRST", _("first debit (FRST)")
        RECURRING = "RCUR", _("recurring debit (RCUR)")

    batch = models.ForeignKey(
        DebitBatch, verbose_name=_("batch"), on_delete=models.PROTECT, related_name="lines"
    )
    mandate = models.ForeignKey(
        Mandate, verbose_name=_("mandate"), on_delete=models.PROTECT, related_name="debits"
    )
    family = models.ForeignKey(
        "parents.Family",
        verbose_name=_("family"),
        on_delete=models.PROTECT,
        related_name="debit_lines",
    )
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    sequence_type = models.CharField(_("sequence type"), max_length=4, choices=Sequence.choices)
    end_to_end_id = models.CharField(_("transaction reference"), max_length=35, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    notified_at = models.DateTimeField(_("pre-notified at"), null=True, blank=True)
    payment = models.OneToOneField(
        Payment,
        verbose_name=_("payment"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="direct_debit",
    )
    reversal = models.OneToOneField(
        PaymentReversal,
        verbose_name=_("reversal"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="direct_debit",
    )
    reject_code = models.CharField(_("reject reason code"), max_length=4, blank=True)
    reject_date = models.DateField(_("rejected on"), null=True, blank=True)
    fee_invoice = models.ForeignKey(
        Invoice,
        verbose_name=_("reject fee invoice"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("direct debit")
        verbose_name_plural = _("direct debits")
        ordering = ["batch", "family__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "family"], name="debitline_one_per_family"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="debitline_amount_gt0"),
        ]

    def __str__(self):
        return f"{self.family} {self.amount} ({self.batch.collection_date:%d/%m/%Y})"


# Reason codes of SEPA R-transactions (ISO 20022 ExternalStatusReason1Code), as a director
# reads them on the bank's return.
REJECT_REASONS = {
    "AC01": _("Incorrect account number"),
    "AC04": _("Account closed"),
    "AC06": _("Account blocked"),
    "AC13": _("Debtor account is a consumer account not allowed"),
    "AG01": _("Direct debit forbidden on this account"),
    "AG02": _("Invalid operation code"),
    "AM04": _("Insufficient funds"),
    "AM05": _("Duplicate collection"),
    "BE05": _("Creditor identifier incorrect"),
    "FF01": _("Invalid file format"),
    "MD01": _("No valid mandate"),
    "MD02": _("Mandate data missing or incorrect"),
    "MD06": _("Refund requested by the debtor"),
    "MD07": _("Debtor deceased"),
    "MS02": _("Refused by the debtor"),
    "MS03": _("Reason not specified"),
    "RC01": _("Incorrect BIC"),
    "RR01": _("Regulatory reason: debtor identification missing"),
    "RR02": _("Regulatory reason: debtor name or address missing"),
    "RR03": _("Regulatory reason: creditor name or address missing"),
    "RR04": _("Regulatory reason"),
    "SL01": _("Specific service offered by the debtor's bank"),
}


def reject_reason_label(code):
    return REJECT_REASONS.get(code, _("Other reason"))
