"""The only code that changes bookings, waiting lists, absences, and the invoices made from them.

Invariants every function here keeps:

- Capacity: a slot never holds more active bookings plus open offers than its capacity.
  Every write locks the child row, then the slot row (SELECT … FOR UPDATE, always in that
  order, and a unit's slot before an outing's), then counts and writes.
- Deadlines: a family (on_behalf=False) can neither book nor cancel once the day's deadline
  has passed or before the period's booking window opens, whatever the request says. The
  centre can (on_behalf=True); such changes are marked `on_behalf` and, past the deadline,
  `late`.
- History: every change writes a `BookingEvent`; the family is emailed a confirmation of
  the events once the transaction commits (one email per call, or per batch of calls
  sharing an `events` list, see `confirm`).
- Money: invoices and credit notes are written through `billing.ledger.services` only.
"""

from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from wagtail.log_actions import log

from billing.ledger import services as billing
from billing.models import Category, Invoice
from core.dates import format_date, format_deadline
from family_file import services as family_file_services
from family_file.models import FamilyQuotient
from parents.models import Child, Family

from . import deadlines
from .models import (
    AbsenceJustification,
    Booking,
    BookingEvent,
    Day,
    Period,
    ReminderPreference,
    ReminderSent,
    Slot,
    TariffBracket,
    UnitPrice,
    WaitingListEntry,
    parse_dates,
)

Action = BookingEvent.Action


class BookingError(ValidationError):
    """A refused change, with a message meant for the person who asked for it."""


def day_label(value):
    """ "mercredi 2 décembre 2026" in the active language ("1er" in French)."""
    return format_date(value, "l j F Y")


def moment_label(value):
    """ "lundi 30 novembre 2026 à 10 h 00", local time at the centre (midnight reads as
    23 h 59 the day before).
    """
    return format_deadline(value.astimezone(deadlines.PARIS), "l j F Y")


def _now(now):
    return now or timezone.now()


# --- Locks and counts --------------------------------------------------------------------------


def _lock_child(child):
    return Child.objects.select_for_update(of=("self",)).select_related("family").get(pk=child.pk)


def _lock_slot(slot):
    return (
        Slot.objects.select_for_update(of=("self",))
        .select_related("day__period__structure", "unit", "outing", "age_group")
        .get(pk=slot.pk)
    )


def taken_places(slot, now, *, except_entry=None):
    """Active bookings plus offers still open: what the slot's capacity must cover."""
    booked = Booking.objects.filter(slot=slot, status=Booking.Status.BOOKED).count()
    offers = WaitingListEntry.objects.filter(
        slot=slot, status=WaitingListEntry.Status.OFFERED, offer_expires_at__gt=now
    )
    if except_entry is not None:
        offers = offers.exclude(pk=except_entry.pk)
    return booked + offers.count()


def occupancy(slots, now):
    """{slot id: places taken} for many slots in one query (calendar pages, dashboards)."""
    ids = [slot.pk for slot in slots]
    taken = dict.fromkeys(ids, 0)
    booked = (
        Booking.objects.filter(slot_id__in=ids, status=Booking.Status.BOOKED)
        .values("slot_id")
        .annotate(total=Count("pk"))
        .order_by()
    )
    offers = (
        WaitingListEntry.objects.filter(
            slot_id__in=ids, status=WaitingListEntry.Status.OFFERED, offer_expires_at__gt=now
        )
        .values("slot_id")
        .annotate(total=Count("pk"))
        .order_by()
    )
    for row in booked.union(offers, all=True):
        taken[row["slot_id"]] += row["total"]
    return taken


# --- Rules -------------------------------------------------------------------------------------


def deadline_of(slot):
    return slot.day.period.deadline_for(slot.day.date)


def _check_family_file(child, on_behalf):
    """When the structure asks for a complete family file, a family cannot book without it
    (the centre still can, on its behalf). The message names what is missing.
    """
    if on_behalf:
        return
    missing = family_file_services.booking_blockers(child.family, timezone.localdate())
    if missing:
        raise BookingError(
            _("Your family file is incomplete: %(missing)s.")
            % {"missing": "; ".join(item.label for item in missing)}
        )


def _check_changeable(slot, now, on_behalf):
    """Whether the change is late; refuses it for families outside the booking window."""
    period = slot.day.period
    late = now >= deadline_of(slot)
    if on_behalf:
        return late
    if now < period.window_start:
        raise BookingError(
            _("Bookings for %(period)s open on %(date)s.")
            % {"period": period.name, "date": day_label(period.booking_opens_on)}
        )
    if late:
        raise BookingError(
            _("It is too late to change %(day)s: the deadline was %(deadline)s.")
            % {"day": day_label(slot.day.date), "deadline": moment_label(deadline_of(slot))}
        )
    return False


def days_booked_in_week(child, outing):
    start, end = outing.week
    return (
        Booking.objects.filter(
            child=child,
            status=Booking.Status.BOOKED,
            is_outing=False,
            day__date__range=(start, end),
            day__period__structure_id=outing.period.structure_id,
        )
        .values("day__date")
        .distinct()
        .count()
    )


