"""Admin views of the bookings ("Réservations"): configuration, attendance, capacity
dashboard, waiting lists, booking on behalf of families, absences, monthly invoicing.

Scope: every object is looked up through the structures of the member of staff
(`for_staff`), so another structure's family, period, slot or booking answers 404 whatever
the URL typed. Changes go through `reservations.services` like the family area's, with
`on_behalf=True`: the centre may pass the deadline, and such changes are recorded as such.
"""

from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView, View

from wagtail.admin import messages
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views import generic
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from core.admin import PermissionRequiredMixin, ScopedCreateView, ScopedEditView
from family_file import services as family_file_services
from family_file.models import SheetConsultation
from family_file.pdf import health_sheets_pdf
from parents.models import Child, Family, Structure

from . import services
from .admin_forms import InvoiceMonthForm, RefuseAbsenceForm, StructureDateForm
from .calendar import build_calendar
from .models import (
    AbsenceJustification,
    Booking,
    BookingEvent,
    Period,
    Slot,
    WaitingListEntry,
    age_on,
)

VIEW_PERMISSION = "reservations.view_booking"
CHANGE_PERMISSION = "reservations.change_booking"
ADD_PERMISSION = "reservations.add_booking"
ABSENCE_PERMISSION = "reservations.change_absencejustification"
INVOICE_PERMISSION = "billing.add_invoice"
HEALTH_PERMISSION = "family_file.view_healthsheet"


def staff_message(request, events, errors):
    """Confirm the changes made on behalf of a family, and the refusals."""
    for event in events:
        messages.success(
            request,
            _("%(action)s: %(child)s, %(day)s — %(unit)s")
            % {
                "action": event.get_action_display(),
                "child": event.child,
                "day": services.day_label(event.slot.day.date),
                "unit": event.slot.label,
            },
        )
    for error in errors:
        messages.error(request, error)
    if events:
        services.confirm(events)


class ToolView(PermissionRequiredMixin, WagtailAdminTemplateMixin, TemplateView):
    """A page of the bookings admin that is not a model's list or form."""

    header_icon = "date"

    @cached_property
    def now(self):
        return timezone.now()

    @cached_property
    def structures(self):
        return Structure.objects.for_staff(self.request.user)


# --- Configuration: saving also builds days and slots --------------------------------------


class PeriodCreateView(ScopedCreateView):
    def save_instance(self):
        period = super().save_instance()
        services.sync_period(period)
        return period


class PeriodEditView(ScopedEditView):
    def save_instance(self):
        period = super().save_instance()
        services.sync_period(period)
        return period


class UnitCreateView(ScopedCreateView):
    def save_instance(self):
        unit = super().save_instance()
        services.sync_unit(unit)
        return unit


class UnitEditView(ScopedEditView):
    def save_instance(self):
        unit = super().save_instance()
        services.sync_unit(unit)
        return unit


class OutingCreateView(ScopedCreateView):
    def save_instance(self):
        outing = super().save_instance()
        services.sync_outing(outing)
        return outing


class OutingEditView(ScopedEditView):
    def save_instance(self):
        outing = super().save_instance()
        services.sync_outing(outing)
        return outing


class SlotEditView(ScopedEditView):
    """A new capacity goes through the service: freed places are offered at once."""

    def save_instance(self):
        capacity = self.form.cleaned_data["capacity"]
        return services.set_capacity(self.object, capacity, by=self.request.user)


# --- Attendance --------------------------------------------------------------------------------


def attendance_rows(structure, on_date):
    """One row per child booked that day: unit, meal, outing, attendance, age."""
    bookings = (
        Booking.objects.filter(
            day__period__structure=structure,
            day__date=on_date,
            status=Booking.Status.BOOKED,
        )
        .select_related("child__family", "slot__unit", "slot__outing")
        .order_by("child__last_name", "child__first_name", "child_id", "is_outing")
    )
    rows = {}
    for booking in bookings:
        row = rows.setdefault(
            booking.child_id,
            {
                "child": booking.child,
                "age": age_on(booking.child, on_date),
                "family": booking.child.family,
                "unit_booking": None,
                "outings": [],
            },
        )
        if booking.is_outing:
            row["outings"].append(booking.slot.outing)
        else:
            row["unit_booking"] = booking
    markers = family_file_services.health_markers([row["child"] for row in rows.values()])
    for child_id, row in rows.items():
        row["health_markers"] = markers.get(child_id, [])
    return list(rows.values())


