"""Online card payment attempts and the Stripe events received, each stored once."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from parents.models import Structure

from ..ledger.models import Payment


class PaymentAttemptQuerySet(models.QuerySet):
    def for_family(self, family):
        return self.filter(family=family)

    def for_staff(self, user):
        if user.is_superuser:
            return self
        # The member of staff's structures first, then rows by structure_id: joining the
        # staff table to millions of rows made every count read them all.
        return self.filter(structure__in=Structure.objects.for_staff(user).values("pk"))

    def open(self):
        return self.filter(status__in=PaymentAttempt.OPEN_STATUSES)


class PaymentAttempt(models.Model):
    """One try of a family at paying its balance online by card, and the Stripe
    PaymentIntent created for it.

    The amount is the whole balance when the attempt was opened or, where the structure lets
    parents choose it (`OnlinePaymentSettings.free_amount`), the part of it the parent chose;
    `balance_due` keeps the balance it was opened against. Neither ever changes. A family has
    at most one open attempt (database constraint), which a reload or a double click reuses,
    and one attempt never has more than one PaymentIntent. The status only moves forward
    (see `billing.online_payment.services`); the money itself is a `Payment` recorded by
    the ledger's services.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for the card")
        REQUIRES_ACTION = "requires_action", _("waiting for 3-D Secure")
        PROCESSING = "processing", _("processing")
        FAILED = "failed", _("declined")
        CANCELED = "canceled", _("abandoned")
        SUCCEEDED = "succeeded", _("paid")
        # Stripe says paid, but not the amount (or currency) the attempt asked for: the money
        # is recorded and flagged, and the attempt must not read "paid" to anyone.
        NEEDS_REVIEW = "needs_review", _("to check")

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
    # What the family owed when the attempt was opened: equal to the amount unless the parent
    # chose to pay less. Paying is refused, and a late success flagged, once it has moved.
    balance_due = models.DecimalField(
        _("balance due at the start"), max_digits=10, decimal_places=2
    )
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
        indexes = [models.Index(fields=["created_at", "id"], name="paymentattempt_created_id")]
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
            # Never more than owed online: a chosen amount is at most the balance.
            models.CheckConstraint(
                condition=Q(amount__lte=F("balance_due")),
                name="paymentattempt_amount_lte_balance",
            ),
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


class OnlinePaymentSettings(models.Model):
    """A structure's online-payment options kept in billing (parents never depends on it)."""

    structure = models.OneToOneField(
        "parents.Structure",
        verbose_name=_("structure"),
        on_delete=models.CASCADE,
        related_name="online_payment_settings",
    )
    # The user manual says the amount of an online payment cannot be chosen: off by default.
    free_amount = models.BooleanField(
        _("parents may choose the amount of an online payment"),
        default=False,
        help_text=_(
            "Unticked (the default): parents pay the whole balance due. Ticked: the payment "
            "page offers the balance due and lets parents type a smaller amount, at least the "
            "structure's minimum balance for online payment and at most the balance due."
        ),
    )

    class Meta:
        verbose_name = _("online payment settings")
        verbose_name_plural = _("online payment settings")

    def __str__(self):
        return str(self.structure)


# --- Yearly certificates (attestations) -------------------------------------------------------