def eligibility_refusal(child, outing, booked_days):
    """Why `child` cannot go on `outing` with `booked_days` booked that week, or None."""
    if booked_days >= outing.min_days_in_week:
        return None
    monday = outing.week[0]
    rule = ngettext(
        "%(outing)s is open to children booked at least %(min)s day in the week of %(monday)s",
        "%(outing)s is open to children booked at least %(min)s days in the week of %(monday)s",
        outing.min_days_in_week,
    ) % {"outing": outing.name, "min": outing.min_days_in_week, "monday": day_label(monday)}
    # Its own plural: the child's count is not the rule's ("Hugo has no day booked").
    if booked_days:
        booked = ngettext(
            "%(child)s has %(count)s day booked that week.",
            "%(child)s has %(count)s days booked that week.",
            booked_days,
        ) % {"child": child.first_name, "count": booked_days}
    else:
        booked = _("%(child)s has no day booked that week.") % {"child": child.first_name}
    return _("%(rule)s; %(booked)s") % {"rule": rule, "booked": booked}


def _check_can_take(child, slot):
    """Refusals that do not depend on places: closed day, age, double booking, outing rule."""
    day = slot.day
    if day.period.structure_id != child.family.structure_id:
        raise BookingError(_("This day is not offered to your family."))
    if day.is_closed:
        raise BookingError(_("The centre is closed on %(day)s.") % {"day": day_label(day.date)})
    if slot.age_group_id and not slot.age_group.includes(child, day.date):
        raise BookingError(
            _("%(unit)s on %(day)s is for the %(group)s group.")
            % {"unit": slot.label, "day": day_label(day.date), "group": slot.age_group}
        )
    if Booking.objects.filter(child=child, slot=slot, status=Booking.Status.BOOKED).exists():
        raise BookingError(
            _("%(child)s is already booked on %(day)s.")
            % {"child": child.first_name, "day": day_label(day.date)}
        )
    if slot.is_outing:
        refusal = eligibility_refusal(child, slot.outing, days_booked_in_week(child, slot.outing))
        if refusal:
            raise BookingError(refusal)
    else:
        other = (
            Booking.objects.filter(
                child=child, day=day, status=Booking.Status.BOOKED, is_outing=False
            )
            .select_related("slot__unit")
            .first()
        )
        if other is not None:
            raise BookingError(
                _("%(child)s is already booked on %(day)s (%(unit)s): cancel it first.")
                % {"child": child.first_name, "day": day_label(day.date), "unit": other.slot.label}
            )


# --- History and confirmations -----------------------------------------------------------------


def _event(
    events,
    action,
    *,
    child,
    slot,
    booking=None,
    by=None,
    on_behalf=False,
    late=False,
    detail="",
    now=None,
):
    event = BookingEvent.objects.create(
        family_id=child.family_id,
        child=child,
        slot=slot,
        booking=booking,
        action=action,
        at=_now(now),
        by=by,
        on_behalf=on_behalf,
        late=late,
        detail=detail[:300],
    )
    events.append(event)
    return event


def confirm(events):
    """Email each family concerned the list of its changes, once the transaction commits."""
    from .notifications import send_confirmation

    by_family = OrderedDict()
    for event in events:
        by_family.setdefault(event.family_id, []).append(event.pk)
    for family_id, event_ids in by_family.items():
        transaction.on_commit(
            lambda family_id=family_id, event_ids=event_ids: send_confirmation(family_id, event_ids)
        )


class _Batch:
    """The events of one service call. They reach the caller's list (or are confirmed by
    email) only once the call's writes are done, so a refused change never shows.
    """

    def __init__(self, target):
        self.target = target
        self.events = []

    def done(self):
        if self.target is None:
            confirm(self.events)
        else:
            self.target.extend(self.events)


# --- Booking and cancelling --------------------------------------------------------------------


def book(child, slot, *, by=None, on_behalf=False, now=None, events=None):
    """Book `slot` for `child`. Raises BookingError when refused (deadline, full, rules).

    An open offer made to this child for this slot is taken up by the booking.
    """
    now = _now(now)
    batch = _Batch(events)
    with transaction.atomic():
        child = _lock_child(child)
        slot = _lock_slot(slot)
        late = _check_changeable(slot, now, on_behalf)
        _check_family_file(child, on_behalf)
        _check_can_take(child, slot)
        offer = WaitingListEntry.objects.filter(
            child=child,
            slot=slot,
            status=WaitingListEntry.Status.OFFERED,
            offer_expires_at__gt=now,
        ).first()
        if taken_places(slot, now, except_entry=offer) >= slot.capacity:
            raise BookingError(
                _("%(unit)s on %(day)s is full.")
                % {"unit": slot.label, "day": day_label(slot.day.date)}
            )
        booking = Booking.objects.create(
            slot=slot,
            day=slot.day,
            is_outing=slot.is_outing,
            child=child,
            family_id=child.family_id,
            created_by=by,
            on_behalf=on_behalf,
            late=late,
        )
        open_entries = WaitingListEntry.objects.filter(
            child=child,
            slot=slot,
            status__in=[WaitingListEntry.Status.WAITING, WaitingListEntry.Status.OFFERED],
        )
        if offer is not None:
            offer.status = WaitingListEntry.Status.ACCEPTED
            offer.answered_at = now
            offer.booking = booking
            offer.save(update_fields=["status", "answered_at", "booking"])
            action = Action.OFFER_ACCEPTED
        else:
            action = Action.BOOKED
        open_entries.exclude(pk=getattr(offer, "pk", None)).update(
            status=WaitingListEntry.Status.WITHDRAWN, answered_at=now
        )
        _event(
            batch.events,
            action,
            child=child,
            slot=slot,
            booking=booking,
            by=by,
            on_behalf=on_behalf,
            late=late,
            now=now,
        )
        if on_behalf:
            log(
                instance=booking, action="reservations.book_on_behalf", user=by, data={"late": late}
            )
        batch.done()
    return booking