class AttendanceView(ToolView):
    """The day's list of children per structure, to mark present or absent, or print."""

    permission = VIEW_PERMISSION
    template_name = "reservations/admin/attendance.html"
    page_title = gettext_lazy("Attendance list")

    @cached_property
    def form(self):
        data = self.request.GET if "date" in self.request.GET else None
        form = StructureDateForm(data, user=self.request.user)
        if data is None:
            form.fields["date"].initial = timezone.localdate()
        return form

    def selection(self):
        if self.form.is_bound and self.form.is_valid():
            return self.form.cleaned_data["structure"], self.form.cleaned_data["date"]
        if not self.form.is_bound and len(self.structures) == 1:
            return self.structures[0], timezone.localdate()
        return None, None

    def get(self, request, *args, **kwargs):
        structure, on_date = self.selection()
        if structure is not None and request.GET.get("format") == "pdf":
            return self.pdf(structure, on_date)
        if structure is not None and request.GET.get("format") == "health":
            return self.health_pdf(structure, on_date, request.GET.get("outing", ""))
        return super().get(request, *args, **kwargs)

    def health_pdf(self, structure, on_date, outing_id):
        """Every booked child's health sheet in one PDF, for the day or for one outing;
        each sheet printed is logged as an opening by this member of staff.
        """
        if not self.request.user.has_perm(HEALTH_PERMISSION):
            raise PermissionDenied
        rows = attendance_rows(structure, on_date)
        title = f"Fiches sanitaires — {structure.name} — {on_date:%d/%m/%Y}"
        if outing_id:
            rows = [r for r in rows if any(str(o.pk) == outing_id for o in r["outings"])]
            outing = next((o for r in rows for o in r["outings"] if str(o.pk) == outing_id), None)
            if outing is None:
                raise Http404
            title = f"Fiches sanitaires — {outing.name} — {on_date:%d/%m/%Y}"
        children = [row["child"] for row in rows]
        for child in children:
            family_file_services.record_consultation(
                child, self.request.user, SheetConsultation.Kind.DAY_PDF
            )
        data = health_sheets_pdf(children, title=title, structure=structure)
        response = HttpResponse(data, content_type="application/pdf")
        suffix = f"-sortie-{outing_id}" if outing_id else ""
        response["Content-Disposition"] = (
            f'attachment; filename="fiches-sanitaires-{structure.slug}-{on_date:%Y-%m-%d}'
            f'{suffix}.pdf"'
        )
        response["Cache-Control"] = "no-store"
        return response

    def pdf(self, structure, on_date):
        from billing.ledger.pdf import render_pdf

        data = render_pdf(
            "reservations/pdf/attendance.html",
            {
                "structure": structure,
                "date": on_date,
                "rows": attendance_rows(structure, on_date),
                "printed_at": timezone.localtime(),
            },
        )
        response = HttpResponse(data, content_type="application/pdf")
        response["Content-Disposition"] = (
            f'attachment; filename="presences-{structure.slug}-{on_date:%Y-%m-%d}.pdf"'
        )
        return response

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        structure, on_date = self.selection()
        rows = attendance_rows(structure, on_date) if structure else []
        context.update(
            form=self.form,
            structure=structure,
            date=on_date,
            rows=rows,
            attendance_choices=Booking.Attendance.choices,
            can_mark=self.request.user.has_perm(CHANGE_PERMISSION),
            can_see_health=self.request.user.has_perm(HEALTH_PERMISSION),
            outings=sorted(
                {outing for row in rows for outing in row["outings"]}, key=lambda o: o.name
            ),
        )
        return context

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm(CHANGE_PERMISSION):
            raise PermissionDenied
        structure = get_object_or_404(self.structures, pk=request.POST.get("structure"))
        bookings = Booking.objects.filter(
            day__period__structure=structure,
            status=Booking.Status.BOOKED,
            pk__in=[
                int(name.split("-", 1)[1])
                for name in request.POST
                if name.startswith("attendance-") and name.split("-", 1)[1].isdigit()
            ],
        )
        changed = 0
        for booking in bookings:
            value = request.POST.get(f"attendance-{booking.pk}", "")
            if value in Booking.Attendance.values and value != booking.attendance:
                services.record_attendance(booking, value, by=request.user)
                changed += 1
        messages.success(request, _("Attendance saved (%(count)s changed).") % {"count": changed})
        return redirect(f"{request.path}?{request.POST.get('query', '')}")


# --- Capacity dashboard and waiting lists ------------------------------------------------------


