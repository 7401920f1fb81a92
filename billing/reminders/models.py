"""Payment reminders ("Relances"): each structure's schedule and texts, the reminders sent,
and the families whose reminders a director has paused.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.money import ZERO

DEFAULT_FIRST_TEXT = (
    "Sauf erreur de notre part, les factures ci-dessous restent à régler. Nous vous "
    "remercions de bien vouloir régulariser votre situation dès que possible. Si vous avez "
    "réglé entre-temps, merci de ne pas tenir compte de ce message."
)
DEFAULT_SECOND_TEXT = (
    "Malgré notre premier rappel, les factures ci-dessous restent impayées. Nous vous "
    "demandons de les régler sous huit jours, ou de prendre contact avec la direction de "
    "l'accueil de loisirs pour convenir d'un échéancier."
)


class ReminderSettings(models.Model):
    """A structure's reminder schedule: how many days after an invoice's due date the first
    and the second reminder go, and what they say. One row per structure, kept in billing.
    """

    structure = models.OneToOneField(
        "parents.Structure",
        verbose_name=_("structure"),
        on_delete=models.CASCADE,
        related_name="reminder_settings",
    )
    enabled = models.BooleanField(_("send payment reminders"), default=False)
    first_delay_days = models.PositiveSmallIntegerField(
        _("first reminder (days after the due date)"),
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    second_delay_days = models.PositiveSmallIntegerField(
        _("second reminder (days after the due date)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    minimum_amount = models.DecimalField(
        _("smallest balance reminded"),
        max_digits=8,
        decimal_places=2,
        default=ZERO + 1,
        validators=[MinValueValidator(ZERO)],
    )
    first_text = models.TextField(_("text of the first reminder"), default=DEFAULT_FIRST_TEXT)
    second_text = models.TextField(_("text of the second reminder"), default=DEFAULT_SECOND_TEXT)

    class Meta:
        verbose_name = _("reminder settings")
        verbose_name_plural = _("reminder settings")

    def __str__(self):
        return str(self.structure)

    def clean(self):
        if self.second_delay_days <= self.first_delay_days:
            raise ValidationError(
                {"second_delay_days": _("The second reminder must come after the first.")}
            )

    def delay(self, level):
        return self.first_delay_days if level == 1 else self.second_delay_days

    def text(self, level):
        return self.first_text if level == 1 else self.second_text


class ReminderQuerySet(models.QuerySet):
    def for_staff(self, user):
        if user.is_superuser:
            return self
        return self.filter(structure__staff=user)


class Reminder(models.Model):
    """One reminder sent to a family: which level, for which overdue invoices, how (e-mail
    or a letter to print). Unique per family, level and oldest overdue invoice, which is what
    makes the daily command send each reminder once.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        LETTER = "letter", _("letter to print")

    structure = models.ForeignKey(
        "parents.Structure", verbose_name=_("structure"), on_delete=models.PROTECT
    )
    family = models.ForeignKey(
        "parents.Family",
        verbose_name=_("family"),
        on_delete=models.PROTECT,
        related_name="reminders",
    )
    level = models.PositiveSmallIntegerField(
        _("reminder"), choices=[(1, _("first")), (2, _("second"))]
    )
    # The oldest overdue invoice when sent: the reminder cycle it belongs to.
    invoice = models.ForeignKey(
        "billing.Invoice",
        verbose_name=_("oldest unpaid invoice"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    invoice_numbers = models.CharField(_("invoices"), max_length=500)
    balance = models.DecimalField(_("balance due"), max_digits=10, decimal_places=2)
    channel = models.CharField(_("sent by"), max_length=10, choices=Channel.choices)
    # The day of the run that sent it, which the second reminder's delay counts from.
    sent_on = models.DateField(_("sent on"))
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ReminderQuerySet.as_manager()

    class Meta:
        verbose_name = _("payment reminder")
        verbose_name_plural = _("payment reminders")
        ordering = ["-sent_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["family", "invoice", "level"], name="reminder_once_per_invoice_and_level"
            )
        ]

    def __str__(self):
        return f"{self.family} — {self.get_level_display()} ({self.sent_at:%d/%m/%Y})"


class ReminderPause(models.Model):
    """A family whose reminders the director has paused (an agreed instalment plan, a
    dispute), with why and until when.
    """

    family = models.OneToOneField(
        "parents.Family",
        verbose_name=_("family"),
        on_delete=models.CASCADE,
        related_name="reminder_pause",
    )
    until = models.DateField(_("paused until"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("paused at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("reminder pause")
        verbose_name_plural = _("reminder pauses")

    def __str__(self):
        return str(self.family)

    def is_in_force(self, on_date):
        return self.until is None or self.until >= on_date