def cancel(booking, *, by=None, on_behalf=False, now=None, reason="", events=None):
    """Cancel an active booking and offer the place to the waiting list.

    Cancelling a day can leave the child booked on an outing of that week without enough
    days: such outing bookings are cancelled too (and their place offered), which the
    confirmation tells the family. An invoiced booking is withdrawn from its draft invoice,
    or credited if the invoice was issued.
    """
    now = _now(now)
    batch = _Batch(events)
    with transaction.atomic():
        child = _lock_child(booking.child)
        slot = _lock_slot(booking.slot)
        booking = Booking.objects.select_for_update(of=("self",)).get(pk=booking.pk)
        if not booking.is_active:
            raise BookingError(_("This booking is already cancelled."))
        late = _check_changeable(slot, now, on_behalf)
        _cancel_locked(
            booking,
            child,
            slot,
            by=by,
            on_behalf=on_behalf,
            late=late,
            now=now,
            reason=reason,
            action=Action.CANCELLED,
            events=batch.events,
        )
        if not slot.is_outing:
            _cancel_ineligible_outings(
                child, slot.day, by=by, on_behalf=on_behalf, now=now, events=batch.events
            )
        offer_free_places(slot, now=now, events=batch.events)
        if on_behalf:
            log(
                instance=booking,
                action="reservations.cancel_on_behalf",
                user=by,
                data={"late": late},
            )
        batch.done()
    return booking


def _cancel_locked(booking, child, slot, *, by, on_behalf, late, now, reason, action, events):
    booking.status = Booking.Status.CANCELLED
    booking.cancelled_at = now
    booking.cancelled_by = by
    booking.cancelled_on_behalf = on_behalf
    booking.cancelled_late = late
    booking.cancel_reason = reason[:200]
    booking.save(
        update_fields=[
            "status",
            "cancelled_at",
            "cancelled_by",
            "cancelled_on_behalf",
            "cancelled_late",
            "cancel_reason",
        ]
    )
    _event(
        events,
        action,
        child=child,
        slot=slot,
        booking=booking,
        by=by,
        on_behalf=on_behalf,
        late=late,
        detail=reason,
        now=now,
    )
    if booking.invoice_id:
        with translation.override(settings.LANGUAGE_CODE):
            label = _("Cancelled: %(child)s, %(day)s") % {
                "child": child.first_name,
                "day": day_label(slot.day.date),
            }
        _withdraw_from_invoice(booking, label, by=by)


def _cancel_ineligible_outings(child, day, *, by, on_behalf, now, events):
    outing_bookings = Booking.objects.filter(
        child=child,
        status=Booking.Status.BOOKED,
        is_outing=True,
        slot__outing__date__range=(
            day.date - timedelta(days=day.date.weekday()),
            day.date + timedelta(days=6 - day.date.weekday()),
        ),
    ).select_related("slot__outing__period")
    for outing_booking in outing_bookings:
        outing = outing_booking.slot.outing
        booked = days_booked_in_week(child, outing)
        if booked >= outing.min_days_in_week:
            continue
        outing_slot = _lock_slot(outing_booking.slot)
        with translation.override(settings.LANGUAGE_CODE):
            reason = eligibility_refusal(child, outing, booked)
        _cancel_locked(
            outing_booking,
            child,
            outing_slot,
            by=by,
            on_behalf=on_behalf,
            late=now >= deadline_of(outing_slot),
            now=now,
            reason=reason,
            action=Action.OUTING_CANCELLED,
            events=events,
        )
        offer_free_places(outing_slot, now=now, events=events)


# --- Waiting lists and offers ------------------------------------------------------------------