class DashboardView(ToolView):
    """Per period: each day and unit with places taken, capacity, offers and waiting list."""

    permission = VIEW_PERMISSION
    template_name = "reservations/admin/dashboard.html"
    page_title = gettext_lazy("Capacity dashboard")
    waiting_list_url_name = None

    @cached_property
    def periods(self):
        return list(
            Period.objects.for_staff(self.request.user)
            .select_related("structure")
            .order_by("-first_day")
        )

    @cached_property
    def period(self):
        wanted = self.request.GET.get("period")
        if wanted:
            for period in self.periods:
                if str(period.pk) == wanted:
                    return period
            raise Http404
        # By default the period running or coming next; else the latest one.
        today = timezone.localdate()
        current = sorted(
            (p for p in self.periods if p.last_day >= today), key=lambda p: (p.first_day, p.pk)
        )
        if current:
            return current[0]
        return self.periods[0] if self.periods else None

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        period = self.period
        context.update(periods=self.periods, period=period, rows=[], units=[], outings=[])
        if period is None:
            return context
        units = list(period.units.order_by("sort_order", "pk"))
        slots = list(
            Slot.objects.filter(day__period=period).select_related(
                "day", "unit", "outing", "age_group"
            )
        )
        taken = services.occupancy(slots, self.now)
        waiting = dict.fromkeys((slot.pk for slot in slots), 0)
        for slot_id in WaitingListEntry.objects.filter(
            slot__in=slots, status=WaitingListEntry.Status.WAITING
        ).values_list("slot_id", flat=True):
            waiting[slot_id] += 1
        cells = {}
        outings = []
        for slot in slots:
            cell = {
                "slot": slot,
                "taken": taken[slot.pk],
                "waiting": waiting[slot.pk],
                "full": taken[slot.pk] >= slot.capacity,
                "url": reverse(self.waiting_list_url_name, args=(slot.pk,)),
            }
            if slot.outing_id:
                outings.append(cell)
            else:
                cells.setdefault((slot.day_id, slot.unit_id), []).append(cell)
        rows = [
            {"day": day, "cells": [cells.get((day.pk, unit.pk), []) for unit in units]}
            for day in period.days.order_by("date")
        ]
        context.update(units=units, rows=rows, outings=outings)
        return context


class WaitingListView(ToolView):
    """One slot's waiting list in queue order, with offers and their deadlines."""

    permission = VIEW_PERMISSION
    template_name = "reservations/admin/waiting_list.html"
    dashboard_url_name = None

    @cached_property
    def slot(self):
        return get_object_or_404(
            Slot.objects.for_staff(self.request.user).select_related(
                "day__period", "unit", "outing", "age_group"
            ),
            pk=self.kwargs["slot_id"],
        )

    def get_page_title(self):
        return _("Waiting list: %(slot)s") % {"slot": self.slot}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        entries = list(
            WaitingListEntry.objects.filter(slot=self.slot)
            .in_queue_order()
            .select_related("child__family")
        )
        position = 0
        for entry in entries:
            if entry.status == WaitingListEntry.Status.WAITING:
                position += 1
                entry.position = position
        bookings = list(
            Booking.objects.filter(slot=self.slot, status=Booking.Status.BOOKED)
            .select_related("child__family")
            .order_by("child__last_name", "child__first_name")
        )
        context.update(
            slot=self.slot,
            entries=entries,
            bookings=bookings,
            taken=services.taken_places(self.slot, self.now),
            can_change=self.request.user.has_perm(CHANGE_PERMISSION),
            dashboard_url=reverse(self.dashboard_url_name) + f"?period={self.slot.day.period_id}",
        )
        return context

    def post(self, request, *args, **kwargs):
        if not request.user.has_perm(CHANGE_PERMISSION):
            raise PermissionDenied
        entry = get_object_or_404(
            WaitingListEntry.objects.filter(slot=self.slot), pk=request.POST.get("entry")
        )
        events, errors = [], []
        try:
            services.leave_waiting_list(entry, by=request.user, events=events)
        except services.BookingError as error:
            errors.extend(error.messages)
        staff_message(request, events, errors)
        return redirect(request.path)


# --- Booking on behalf of a family -------------------------------------------------------------


