"""The "Réservations" pages of the family area.

Every object is reached through `self.family` (children, bookings, waiting-list entries)
or `self.structure` (periods, slots): another family's child or booking is a 404 and
nothing changes. Deadlines and capacity are enforced by the services, never here.
"""

import re

from django.contrib import messages
from django.core.exceptions import BadRequest
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, View

from core.page_cache import CachedPageMixin
from family_file import services as family_file_services
from parents.views import FamilyAreaMixin, FamilyPageView

from . import services
from .calendar import OPEN, build_calendar, build_family_calendar
from .forms import JustificationForm, ReminderPreferenceForm, TypicalWeekForm
from .models import Booking, BookingEvent, Period, ReminderPreference, Slot, WaitingListEntry

MENU = "reservations:bookings"
HISTORY_PER_PAGE = 50


def event_sentence(event):
    """ "Réservé : Hugo, mercredi 2 décembre 2026 — Journée avec repas"."""
    return _("%(action)s: %(child)s, %(day)s — %(unit)s") % {
        "action": event.get_action_display(),
        "child": event.child.first_name,
        "day": services.day_label(event.slot.day.date),
        "unit": event.slot.label,
    }


def report(request, events, errors):
    """Confirm on screen what changed and what was refused, and by email what changed."""
    for event in events:
        messages.success(request, event_sentence(event))
        if event.action == BookingEvent.Action.OUTING_CANCELLED and event.detail:
            messages.warning(request, event.detail)
    for error in errors:
        messages.error(request, error)
    if events:
        services.confirm(events)


# The largest primary key the database can hold: a bigger number names nothing, and
# handing it to the database would raise an overflow error instead of an answer.
MAX_ID = 2**63 - 1


def int_list(values):
    """The ids a booking form sent; anything that is not one (text, a number the database
    cannot hold) is a malformed request, answered 400."""
    if not all(str(value).isascii() and str(value).isdigit() for value in values):
        raise BadRequest("Malformed id")
    ids = {int(value) for value in values}
    if any(not 0 < pk <= MAX_ID for pk in ids):
        raise BadRequest("Id out of range")
    return sorted(ids)


class BookingsMixin(FamilyAreaMixin):
    menu_url_name = MENU

    @cached_property
    def now(self):
        return timezone.now()

    def open_periods(self):
        return Period.objects.visible_to_families(self.structure, self.now)


class BookingsHomeView(BookingsMixin, FamilyPageView):
    """Children and open periods, offers waiting for an answer, waiting-list positions."""

    template_name = "reservations/home.html"
    page_title = gettext_lazy("Bookings")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        children = list(self.family.children.all())
        periods = list(self.open_periods())
        counts = {}
        rows = (
            Booking.objects.for_family(self.family)
            .filter(day__period__in=periods, status=Booking.Status.BOOKED, is_outing=False)
            .values_list("child_id", "day__period_id")
        )
        for child_id, period_id in rows:
            counts[(child_id, period_id)] = counts.get((child_id, period_id), 0) + 1
        entries = list(
            WaitingListEntry.objects.for_family(self.family)
            .filter(status__in=[WaitingListEntry.Status.WAITING, WaitingListEntry.Status.OFFERED])
            .select_related("child", "slot__day__period", "slot__unit", "slot__outing")
            .order_by("slot__day__date", "pk")
        )
        positions = services.waiting_positions(entries) if entries else {}
        for entry in entries:
            entry.position = positions.get(entry.pk)
        context.update(
            file_missing=family_file_services.booking_blockers(self.family),
            children=children,
            # One line per period, opening the family calendar, with each child's count.
            periods=[
                {
                    "period": period,
                    "children": [
                        {"child": child, "booked": counts.get((child.pk, period.pk), 0)}
                        for child in children
                    ],
                }
                for period in periods
            ],
            offers=[
                e
                for e in entries
                if e.status == WaitingListEntry.Status.OFFERED and e.offer_expires_at > self.now
            ],
            waiting=[e for e in entries if e.status == WaitingListEntry.Status.WAITING],
        )
        return context