def join_waiting_list(child, slot, *, by=None, on_behalf=False, now=None, events=None):
    """Put `child` on the waiting list of a full slot; refused if a place is free."""
    now = _now(now)
    batch = _Batch(events)
    with transaction.atomic():
        child = _lock_child(child)
        slot = _lock_slot(slot)
        late = _check_changeable(slot, now, on_behalf)
        _check_can_take(child, slot)
        if WaitingListEntry.objects.filter(
            child=child,
            slot=slot,
            status__in=[WaitingListEntry.Status.WAITING, WaitingListEntry.Status.OFFERED],
        ).exists():
            raise BookingError(
                _("%(child)s is already on the waiting list for %(day)s.")
                % {"child": child.first_name, "day": day_label(slot.day.date)}
            )
        if taken_places(slot, now) < slot.capacity:
            raise BookingError(
                _("There are places left on %(day)s: book it instead.")
                % {"day": day_label(slot.day.date)}
            )
        channel = WaitingListEntry.Channel.STAFF if on_behalf else WaitingListEntry.Channel.ONLINE
        entry = WaitingListEntry.objects.create(
            slot=slot,
            child=child,
            family_id=child.family_id,
            channel=channel,
            priority=WaitingListEntry.PRIORITY[channel],
            created_at=now,
            created_by=by,
        )
        _event(
            batch.events,
            Action.WAITING,
            child=child,
            slot=slot,
            by=by,
            on_behalf=on_behalf,
            late=late,
            now=now,
        )
        batch.done()
    return entry


def waiting_position(entry):
    """1 for the first in line. Only meaningful while the entry is waiting."""
    ahead = WaitingListEntry.objects.filter(slot_id=entry.slot_id, status="waiting").filter(
        Q(priority__lt=entry.priority)
        | Q(priority=entry.priority, created_at__lt=entry.created_at)
        | Q(priority=entry.priority, created_at=entry.created_at, pk__lt=entry.pk)
    )
    return ahead.count() + 1


def waiting_positions(entries):
    """{entry id: position} for many entries in one query."""
    slot_ids = {entry.slot_id for entry in entries}
    queue = (
        WaitingListEntry.objects.filter(slot_id__in=slot_ids, status="waiting")
        .in_queue_order()
        .values_list("pk", "slot_id")
    )
    positions, counters = {}, {}
    for pk, slot_id in queue:
        counters[slot_id] = counters.get(slot_id, 0) + 1
        positions[pk] = counters[slot_id]
    return positions


def leave_waiting_list(entry, *, by=None, now=None, events=None):
    now = _now(now)
    batch = _Batch(events)
    with transaction.atomic():
        child = _lock_child(entry.child)
        slot = _lock_slot(entry.slot)
        entry = WaitingListEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.status not in (WaitingListEntry.Status.WAITING, WaitingListEntry.Status.OFFERED):
            raise BookingError(_("This place on the waiting list is no longer open."))
        was_offered = entry.status == WaitingListEntry.Status.OFFERED
        entry.status = WaitingListEntry.Status.WITHDRAWN
        entry.answered_at = now
        entry.save(update_fields=["status", "answered_at"])
        _event(batch.events, Action.LEFT_WAITING, child=child, slot=slot, by=by, now=now)
        if was_offered:
            offer_free_places(slot, now=now, events=batch.events)
        batch.done()
    return entry


def offer_free_places(slot, *, now=None, events=None):
    """Offer each free place of `slot` to the next in line. The caller holds the slot lock.

    No offer is made once the day's deadline has passed. An offer is valid for the period's
    `offer_hours`, and never beyond the deadline. Those who can no longer take the place
    (already booked that day, no longer eligible for the outing) are skipped and withdrawn.
    """
    now = _now(now)
    batch = _Batch(events)
    deadline = deadline_of(slot)
    offered = []
    if now >= deadline or slot.day.is_closed:
        return offered
    free = slot.capacity - taken_places(slot, now)
    if free <= 0:
        return offered
    queue = (
        WaitingListEntry.objects.filter(slot=slot, status=WaitingListEntry.Status.WAITING)
        .in_queue_order()
        .select_related("child__family")
    )
    for entry in queue:
        if free <= 0:
            break
        try:
            _check_can_take(entry.child, slot)
        except BookingError:
            entry.status = WaitingListEntry.Status.WITHDRAWN
            entry.answered_at = now
            entry.save(update_fields=["status", "answered_at"])
            continue
        expires = min(now + timedelta(hours=slot.day.period.offer_hours), deadline)
        entry.status = WaitingListEntry.Status.OFFERED
        entry.offered_at = now
        entry.offer_expires_at = expires
        entry.save(update_fields=["status", "offered_at", "offer_expires_at"])
        with translation.override(settings.LANGUAGE_CODE):
            detail = _("Answer before %(moment)s.") % {"moment": moment_label(expires)}
        _event(batch.events, Action.OFFERED, child=entry.child, slot=slot, detail=detail, now=now)
        offered.append(entry)
        free -= 1
    batch.done()
    return offered


def accept_offer(entry, *, by=None, now=None, events=None):
    """Book the offered place. An expired offer is refused (and passed on to the next)."""
    now = _now(now)
    with transaction.atomic():
        _lock_child(entry.child)
        slot = _lock_slot(entry.slot)
        entry = WaitingListEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.status != WaitingListEntry.Status.OFFERED:
            raise BookingError(_("This offer is no longer open."))
        expired = entry.offer_expires_at <= now
        if expired:
            _expire_locked(entry, slot, now)
    if expired:
        raise BookingError(
            _("This offer expired on %(moment)s; the place went to the next family.")
            % {"moment": moment_label(entry.offer_expires_at)}
        )
    return book(entry.child, entry.slot, by=by, now=now, events=events)