class OnBehalfFamilyIndexView(PermissionRequiredMixin, generic.IndexView):
    """The families of the member of staff, each opening its children's calendars."""

    permission = ADD_PERMISSION
    model = Family
    any_permission_required = None
    page_title = gettext_lazy("Book for a family")
    header_icon = "date"
    search_fields = ["name", "reference"]
    default_ordering = "name"
    # A page at a time: an association may have 100,000 families.
    paginate_by = 50
    family_url_name = None

    def get_base_queryset(self):
        return Family.objects.for_staff(self.request.user).select_related("structure")

    @cached_property
    def list_display(self):
        return [
            TitleColumn(
                "name",
                label=gettext_lazy("Family"),
                accessor=str,
                sort_key="name",
                get_url=lambda family: reverse(self.family_url_name, args=(family.pk,)),
            ),
            Column("structure", label=gettext_lazy("Structure")),
        ]

    def get_add_url(self):
        return None


class OnBehalfFamilyView(ToolView):
    permission = ADD_PERMISSION
    template_name = "reservations/admin/family.html"
    calendar_url_name = None
    index_url_name = None

    @cached_property
    def family(self):
        return get_object_or_404(
            Family.objects.for_staff(self.request.user).select_related("structure"),
            pk=self.kwargs["family_id"],
        )

    def get_page_title(self):
        return _("Bookings of %(family)s") % {"family": self.family}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        periods = list(
            Period.objects.filter(structure=self.family.structure).order_by("-first_day")
        )
        children = list(self.family.children.all())
        context.update(
            family=self.family,
            rows=[
                {
                    "child": child,
                    "links": [
                        (period, reverse(self.calendar_url_name, args=(child.pk, period.pk)))
                        for period in periods
                    ],
                }
                for child in children
            ],
            index_url=reverse(self.index_url_name),
            events=BookingEvent.objects.filter(family=self.family).select_related(
                "child", "slot__day", "slot__unit", "slot__outing", "by"
            )[:30],
        )
        return context


class OnBehalfCalendarView(ToolView):
    """A child's calendar for the centre: every day open (past the deadline too), changes
    recorded as made by the centre, and late when past the family's deadline.
    """

    permission = ADD_PERMISSION
    template_name = "reservations/admin/calendar.html"
    family_url_name = None

    @cached_property
    def child(self):
        families = Family.objects.for_staff(self.request.user)
        return get_object_or_404(
            Child.objects.filter(family__in=families).select_related("family"),
            pk=self.kwargs["child_id"],
        )

    @cached_property
    def period(self):
        return get_object_or_404(
            Period.objects.filter(structure_id=self.child.family.structure_id),
            pk=self.kwargs["period_id"],
        )

    def get_page_title(self):
        return _("%(child)s — %(period)s") % {"child": self.child, "period": self.period}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            child=self.child,
            period=self.period,
            calendar=build_calendar(self.child, self.period, self.now, staff=True),
            family_url=reverse(self.family_url_name, args=(self.child.family_id,)),
        )
        return context

    def post(self, request, *args, **kwargs):
        child, period = self.child, self.period

        def ids(name):
            try:
                return sorted({int(value) for value in request.POST.getlist(name)})
            except ValueError:
                raise Http404 from None

        book_ids, wait_ids, cancel_ids = ids("book"), ids("wait"), ids("cancel")
        slots = {
            slot.pk: slot
            for slot in Slot.objects.filter(day__period=period, pk__in=book_ids + wait_ids)
        }
        bookings = list(Booking.objects.filter(child=child, day__period=period, pk__in=cancel_ids))
        if len(slots) != len(set(book_ids + wait_ids)) or len(bookings) != len(cancel_ids):
            raise Http404
        events, errors = [], []
        calls = [(services.cancel, booking) for booking in bookings]
        calls += [(services.book, slots[pk]) for pk in book_ids]
        calls += [(services.join_waiting_list, slots[pk]) for pk in wait_ids]
        for service, target in calls:
            args = (target,) if service is services.cancel else (child, target)
            try:
                service(*args, by=request.user, on_behalf=True, now=self.now, events=events)
            except services.BookingError as error:
                errors.extend(error.messages)
        staff_message(request, events, errors)
        return redirect(request.path)


# --- Absences ----------------------------------------------------------------------------------