class CalendarView(CachedPageMixin, BookingsMixin, FamilyPageView):
    """One child's calendar for one period: a plain form (checkboxes per day) that books,
    cancels and joins waiting lists in one submission, then a typical week for the period.

    Kept per session until a booking, day or slot changes (core.page_cache), a minute at
    most: deadlines and offers expire with the clock.
    """

    page_cache_seconds = 60

    template_name = "reservations/calendar.html"

    @cached_property
    def children(self):
        """The family's children, read once: the page names the others too."""
        return list(self.family.children.all())

    @cached_property
    def child(self):
        for child in self.children:
            if child.pk == self.kwargs["child_id"]:
                return child
        raise Http404

    @cached_property
    def period(self):
        return get_object_or_404(
            Period.objects.filter(structure=self.structure).select_related("structure"),
            pk=self.kwargs["period_id"],
        )

    def get_page_title(self):
        return _("%(child)s — %(period)s") % {
            "child": self.child.first_name,
            "period": self.period.name,
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        calendar = build_calendar(self.child, self.period, self.now)
        context.update(
            file_missing=family_file_services.booking_blockers(self.family),
            page_title=self.get_page_title(),
            calendar=calendar,
            child=self.child,
            period=self.period,
            children=self.children,
            typical_week_form=kwargs.get("typical_week_form")
            or TypicalWeekForm(period=self.period, units=calendar.units),
            action_url=self.request.path,
        )
        return context

    def post(self, request, *args, **kwargs):
        child, period = self.child, self.period
        book_ids = int_list(request.POST.getlist("book"))
        wait_ids = int_list(request.POST.getlist("wait"))
        cancel_ids = int_list(request.POST.getlist("cancel"))
        leave_ids = int_list(request.POST.getlist("leave"))
        slots = {
            slot.pk: slot
            for slot in Slot.objects.filter(day__period=period, pk__in=book_ids + wait_ids)
        }
        bookings = list(
            Booking.objects.for_family(self.family).filter(
                child=child, day__period=period, pk__in=cancel_ids
            )
        )
        entries = list(
            WaitingListEntry.objects.for_family(self.family).filter(
                child=child, slot__day__period=period, pk__in=leave_ids
            )
        )
        # A slot of another period or structure, or a booking or waiting-list entry of
        # another child or family, is answered as if it did not exist.
        if (
            len(slots) != len(set(book_ids + wait_ids))
            or len(bookings) != len(cancel_ids)
            or len(entries) != len(leave_ids)
        ):
            raise Http404
        if not (book_ids or wait_ids or cancel_ids or leave_ids):
            messages.info(request, _("Nothing was selected: tick the days to change."))
            return redirect(request.path)
        events, errors = [], []
        for entry in entries:
            self._apply(services.leave_waiting_list, errors, entry, events=events)
        for booking in bookings:
            self._apply(services.cancel, errors, booking, events=events)
        for slot_id in book_ids:
            self._apply(services.book, errors, child, slots[slot_id], events=events)
        for slot_id in wait_ids:
            self._apply(services.join_waiting_list, errors, child, slots[slot_id], events=events)
        report(request, events, errors)
        return redirect(request.path)

    def _apply(self, service, errors, *args, events):
        try:
            service(*args, by=self.request.user, now=self.now, events=events)
        except services.BookingError as error:
            errors.extend(error.messages)


# "book-12" / "wait-12": the units ticked for the child with id 12 on the family calendar.
CHILD_CHOICE_FIELD = re.compile(r"^(book|wait)-(.+)$")
# The refusals of the last submission, shown next to the child and day they concern.
CALENDAR_ERRORS_KEY = "reservations.family_calendar_errors"


class FamilyCalendarView(CachedPageMixin, BookingsMixin, FamilyPageView):
    """Every child of the family on one calendar for one period, booked in one submission.

    Each child's choices go through the same services as on a child's own calendar, one
    child at a time, so deadlines, capacity, waiting lists, age groups and prices apply per
    child. A refusal is shown next to the child and the day it concerns.
    """

    template_name = "reservations/family_calendar.html"
    page_cache_seconds = 60

    @cached_property
    def period(self):
        return get_object_or_404(
            Period.objects.filter(structure=self.structure).select_related("structure"),
            pk=self.kwargs["period_id"],
        )

    @cached_property
    def children(self):
        return list(self.family.children.all())

    def get_page_title(self):
        return self.period.name

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        errors = self.request.session.pop(CALENDAR_ERRORS_KEY, None) or {}
        if errors.get("period") != self.period.pk:
            errors = {}
        children = {child.pk: child for child in self.children}
        refusals = [
            {**error, "child": children[error["child"]]}
            for error in errors.get("items", [])
            if error["child"] in children
        ]
        calendar = build_family_calendar(self.children, self.period, self.now)
        refused = {}
        for refusal in refusals:
            refused.setdefault((refusal["child"].pk, refusal["where"]), []).append(
                refusal["message"]
            )
        for week in calendar.weeks:
            for day in week.days:
                for child, row in day.rows:
                    row.refusals = refused.get((child.pk, f"day-{row.day.pk}"), [])
        for _first, rows in calendar.outings:
            for child, row in rows:
                row.refusals = refused.get((child.pk, f"outing-{row.choice.slot.pk}"), [])
        context.update(
            file_missing=family_file_services.booking_blockers(self.family),
            page_title=self.get_page_title(),
            calendar=calendar,
            period=self.period,
            refusals=refusals,
            action_url=self.request.path,
        )
        return context

    def choices_by_child(self, post):
        """{child: {"book": [slot ids], "wait": [slot ids]}} from the posted fields; a child
        who is not one of the family's is answered as if it did not exist."""
        children = {child.pk: child for child in self.children}
        wanted = {}
        for key in post:
            match = CHILD_CHOICE_FIELD.match(key)
            if match is None:
                continue
            (child_id,) = int_list([match[2]])
            if child_id not in children:
                raise Http404
            choices = wanted.setdefault(children[child_id], {"book": [], "wait": []})
            choices[match[1]] = int_list(post.getlist(key))
        return wanted

    def post(self, request, *args, **kwargs):
        period = self.period
        wanted = self.choices_by_child(request.POST)
        cancel_ids = int_list(request.POST.getlist("cancel"))
        leave_ids = int_list(request.POST.getlist("leave"))
        slot_ids = {pk for choices in wanted.values() for ids in choices.values() for pk in ids}
        slots = {slot.pk: slot for slot in Slot.objects.filter(day__period=period, pk__in=slot_ids)}
        bookings = list(
            Booking.objects.for_family(self.family)
            .filter(day__period=period, pk__in=cancel_ids)
            .select_related("child", "slot")
        )
        entries = list(
            WaitingListEntry.objects.for_family(self.family)
            .filter(slot__day__period=period, pk__in=leave_ids)
            .select_related("child", "slot")
        )
        # A slot of another period or structure, or a booking or waiting-list entry of
        # another family, is answered as if it did not exist.
        if (
            len(slots) != len(slot_ids)
            or len(bookings) != len(cancel_ids)
            or len(entries) != len(leave_ids)
        ):
            raise Http404
        if not (slot_ids or cancel_ids or leave_ids):
            messages.info(request, _("Nothing was selected: tick the days to change."))
            return redirect(request.path)
        events, refusals = [], []

        def apply(service, child, slot, *args):
            try:
                service(*args, by=request.user, now=self.now, events=events)
            except services.BookingError as error:
                # Where the refusal is shown: the child's outing card, or the child's day.
                where = f"outing-{slot.pk}" if slot.outing_id else f"day-{slot.day_id}"
                refusals.extend(
                    {"child": child.pk, "where": where, "message": message}
                    for message in error.messages
                )

        for entry in entries:
            apply(services.leave_waiting_list, entry.child, entry.slot, entry)
        for booking in bookings:
            apply(services.cancel, booking.child, booking.slot, booking)
        for child, choices in wanted.items():
            for slot_id in choices["book"]:
                apply(services.book, child, slots[slot_id], child, slots[slot_id])
            for slot_id in choices["wait"]:
                apply(services.join_waiting_list, child, slots[slot_id], child, slots[slot_id])
        report(request, events, [])
        if refusals:
            request.session[CALENDAR_ERRORS_KEY] = {"period": period.pk, "items": refusals}
            return redirect(request.path + "#refusals")
        return redirect(request.path)


class TypicalWeekView(CalendarView):
    """Apply a typical week (weekdays and a unit) to every open day of the period."""

    def get(self, request, *args, **kwargs):
        return redirect(self.calendar_url)

    @property
    def calendar_url(self):
        return reverse("reservations:calendar", args=(self.child.pk, self.period.pk))

    def post(self, request, *args, **kwargs):
        calendar = build_calendar(self.child, self.period, self.now)
        form = TypicalWeekForm(request.POST, period=self.period, units=calendar.units)
        if not form.is_valid():
            self.template_name = CalendarView.template_name
            return self.render_to_response(self.get_context_data(typical_week_form=form))
        weekdays = set(form.cleaned_data["weekdays"])
        unit = form.cleaned_data["unit"]
        events, errors = [], []
        for week in calendar.weeks:
            for row in week.days:
                if row.date.weekday() not in weekdays or row.state != OPEN or row.booking:
                    continue
                choice = next((c for c in row.choices if c.slot.unit_id == unit.pk), None)
                if choice is None or choice.entry is not None:
                    continue
                if choice.is_full and form.cleaned_data["wait_if_full"]:
                    self._apply(
                        services.join_waiting_list, errors, self.child, choice.slot, events=events
                    )
                else:
                    self._apply(services.book, errors, self.child, choice.slot, events=events)
        if not events and not errors:
            messages.info(request, _("Every open day of these weekdays is already booked."))
        report(request, events, errors)
        return redirect(self.calendar_url)


class OfferAnswerView(BookingsMixin, View):
    """Accept or decline a place offered from the waiting list."""

    def post(self, request, entry_id):
        entry = get_object_or_404(
            WaitingListEntry.objects.for_family(self.family).select_related("child", "slot"),
            pk=entry_id,
        )
        answer = request.POST.get("answer")
        if answer not in ("accept", "decline"):
            raise Http404
        service = services.accept_offer if answer == "accept" else services.decline_offer
        events, errors = [], []
        try:
            service(entry, by=request.user, now=self.now, events=events)
        except services.BookingError as error:
            errors.extend(error.messages)
        report(request, events, errors)
        return redirect("reservations:bookings")


class LeaveWaitingListView(BookingsMixin, View):
    def post(self, request, entry_id):
        entry = get_object_or_404(
            WaitingListEntry.objects.for_family(self.family).select_related("child", "slot"),
            pk=entry_id,
        )
        events, errors = [], []
        try:
            services.leave_waiting_list(entry, by=request.user, now=self.now, events=events)
        except services.BookingError as error:
            errors.extend(error.messages)
        report(request, events, errors)
        return redirect("reservations:bookings")


class JustifyAbsenceView(BookingsMixin, FormView):
    """Send a document for an absence the family can no longer cancel."""

    template_name = "reservations/justify_absence.html"
    form_class = JustificationForm
    page_title = gettext_lazy("Justify an absence")

    @cached_property
    def booking(self):
        return get_object_or_404(
            Booking.objects.for_family(self.family).select_related(
                "child", "day__period", "slot__unit", "slot__outing"
            ),
            pk=self.kwargs["booking_id"],
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        start, end = services.justification_window(self.booking)
        context.update(
            booking=self.booking,
            allowed=services.can_justify(self.booking, self.now),
            justify_until=end,
            calendar_url=reverse(
                "reservations:calendar", args=(self.booking.child_id, self.booking.day.period_id)
            ),
        )
        return context

    def form_valid(self, form):
        events = []
        try:
            services.justify_absence(
                self.booking,
                reason=form.cleaned_data["reason"],
                document=form.cleaned_data["document"],
                by=self.request.user,
                now=self.now,
                events=events,
            )
        except services.BookingError as error:
            form.add_error(None, error)
            return self.form_invalid(form)
        report(self.request, events, [])
        messages.info(
            self.request, _("The centre will review your document and tell you its decision.")
        )
        return redirect("reservations:calendar", self.booking.child_id, self.booking.day.period_id)


class HistoryView(BookingsMixin, FamilyPageView):
    """Every change to the family's bookings, newest first."""

    template_name = "reservations/history.html"
    page_title = gettext_lazy("Booking history")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        events = BookingEvent.objects.filter(family=self.family).select_related(
            "child", "slot__day", "slot__unit", "slot__outing"
        )
        page = Paginator(events, HISTORY_PER_PAGE).get_page(self.request.GET.get("page"))
        context.update(page_obj=page, events=page.object_list)
        return context


class ReminderSettingsView(BookingsMixin, FormView):
    """The guardian's choice about reminder emails (opt-out)."""

    template_name = "reservations/reminders.html"
    form_class = ReminderPreferenceForm
    page_title = gettext_lazy("Booking reminders")

    def get_form_kwargs(self):
        preference = ReminderPreference.objects.filter(guardian=self.guardian).first()
        return {
            **super().get_form_kwargs(),
            "instance": preference or ReminderPreference(guardian=self.guardian),
        }

    def form_valid(self, form):
        preference = form.save()
        messages.success(
            self.request,
            _("Reminders before booking deadlines will be sent to you.")
            if preference.send_reminders
            else _("You will no longer receive booking reminders."),
        )
        return redirect("reservations:reminders")