def decline_offer(entry, *, by=None, now=None, events=None):
    now = _now(now)
    batch = _Batch(events)
    with transaction.atomic():
        child = _lock_child(entry.child)
        slot = _lock_slot(entry.slot)
        entry = WaitingListEntry.objects.select_for_update().get(pk=entry.pk)
        if entry.status != WaitingListEntry.Status.OFFERED:
            raise BookingError(_("This offer is no longer open."))
        entry.status = WaitingListEntry.Status.DECLINED
        entry.answered_at = now
        entry.save(update_fields=["status", "answered_at"])
        _event(batch.events, Action.OFFER_DECLINED, child=child, slot=slot, by=by, now=now)
        offer_free_places(slot, now=now, events=batch.events)
        batch.done()
    return entry


def _expire_locked(entry, slot, now):
    events = []
    entry.status = WaitingListEntry.Status.EXPIRED
    entry.answered_at = now
    entry.save(update_fields=["status", "answered_at"])
    _event(events, Action.OFFER_EXPIRED, child=entry.child, slot=slot, now=now)
    offer_free_places(slot, now=now, events=events)
    confirm(events)


def expire_offers(*, now=None):
    """Close every offer past its time and offer the place to the next in line.

    Idempotent: an offer already closed is left alone. Returns how many expired.
    """
    now = _now(now)
    due = WaitingListEntry.objects.filter(
        status=WaitingListEntry.Status.OFFERED, offer_expires_at__lte=now
    ).values_list("pk", "slot_id", "child_id")
    expired = 0
    for pk, slot_id, child_id in due:
        with transaction.atomic():
            Child.objects.select_for_update().filter(pk=child_id).first()
            slot = _lock_slot(Slot(pk=slot_id))
            entry = (
                WaitingListEntry.objects.select_for_update(of=("self",))
                .select_related("child")
                .get(pk=pk)
            )
            if entry.status != WaitingListEntry.Status.OFFERED or entry.offer_expires_at > now:
                continue
            _expire_locked(entry, slot, now)
            expired += 1
    return expired


# --- Attendance and absences -------------------------------------------------------------------


def record_attendance(booking, attendance, *, by=None):
    if attendance not in Booking.Attendance.values:
        raise BookingError(_("Unknown attendance."))
    updated = Booking.objects.filter(pk=booking.pk, status=Booking.Status.BOOKED).update(
        attendance=attendance
    )
    if not updated:
        raise BookingError(_("This booking is cancelled."))
    booking.attendance = attendance
    return booking


def justification_window(booking):
    """(from, until): a family may justify an absence once it can no longer cancel the day,
    until the end of the period's `justification_days` after it.
    """
    day = booking.day
    start = day.period.deadline_for(day.date)
    end = deadlines.start_of_day(day.date + timedelta(days=day.period.justification_days + 1))
    return start, end


def can_justify(booking, now):
    """Whether the family may send a justification for this booking now."""
    if not booking.is_active or booking.attendance == Booking.Attendance.PRESENT:
        return False
    try:
        booking.justification  # noqa: B018 - a reverse one-to-one: raises when there is none
        return False
    except AbsenceJustification.DoesNotExist:
        pass
    start, end = justification_window(booking)
    return start <= now < end


def justify_absence(booking, *, reason, document, by=None, now=None, events=None):
    """Send a document justifying an absence; the centre accepts or refuses it."""
    now = _now(now)
    batch = _Batch(events)
    with transaction.atomic():
        booking = (
            Booking.objects.select_for_update(of=("self",))
            .select_related("day__period", "child", "slot__unit", "slot__outing")
            .get(pk=booking.pk)
        )
        if AbsenceJustification.objects.filter(booking=booking).exists():
            raise BookingError(_("An absence justification was already sent for this day."))
        if not booking.is_active:
            raise BookingError(_("This booking is cancelled."))
        start, end = justification_window(booking)
        if now < start:
            raise BookingError(_("You can still cancel this day: cancel it instead."))
        if now >= end or booking.attendance == Booking.Attendance.PRESENT:
            raise BookingError(_("The delay to justify this absence has passed."))
        justification = AbsenceJustification.objects.create(
            booking=booking,
            family_id=booking.family_id,
            reason=reason,
            document=document,
            submitted_by=by,
        )
        _event(
            batch.events,
            Action.ABSENCE_SENT,
            child=booking.child,
            slot=booking.slot,
            booking=booking,
            by=by,
            now=now,
        )
        transaction.on_commit(lambda: _notify_centre(justification.pk))
        batch.done()
    return justification


def _notify_centre(justification_id):
    from .notifications import send_justification_to_centre

    send_justification_to_centre(justification_id)