class AbsenceIndexView(PermissionRequiredMixin, generic.IndexView):
    permission = ABSENCE_PERMISSION
    model = AbsenceJustification
    any_permission_required = None
    page_title = gettext_lazy("Absence justifications")
    header_icon = "doc-full"
    default_ordering = "-submitted_at"
    review_url_name = None

    def get_base_queryset(self):
        return AbsenceJustification.objects.for_staff(self.request.user).select_related(
            "family", "booking__child", "booking__day"
        )

    @cached_property
    def list_display(self):
        return [
            TitleColumn(
                "booking",
                label=gettext_lazy("Child and day"),
                accessor=lambda j: f"{j.booking.child} — {j.booking.day.date:%d/%m/%Y}",
                get_url=lambda j: reverse(self.review_url_name, args=(j.pk,)),
            ),
            Column("family", label=gettext_lazy("Family")),
            Column("status", label=gettext_lazy("Status"), accessor="get_status_display"),
            Column("submitted_at", label=gettext_lazy("Sent at"), sort_key="submitted_at"),
        ]

    def get_add_url(self):
        return None


class AbsenceReviewView(ToolView):
    """Read a justification and its document, then accept (credit) or refuse it."""

    permission = ABSENCE_PERMISSION
    template_name = "reservations/admin/absence_review.html"
    index_url_name = None
    document_url_name = None

    @cached_property
    def justification(self):
        return get_object_or_404(
            AbsenceJustification.objects.for_staff(self.request.user).select_related(
                "family",
                "booking__child",
                "booking__day__period",
                "booking__slot__unit",
                "booking__slot__outing",
                "booking__invoice",
                "booking__credit_note",
            ),
            pk=self.kwargs["pk"],
        )

    def get_page_title(self):
        return _("Absence of %(child)s on %(day)s") % {
            "child": self.justification.booking.child,
            "day": services.day_label(self.justification.booking.day.date),
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            justification=self.justification,
            booking=self.justification.booking,
            refuse_form=kwargs.get("refuse_form") or RefuseAbsenceForm(),
            document_url=reverse(self.document_url_name, args=(self.justification.pk,)),
            index_url=reverse(self.index_url_name),
        )
        return context

    def post(self, request, *args, **kwargs):
        justification = self.justification
        events = []
        try:
            if request.POST.get("decision") == "accept":
                credit_note = services.accept_absence(justification, by=request.user, events=events)
                if credit_note is not None:
                    messages.success(
                        request,
                        _("Absence accepted: credit note %(number)s issued.")
                        % {"number": credit_note.number},
                    )
                else:
                    messages.success(request, _("Absence accepted: the day will not be invoiced."))
            elif request.POST.get("decision") == "refuse":
                form = RefuseAbsenceForm(request.POST)
                if not form.is_valid():
                    return self.render_to_response(self.get_context_data(refuse_form=form))
                services.refuse_absence(
                    justification, by=request.user, note=form.cleaned_data["note"], events=events
                )
                messages.success(request, _("Absence justification refused."))
            else:
                raise Http404
        except services.BookingError as error:
            messages.error(request, " ".join(error.messages))
        if events:
            services.confirm(events)
        return redirect(request.path)


class AbsenceDocumentView(PermissionRequiredMixin, View):
    permission = ABSENCE_PERMISSION

    def get(self, request, pk):
        justification = get_object_or_404(
            AbsenceJustification.objects.for_staff(request.user), pk=pk
        )
        if not justification.document or not justification.document.storage.exists(
            justification.document.name
        ):
            raise Http404
        return FileResponse(
            justification.document.open("rb"),
            as_attachment=True,
            filename=justification.document.name.rsplit("/", 1)[-1],
        )


# --- Monthly invoicing -------------------------------------------------------------------------


class InvoiceMonthView(ToolView):
    """ "Invoice the month": drafts (or issued invoices) from the month's bookings."""

    permission = INVOICE_PERMISSION
    template_name = "reservations/admin/invoice_month.html"
    page_title = gettext_lazy("Invoice the month")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if "form" not in kwargs:
            today = timezone.localdate()
            previous = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
            context["form"] = InvoiceMonthForm(user=self.request.user, initial={"month": previous})
        return context

    def post(self, request, *args, **kwargs):
        form = InvoiceMonthForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        issue = form.cleaned_data["issue"]
        if issue and not request.user.has_perm("billing.change_invoice"):
            raise PermissionDenied
        month = form.cleaned_data["month"]
        run = services.invoice_month(
            form.cleaned_data["structure"], month.year, month.month, by=request.user, issue=issue
        )
        if run.created:
            messages.success(
                request,
                _("%(count)s invoice(s) created for %(month)s.")
                % {"count": len(run.created), "month": f"{month:%m/%Y}"},
            )
        else:
            messages.info(request, _("Nothing new to invoice for this month."))
        for family, error in run.errors:
            messages.error(request, f"{family}: {error}")
        return self.render_to_response(self.get_context_data(form=form, run=run))
