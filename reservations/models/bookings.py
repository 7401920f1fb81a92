"""What families book: bookings, waiting-list entries, absence justifications, the history
of every change, and reminder preferences.
"""

from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.storage import private_storage

from .setup import Day, Period, Slot


def private_files():
    """The private storage, given as a callable so that migrations name this function
    instead of freezing the folder of whichever settings generated them.
    """
    return private_storage


class FamilyScopedQuerySet(models.QuerySet):
    def for_family(self, family):
        return self.filter(family=family)

    def for_staff(self, user):
        if user.is_superuser:
            return self
        return self.filter(family__structure__staff=user)


class BookingQuerySet(models.QuerySet):
    def for_family(self, family):
        return self.filter(family=family)

    def for_staff(self, user):
        if user.is_superuser:
            return self
        return self.filter(family__structure__staff=user)

    def active(self):
        return self.filter(status=Booking.Status.BOOKED)


class Booking(models.Model):
    """A child booked on a slot. Cancelled bookings stay, for the history and the lists.

    At most one active booking per child and slot, and one active unit booking per child
    and day (database constraints). `on_behalf` marks bookings made by the centre, `late`
    those made past the family's deadline; cancellations carry the same two marks.
    """

    class Status(models.TextChoices):
        BOOKED = "booked", _("booked")
        CANCELLED = "cancelled", _("cancelled")

    class Attendance(models.TextChoices):
        UNKNOWN = "", _("not recorded")
        PRESENT = "present", _("present")
        ABSENT = "absent", _("absent")

    slot = models.ForeignKey(
        Slot, verbose_name=_("booked"), on_delete=models.PROTECT, related_name="bookings"
    )
    day = models.ForeignKey(Day, verbose_name=_("day"), on_delete=models.PROTECT, related_name="+")
    is_outing = models.BooleanField(default=False, editable=False)
    child = models.ForeignKey(
        "parents.Child", verbose_name=_("child"), on_delete=models.PROTECT, related_name="bookings"
    )
    family = models.ForeignKey(
        "parents.Family",
        verbose_name=_("family"),
        on_delete=models.PROTECT,
        related_name="bookings",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.BOOKED
    )
    attendance = models.CharField(
        _("attendance"), max_length=10, choices=Attendance.choices, default="", blank=True
    )
    created_at = models.DateTimeField(_("booked at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    on_behalf = models.BooleanField(_("booked by the centre"), default=False)
    late = models.BooleanField(_("booked past the deadline"), default=False)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_on_behalf = models.BooleanField(_("cancelled by the centre"), default=False)
    cancelled_late = models.BooleanField(_("cancelled past the deadline"), default=False)
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    # Set by the monthly invoicing; a deleted draft gives its bookings back (SET_NULL).
    invoice = models.ForeignKey(
        "billing.Invoice",
        verbose_name=_("invoice"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    invoice_lines = models.ManyToManyField("billing.InvoiceLine", blank=True, related_name="+")
    credit_note = models.ForeignKey(
        "billing.CreditNote",
        verbose_name=_("credit note"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = BookingQuerySet.as_manager()

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["day__date", "pk"]
        indexes = [models.Index(fields=["slot", "status"], name="booking_slot_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "slot"],
                condition=Q(status="booked"),
                name="booking_one_active_per_slot",
            ),
            models.UniqueConstraint(
                fields=["child", "day"],
                condition=Q(status="booked", is_outing=False),
                name="booking_one_unit_per_day",
            ),
        ]

    def __str__(self):
        return f"{self.child.first_name} — {self.slot}"

    @property
    def is_active(self):
        return self.status == self.Status.BOOKED

    @property
    def justification_or_none(self):
        try:
            return self.justification
        except ObjectDoesNotExist:
            return None


class WaitingListEntryQuerySet(models.QuerySet):
    def for_family(self, family):
        return self.filter(family=family)

    def for_staff(self, user):
        if user.is_superuser:
            return self
        return self.filter(family__structure__staff=user)

    def waiting(self):
        return self.filter(status=WaitingListEntry.Status.WAITING)

    def in_queue_order(self):
        return self.order_by("priority", "created_at", "pk")


class WaitingListEntry(models.Model):
    """A child waiting for a place on a full slot.

    Places freed are offered in queue order: requests made in the family area first (the
    association's rule), then those the centre recorded, each group oldest first. An offer
    holds the place until `offer_expires_at`; then it goes to the next in line.
    """

    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting")
        OFFERED = "offered", _("place offered")
        ACCEPTED = "accepted", _("accepted")
        DECLINED = "declined", _("declined")
        EXPIRED = "expired", _("offer expired")
        WITHDRAWN = "withdrawn", _("withdrawn")

    class Channel(models.TextChoices):
        ONLINE = "online", _("family area")
        STAFF = "staff", _("by the centre")

    PRIORITY = {Channel.ONLINE: 0, Channel.STAFF: 1}

    slot = models.ForeignKey(
        Slot, verbose_name=_("slot"), on_delete=models.CASCADE, related_name="waiting_entries"
    )
    child = models.ForeignKey(
        "parents.Child", verbose_name=_("child"), on_delete=models.CASCADE, related_name="+"
    )
    family = models.ForeignKey(
        "parents.Family", verbose_name=_("family"), on_delete=models.CASCADE, related_name="+"
    )
    channel = models.CharField(_("requested through"), max_length=10, choices=Channel.choices)
    priority = models.PositiveSmallIntegerField(default=0, editable=False)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.WAITING
    )
    created_at = models.DateTimeField(_("joined at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    offered_at = models.DateTimeField(_("offered at"), null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("offer valid until"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    booking = models.ForeignKey(
        Booking, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = WaitingListEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("waiting list entry")
        verbose_name_plural = _("waiting list entries")
        ordering = ["slot", "priority", "created_at", "pk"]
        indexes = [models.Index(fields=["slot", "status"], name="waiting_slot_status")]
        constraints = [
            models.UniqueConstraint(
                fields=["child", "slot"],
                condition=Q(status__in=["waiting", "offered"]),
                name="waiting_one_open_per_slot",
            )
        ]

    def __str__(self):
        return f"{self.child.first_name} — {self.slot}"


class AbsenceJustification(models.Model):
    """A document sent by a family for a booked day the child missed (e.g. a medical
    certificate). Accepted, the day is not invoiced, or credited if it already was.
    """

    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("to review")
        ACCEPTED = "accepted", _("accepted")
        REFUSED = "refused", _("refused")

    booking = models.OneToOneField(
        Booking, verbose_name=_("booking"), on_delete=models.PROTECT, related_name="justification"
    )
    family = models.ForeignKey(
        "parents.Family", verbose_name=_("family"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("reason"))
    document = models.FileField(_("document"), storage=private_files, upload_to="absences/%Y/%m/")
    submitted_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.SUBMITTED
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_note = models.CharField(_("note to the family"), max_length=300, blank=True)

    objects = FamilyScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("absence justification")
        verbose_name_plural = _("absence justifications")
        ordering = ["-submitted_at", "-pk"]

    def __str__(self):
        return str(self.booking)


class BookingEvent(models.Model):
    """One line of a family's booking history: what changed, for whom, by whom, when."""

    class Action(models.TextChoices):
        BOOKED = "booked", _("Booked")
        CANCELLED = "cancelled", _("Cancelled")
        OUTING_CANCELLED = "outing_cancelled", _("Outing cancelled (too few days booked that week)")
        WAITING = "waiting", _("Joined the waiting list")
        LEFT_WAITING = "left_waiting", _("Left the waiting list")
        OFFERED = "offered", _("Place offered")
        OFFER_ACCEPTED = "offer_accepted", _("Offer accepted")
        OFFER_DECLINED = "offer_declined", _("Offer declined")
        OFFER_EXPIRED = "offer_expired", _("Offer expired")
        ABSENCE_SENT = "absence_sent", _("Absence justification sent")
        ABSENCE_ACCEPTED = "absence_accepted", _("Absence justification accepted")
        ABSENCE_REFUSED = "absence_refused", _("Absence justification refused")

    family = models.ForeignKey(
        "parents.Family", verbose_name=_("family"), on_delete=models.CASCADE, related_name="+"
    )
    child = models.ForeignKey(
        "parents.Child", verbose_name=_("child"), on_delete=models.CASCADE, related_name="+"
    )
    slot = models.ForeignKey(
        Slot, verbose_name=_("slot"), on_delete=models.CASCADE, related_name="+"
    )
    booking = models.ForeignKey(
        Booking, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    action = models.CharField(_("change"), max_length=20, choices=Action.choices)
    at = models.DateTimeField(_("when"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    on_behalf = models.BooleanField(_("by the centre"), default=False)
    late = models.BooleanField(_("past the deadline"), default=False)
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("booking history entry")
        verbose_name_plural = _("booking history")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["family", "-at"], name="bookingevent_family_at")]

    def __str__(self):
        return f"{self.get_action_display()} — {self.slot}"


class ReminderPreference(models.Model):
    """A guardian's choice about booking reminder emails (sent unless they opt out)."""

    guardian = models.OneToOneField(
        "parents.Guardian",
        verbose_name=_("guardian"),
        on_delete=models.CASCADE,
        related_name="booking_reminders",
    )
    send_reminders = models.BooleanField(_("send me booking reminders"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("booking reminder preference")
        verbose_name_plural = _("booking reminder preferences")

    def __str__(self):
        return str(self.guardian)


class ReminderSent(models.Model):
    """One reminder sent to a family for one deadline of a period: never sent twice."""

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="+")
    family = models.ForeignKey("parents.Family", on_delete=models.CASCADE, related_name="+")
    deadline = models.DateTimeField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "family", "deadline"], name="remindersent_unique"
            )
        ]

    def __str__(self):
        return f"{self.family} — {self.period} — {self.deadline}"