def accept_absence(justification, *, by=None, now=None, events=None):
    """Accept a justified absence: the day is never invoiced, or credited if it was.

    Returns the credit note issued, if any.
    """
    now = _now(now)
    batch = _Batch(events)
    with transaction.atomic():
        justification = _lock_justification(justification)
        booking = justification.booking
        justification.status = AbsenceJustification.Status.ACCEPTED
        justification.decided_at = now
        justification.decided_by = by
        justification.save(update_fields=["status", "decided_at", "decided_by"])
        Booking.objects.filter(pk=booking.pk).update(attendance=Booking.Attendance.ABSENT)
        credit_note = None
        if booking.invoice_id:
            with translation.override(settings.LANGUAGE_CODE):
                label = _("Justified absence: %(child)s, %(day)s") % {
                    "child": booking.child.first_name,
                    "day": day_label(booking.day.date),
                }
            credit_note = _withdraw_from_invoice(booking, label, by=by)
        _event(
            batch.events,
            Action.ABSENCE_ACCEPTED,
            child=booking.child,
            slot=booking.slot,
            booking=booking,
            by=by,
            on_behalf=True,
            now=now,
        )
        log(
            instance=justification,
            action="reservations.accept_absence",
            user=by,
            data={"credit_note": getattr(credit_note, "number", "")},
        )
        batch.done()
    return credit_note


def refuse_absence(justification, *, by=None, note="", now=None, events=None):
    now = _now(now)
    batch = _Batch(events)
    with transaction.atomic():
        justification = _lock_justification(justification)
        justification.status = AbsenceJustification.Status.REFUSED
        justification.decided_at = now
        justification.decided_by = by
        justification.decision_note = note[:300]
        justification.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
        booking = justification.booking
        _event(
            batch.events,
            Action.ABSENCE_REFUSED,
            child=booking.child,
            slot=booking.slot,
            booking=booking,
            by=by,
            on_behalf=True,
            detail=note,
            now=now,
        )
        log(instance=justification, action="reservations.refuse_absence", user=by)
        batch.done()
    return justification


def _lock_justification(justification):
    justification = (
        AbsenceJustification.objects.select_for_update(of=("self",))
        .select_related("booking__child", "booking__day__period", "booking__slot")
        .get(pk=justification.pk)
    )
    if justification.status != AbsenceJustification.Status.SUBMITTED:
        raise BookingError(_("This justification was already decided."))
    return justification


# --- Monthly invoicing -------------------------------------------------------------------------


@dataclass
class InvoiceRun:
    """What one run of the monthly invoicing did."""

    created: list = field(default_factory=list)
    issued: list = field(default_factory=list)
    errors: list = field(default_factory=list)


def month_bounds(year, month):
    start = date(year, month, 1)
    end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return start, end


def billable_bookings(structure, start, end):
    """Active bookings of the month not yet invoiced, minus accepted absences.

    Unjustified absences stay billable: a booked day is due unless cancelled in time or
    justified.
    """
    return Booking.objects.filter(
        day__period__structure=structure,
        day__date__range=(start, end),
        status=Booking.Status.BOOKED,
        invoice__isnull=True,
    ).exclude(justification__status=AbsenceJustification.Status.ACCEPTED)


def bracket_for(day, quotients, brackets):
    """The tariff bracket of a day: the latest validated quotient familial effective on
    or before it (the family file's, from the accepted CAF/MSA letter), or the highest
    bracket without one. `quotients` newest first, `brackets` lowest first.
    """
    quotient = next((q.quotient for q in quotients if q.effective_date <= day), None)
    if quotient is None:
        return brackets[-1]
    chosen = brackets[0]
    for bracket in brackets:
        if bracket.min_quotient <= quotient:
            chosen = bracket
    return chosen


def invoice_month(structure, year, month, *, by=None, issue=False, pdf_workers=1):
    """Turn a month's bookings into one draft invoice per family (issued if `issue`).

    Lines go per child, unit and category (a unit with a meal gives a care line and a meal
    line), priced by the family's bracket on each day. Idempotent: invoiced bookings are
    marked, so a second run creates nothing; bookings added since get a supplementary
    invoice. A family whose prices are missing is reported and skipped.

    Issued invoices are numbered one after another, then their PDFs are rendered together
    by `pdf_workers` processes (`billing.issue_invoices`), then the families are emailed.
    """
    start, end = month_bounds(year, month)
    run = InvoiceRun()
    family_ids = set(billable_bookings(structure, start, end).values_list("family_id", flat=True))
    brackets = list(TariffBracket.objects.filter(structure=structure).order_by("min_quotient"))
    for family in Family.objects.filter(pk__in=family_ids).order_by("name", "reference"):
        try:
            invoice = invoice_family_month(family, start, end, by=by, brackets=brackets)
        except (BookingError, billing.BillingError) as error:
            run.errors.append((family, " ".join(error.messages)))
            continue
        if invoice is not None:
            run.created.append(invoice)
    if issue and run.created:
        run.issued, refused = billing.issue_invoices(run.created, by=by, workers=pdf_workers)
        run.errors += [(draft.family, " ".join(error.messages)) for draft, error in refused]
    if run.created:
        log(
            instance=structure,
            action="reservations.invoice_month",
            user=by,
            data={"month": f"{year}-{month:02d}", "invoices": len(run.created)},
        )
    return run


def _reference(family, start):
    base = f"RES-{start:%Y-%m}-{family.pk}"
    taken = set(
        Invoice.objects.filter(
            structure_id=family.structure_id, external_reference__startswith=base
        ).values_list("external_reference", flat=True)
    )
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def invoice_family_month(family, start, end, *, by=None, brackets=None):
    structure = family.structure
    if brackets is None:
        brackets = list(TariffBracket.objects.filter(structure=structure).order_by("min_quotient"))
    with transaction.atomic():
        bookings = list(
            billable_bookings(structure, start, end)
            .filter(family=family)
            .select_for_update(of=("self",))
            .select_related("child", "day__period", "slot__unit", "slot__outing")
        )
        if not bookings:
            return None
        quotients = list(
            FamilyQuotient.objects.for_family(family).order_by("-effective_date", "-pk")
        )
        unit_ids = {b.slot.unit_id for b in bookings if b.slot.unit_id}
        prices = {
            (price.unit_id, price.bracket_id): price
            for price in UnitPrice.objects.filter(unit_id__in=unit_ids)
        }
        groups = OrderedDict()
        bookings.sort(
            key=lambda b: (
                b.child.birth_date,
                b.child.first_name,
                b.child_id,
                b.day.period.first_day,
                b.is_outing,
                b.slot.unit.sort_order if b.slot.unit_id else 0,
                b.slot.unit_id or 0,
                b.day.date,
            )
        )
        with translation.override(settings.LANGUAGE_CODE):
            for booking in bookings:
                for key, label, category, price in _priced_parts(
                    booking, quotients, brackets, prices
                ):
                    group = groups.setdefault(
                        key,
                        {
                            "label": label,
                            "category": category,
                            "price": price,
                            "child": booking.child,
                            "bookings": [],
                        },
                    )
                    group["bookings"].append(booking)
        lines = []
        for group in groups.values():
            dates = sorted(b.day.date for b in group["bookings"])
            lines.append(
                billing.LineData(
                    label=group["label"],
                    service_date=dates[0],
                    quantity=Decimal(len(dates)),
                    unit_price=group["price"],
                    category=group["category"],
                    child=group["child"],
                    service_end=dates[-1] if dates[-1] != dates[0] else None,
                )
            )
        invoice = billing.create_draft_invoice(
            family,
            lines,
            by=by,
            period_start=start,
            period_end=end,
            external_reference=_reference(family, start),
        )
        invoice_lines = list(invoice.lines.order_by("sort_order", "pk"))
        through = Booking.invoice_lines.through
        links = [
            through(booking_id=booking.pk, invoiceline_id=line.pk)
            for line, group in zip(invoice_lines, groups.values(), strict=True)
            for booking in group["bookings"]
        ]
        through.objects.bulk_create(links)
        Booking.objects.filter(pk__in=[b.pk for b in bookings]).update(invoice=invoice)
        return invoice


def _priced_parts(booking, quotients, brackets, prices):
    """(group key, label, category, unit price) of each line a booking contributes to."""
    period = booking.day.period
    if booking.is_outing:
        outing = booking.slot.outing
        label = _("Outing: %(name)s") % {"name": outing.name}
        yield (
            (booking.child_id, "outing", outing.pk, outing.price),
            label,
            Category.SORTIE,
            outing.price,
        )
        return
    unit = booking.slot.unit
    if not brackets:
        raise BookingError(_("No tariff bracket is set for this structure."))
    bracket = bracket_for(booking.day.date, quotients, brackets)
    price = prices.get((unit.pk, bracket.pk))
    if price is None:
        raise BookingError(
            _("No price for %(unit)s (%(period)s) in bracket %(bracket)s.")
            % {"unit": unit.name, "period": period.name, "bracket": bracket.name}
        )
    label = f"{unit.name} — {period.name}"
    yield (
        (booking.child_id, "unit", unit.pk, unit.category, price.price),
        label,
        unit.category,
        (price.price),
    )
    if unit.includes_meal and price.meal_price > 0:
        meal_label = _("Meal — %(unit)s") % {"unit": label}
        yield (
            (booking.child_id, "meal", unit.pk, price.meal_price),
            meal_label,
            Category.REPAS,
            price.meal_price,
        )


def _withdraw_from_invoice(booking, reason, *, by=None):
    """Take an invoiced booking off its invoice: a draft is rebuilt without it, an issued
    invoice gets a credit note for the booking's share of its lines. Returns the credit note.
    """
    invoice = Invoice.objects.get(pk=booking.invoice_id)
    if invoice.is_draft:
        family = invoice.family
        start = invoice.period_start or booking.day.date.replace(day=1)
        end = invoice.period_end or month_bounds(start.year, start.month)[1]
        billing.delete_draft_invoice(invoice, by=by)
        booking.invoice = None
        invoice_family_month(family, start, end, by=by)
        return None
    lines = list(booking.invoice_lines.all())
    credit_note = billing.create_draft_credit_note(
        invoice, reason, [(line, Decimal(1)) for line in lines], by=by
    )
    credit_note = billing.issue_credit_note(credit_note, by=by)
    Booking.objects.filter(pk=booking.pk).update(credit_note=credit_note)
    booking.credit_note = credit_note
    return credit_note


# --- Configuration -----------------------------------------------------------------------------


def sync_period(period):
    """Create the period's days (and each day's slots) from its settings.

    Days that became closed by the settings are marked closed; days outside the dates are
    removed only when nothing was ever booked on them. Idempotent.
    """
    closed = parse_dates(period.closed_dates)
    wanted = set(period.wanted_dates())
    with transaction.atomic():
        existing = {day.date: day for day in period.days.all()}
        Day.objects.bulk_create(
            [
                Day(period=period, date=d, is_closed=d in closed)
                for d in sorted(wanted - set(existing))
            ]
        )
        for value, day in existing.items():
            if value in closed and not day.is_closed:
                day.is_closed = True
                day.save(update_fields=["is_closed"])
        stale = [day.pk for value, day in existing.items() if value not in wanted]
        if stale:
            used = set(Booking.objects.filter(day_id__in=stale).values_list("day_id", flat=True))
            Day.objects.filter(pk__in=set(stale) - used).delete()
        for unit in period.units.all():
            sync_unit(unit)


def sync_unit(unit):
    """Give every day of the unit's period a slot for it (for all ages) at its capacity."""
    days = list(Day.objects.filter(period_id=unit.period_id).values_list("pk", flat=True))
    have = set(
        Slot.objects.filter(unit=unit, age_group__isnull=True).values_list("day_id", flat=True)
    )
    Slot.objects.bulk_create(
        [
            Slot(day_id=day_id, unit=unit, capacity=unit.default_capacity)
            for day_id in days
            if day_id not in have
        ]
    )


def sync_outing(outing, *, now=None):
    """Keep the outing's slot on its day with its capacity; offer any place that freed up."""
    with transaction.atomic():
        day = Day.objects.get(period_id=outing.period_id, date=outing.date)
        slot = Slot.objects.filter(outing=outing).first()
        if slot is None:
            return Slot.objects.create(day=day, outing=outing, capacity=outing.capacity)
        slot = _lock_slot(slot)
        if slot.day_id != day.pk or slot.capacity != outing.capacity:
            Slot.objects.filter(pk=slot.pk).update(day=day, capacity=outing.capacity)
            slot.day, slot.capacity = day, outing.capacity
            Booking.objects.filter(slot=slot).update(day=day)
        offer_free_places(slot, now=now)
        return slot


def set_capacity(slot, capacity, *, by=None, now=None):
    """Change a slot's capacity; places it frees are offered to the waiting list.

    Lowering it below what is taken is allowed (nobody is removed); no new booking is then
    accepted until enough places free up.
    """
    with transaction.atomic():
        slot = _lock_slot(slot)
        slot.capacity = capacity
        slot.save(update_fields=["capacity"])
        offer_free_places(slot, now=now)
        log(instance=slot, action="wagtail.edit", user=by, data={"capacity": capacity})
    return slot


# --- Reminders ---------------------------------------------------------------------------------


def send_booking_reminders(*, now=None):
    """Remind families without a booking that the next deadline of an open period is near.

    For each period in its booking window, the next deadline is looked at once it is less
    than `reminder_hours` away; families of the structure with a child but no booking on
    the days it closes are emailed, once per (period, family, deadline), except guardians
    who opted out. Returns the number of emails sent.
    """
    from .notifications import send_reminder

    now = _now(now)
    today = now.astimezone(deadlines.PARIS).date()
    sent = 0
    periods = Period.objects.filter(
        reminder_hours__gt=0, booking_opens_on__lte=today, booking_closes_on__gte=today
    ).select_related("structure")
    for period in periods:
        days = [
            day
            for day in period.days.filter(is_closed=False, date__gte=today)
            if period.deadline_for(day.date) > now
        ]
        if not days:
            continue
        deadline = min(period.deadline_for(day.date) for day in days)
        if deadline - now > timedelta(hours=period.reminder_hours):
            continue
        closing = [day for day in days if period.deadline_for(day.date) == deadline]
        booked = Booking.objects.filter(day__in=closing, status=Booking.Status.BOOKED)
        already = ReminderSent.objects.filter(period=period, deadline=deadline)
        families = (
            Family.objects.filter(structure=period.structure, children__isnull=False)
            .exclude(pk__in=booked.values("family_id"))
            .exclude(pk__in=already.values("family_id"))
            .distinct()
            .prefetch_related("guardians")
        )
        opted_out = set(
            ReminderPreference.objects.filter(
                send_reminders=False, guardian__family__structure=period.structure
            ).values_list("guardian_id", flat=True)
        )
        for family in families:
            recipients = [
                g.email for g in family.guardians.all() if g.email and g.pk not in opted_out
            ]
            ReminderSent.objects.create(period=period, family=family, deadline=deadline)
            if recipients:
                send_reminder(period, family, closing, deadline, recipients)
                sent += 1
    return sent


def last_attendance(families):
    """{family_id: last booked day on or before today}: for the family file's retention."""
    rows = (
        Booking.objects.filter(
            family__in=families,
            status=Booking.Status.BOOKED,
            day__date__lte=timezone.localdate(),
        )
        .values("family_id")
        .annotate(last=Max("day__date"))
    )
    return {row["family_id"]: row["last"] for row in rows}
