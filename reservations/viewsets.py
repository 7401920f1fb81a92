"""Wagtail admin for bookings: the "Réservations" menu.

Configuration (periods, units and their prices per bracket, days, capacities, outings,
brackets, age groups) as scoped model viewsets, and the directors' tools:
attendance list (screen and PDF), capacity dashboard with the waiting lists, booking on
behalf of a family, absence justifications, and "invoice the month". Everything is seen
only within the structures of the member of staff (`for_staff`).
"""

from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.admin.ui.tables import Column
from wagtail.admin.viewsets.base import ViewSetGroup

from core.admin import (
    AdminPagesViewSet,
    ScopedModelViewSet,
    StaffChoiceFilter,
    admin_page,
    searchable_index_pages,
)
from parents.viewsets import StructureFilterSet

from . import admin_views
from .admin_forms import (
    AgeGroupForm,
    DayForm,
    OutingForm,
    PeriodForm,
    SlotCapacityForm,
    SlotForm,
    TariffBracketForm,
    UnitForm,
)
from .models import (
    AgeGroup,
    Day,
    Outing,
    Period,
    Slot,
    TariffBracket,
    Unit,
)


def reservations_permissions():
    """What the Direction group needs for the bookings admin, as (app_label, codename)."""
    return [
        ("reservations", "view_period"),
        ("reservations", "add_period"),
        ("reservations", "change_period"),
        ("reservations", "delete_period"),
        ("reservations", "view_unit"),
        ("reservations", "add_unit"),
        ("reservations", "change_unit"),
        ("reservations", "delete_unit"),
        ("reservations", "view_day"),
        ("reservations", "change_day"),
        ("reservations", "view_slot"),
        ("reservations", "add_slot"),
        ("reservations", "change_slot"),
        ("reservations", "view_outing"),
        ("reservations", "add_outing"),
        ("reservations", "change_outing"),
        ("reservations", "delete_outing"),
        ("reservations", "view_tariffbracket"),
        ("reservations", "add_tariffbracket"),
        ("reservations", "change_tariffbracket"),
        ("reservations", "delete_tariffbracket"),
        ("reservations", "view_agegroup"),
        ("reservations", "add_agegroup"),
        ("reservations", "change_agegroup"),
        ("reservations", "delete_agegroup"),
        ("reservations", "view_booking"),
        ("reservations", "add_booking"),
        ("reservations", "change_booking"),
        ("reservations", "change_absencejustification"),
    ]


class PeriodFilterSet(StructureFilterSet):
    class Meta:
        model = Period
        fields = ["structure", "kind"]


class TariffBracketFilterSet(StructureFilterSet):
    class Meta:
        model = TariffBracket
        fields = ["structure"]


class PeriodChildFilterSet(WagtailFilterSet):
    period = StaffChoiceFilter(Period, label=capfirst(_("period")))


class UnitFilterSet(PeriodChildFilterSet):
    class Meta:
        model = Unit
        fields = ["period"]


class DayFilterSet(PeriodChildFilterSet):
    class Meta:
        model = Day
        fields = ["period", "is_closed"]


class OutingFilterSet(PeriodChildFilterSet):
    class Meta:
        model = Outing
        fields = ["period"]


class SlotFilterSet(WagtailFilterSet):
    period = StaffChoiceFilter(Period, label=capfirst(_("period")), field_name="day__period")
    unit = StaffChoiceFilter(Unit, label=capfirst(_("unit")), select_related=["period"])

    class Meta:
        model = Slot
        fields = ["period", "unit"]


class BookingsModelViewSet(ScopedModelViewSet):
    """Bookings' settings are in no reference index: a usage view would always say 0."""

    disabled_views = ("usage",)


class PeriodViewSet(BookingsModelViewSet):
    model = Period
    add_item_label = _("Add a booking period")
    new_item_label = _("New booking period")
    name = "reservation_periods"
    url_prefix = "reservations/periodes"
    icon = "date"
    menu_order = 100
    form_class = PeriodForm
    add_view_class = admin_views.PeriodCreateView
    edit_view_class = admin_views.PeriodEditView
    list_display = ["name", "structure", "kind", "first_day", "last_day", "booking_closes_on"]
    filterset_class = PeriodFilterSet
    search_fields = ["name"]
    panels = [
        FieldPanel("structure"),
        FieldRowPanel([FieldPanel("name"), FieldPanel("kind")]),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("first_day"), FieldPanel("last_day")]),
                FieldPanel("weekday_set"),
                FieldPanel("closed_dates"),
            ],
            heading=_("Days"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("booking_opens_on"), FieldPanel("booking_closes_on")]),
                FieldPanel("deadline_kind"),
                FieldRowPanel(
                    [
                        FieldPanel("deadline_weekday"),
                        FieldPanel("deadline_days"),
                        FieldPanel("deadline_time"),
                    ]
                ),
                FieldPanel("deadline_counts_weekends"),
            ],
            heading=_("Booking window and deadline"),
        ),
        MultiFieldPanel(
            [
                FieldPanel("offer_hours"),
                FieldPanel("justification_days"),
                FieldPanel("reminder_hours"),
            ],
            heading=_("Waiting lists, absences, reminders"),
        ),
    ]


class UnitViewSet(BookingsModelViewSet):
    model = Unit
    add_item_label = _("Add a unit")
    new_item_label = _("New unit")
    name = "reservation_units"
    url_prefix = "reservations/unites"
    icon = "tag"
    menu_order = 200
    form_class = UnitForm
    add_view_class = admin_views.UnitCreateView
    edit_view_class = admin_views.UnitEditView
    list_display = ["name", "period", "span", "includes_meal", "default_capacity"]
    filterset_class = UnitFilterSet
    search_fields = ["name"]
    panels = [
        FieldPanel("period"),
        FieldRowPanel([FieldPanel("name"), FieldPanel("span")]),
        FieldRowPanel([FieldPanel("includes_meal"), FieldPanel("category")]),
        FieldRowPanel([FieldPanel("default_capacity"), FieldPanel("sort_order")]),
        InlinePanel(
            "prices",
            label=_("price"),
            heading=_("Prices per tariff bracket"),
            panels=[
                FieldRowPanel(
                    [FieldPanel("bracket"), FieldPanel("price"), FieldPanel("meal_price")]
                )
            ],
        ),
    ]


class DayViewSet(BookingsModelViewSet):
    """Days come from their period's settings: they are closed or annotated, not added."""

    model = Day
    name = "reservation_days"
    url_prefix = "reservations/jours"
    icon = "calendar-alt"
    menu_order = 300
    form_class = DayForm
    disabled_views = ("add", "delete", "usage")
    list_display = ["__str__", "is_closed", "note"]
    filterset_class = DayFilterSet
    panels = [FieldPanel("is_closed"), FieldPanel("note")]

    def scope(self, user):
        return Day.objects.for_staff(user).select_related("period")


class SlotViewSet(BookingsModelViewSet):
    """Capacities per day and unit, and per age group when a day's places are split."""

    model = Slot
    add_item_label = _("Add a capacity")
    new_item_label = _("New capacity")
    name = "reservation_capacities"
    url_prefix = "reservations/capacites"
    icon = "group"
    menu_order = 400
    form_class = SlotForm
    edit_view_class = admin_views.SlotEditView
    disabled_views = ("delete", "usage")
    list_display = [
        "__str__",
        Column("age_group", label=capfirst(_("age group"))),
        Column("capacity", label=capfirst(_("places")), sort_key="capacity"),
    ]
    filterset_class = SlotFilterSet

    def scope(self, user):
        # Outing capacities are edited with their outing.
        return (
            Slot.objects.for_staff(user)
            .filter(outing__isnull=True)
            .select_related("day__period", "unit", "age_group")
        )

    def get_form_class(self, for_update=False):
        if for_update:
            return SlotCapacityForm
        return self.form_class


class OutingViewSet(BookingsModelViewSet):
    model = Outing
    add_item_label = _("Add an outing")
    new_item_label = _("New outing")
    name = "reservation_outings"
    url_prefix = "reservations/sorties"
    icon = "pick"
    menu_order = 500
    form_class = OutingForm
    add_view_class = admin_views.OutingCreateView
    edit_view_class = admin_views.OutingEditView
    list_display = ["name", "date", "period", "capacity", "price", "min_days_in_week"]
    filterset_class = OutingFilterSet
    search_fields = ["name"]
    panels = [
        FieldPanel("period"),
        FieldRowPanel([FieldPanel("date"), FieldPanel("name")]),
        FieldPanel("description"),
        FieldRowPanel(
            [FieldPanel("capacity"), FieldPanel("price"), FieldPanel("min_days_in_week")]
        ),
    ]


class TariffBracketViewSet(BookingsModelViewSet):
    model = TariffBracket
    add_item_label = _("Add a price bracket")
    new_item_label = _("New price bracket")
    name = "reservation_brackets"
    url_prefix = "reservations/tranches"
    icon = "list-ol"
    menu_order = 600
    form_class = TariffBracketForm
    list_display = ["name", "structure", "min_quotient"]
    filterset_class = TariffBracketFilterSet


class AgeGroupViewSet(BookingsModelViewSet):
    model = AgeGroup
    add_item_label = _("Add an age group")
    new_item_label = _("New age group")
    name = "reservation_age_groups"
    url_prefix = "reservations/groupes-age"
    icon = "group"
    menu_order = 800
    form_class = AgeGroupForm
    list_display = ["name", "structure", "min_age", "max_age"]


class AttendanceViewSet(AdminPagesViewSet):
    name = "reservation_attendance"
    url_prefix = "reservations/presences"
    icon = "tasks"
    menu_label = _("Attendance list")
    menu_order = 50
    menu_permission = admin_views.VIEW_PERMISSION
    pages = [admin_page("", "index", admin_views.AttendanceView)]


class DashboardViewSet(AdminPagesViewSet):
    name = "reservation_dashboard"
    url_prefix = "reservations/tableau"
    icon = "table"
    menu_label = _("Capacity dashboard")
    menu_order = 60
    menu_permission = admin_views.VIEW_PERMISSION
    pages = [
        admin_page("", "index", admin_views.DashboardView, waiting_list="waiting_list"),
        admin_page(
            "attente/<int:slot_id>/", "waiting_list", admin_views.WaitingListView, dashboard="index"
        ),
    ]


class OnBehalfViewSet(AdminPagesViewSet):
    name = "reservation_on_behalf"
    url_prefix = "reservations/pour-une-famille"
    icon = "user"
    menu_label = _("Book for a family")
    menu_order = 70
    menu_permission = admin_views.ADD_PERMISSION
    pages = [
        *searchable_index_pages(admin_views.OnBehalfFamilyIndexView, family="family"),
        admin_page(
            "famille/<int:family_id>/",
            "family",
            admin_views.OnBehalfFamilyView,
            calendar="calendar",
            index="index",
        ),
        admin_page(
            "enfant/<int:child_id>/periode/<int:period_id>/",
            "calendar",
            admin_views.OnBehalfCalendarView,
            family="family",
        ),
    ]


class AbsenceViewSet(AdminPagesViewSet):
    name = "reservation_absences"
    url_prefix = "reservations/absences"
    icon = "doc-full"
    menu_label = _("Absence justifications")
    menu_order = 80
    menu_permission = admin_views.ABSENCE_PERMISSION
    pages = [
        *searchable_index_pages(admin_views.AbsenceIndexView, review="review"),
        admin_page(
            "<int:pk>/", "review", admin_views.AbsenceReviewView, index="index", document="document"
        ),
        admin_page("<int:pk>/document/", "document", admin_views.AbsenceDocumentView),
    ]


class InvoiceMonthViewSet(AdminPagesViewSet):
    name = "reservation_invoicing"
    url_prefix = "reservations/facturer"
    icon = "doc-full-inverse"
    menu_label = _("Invoice the month")
    menu_order = 90
    menu_permission = admin_views.INVOICE_PERMISSION
    pages = [admin_page("", "index", admin_views.InvoiceMonthView)]


class ReservationsViewSetGroup(ViewSetGroup):
    menu_label = _("Bookings")
    menu_icon = "date"
    menu_order = 250
    items = (
        AttendanceViewSet,
        DashboardViewSet,
        OnBehalfViewSet,
        AbsenceViewSet,
        InvoiceMonthViewSet,
        PeriodViewSet,
        UnitViewSet,
        DayViewSet,
        SlotViewSet,
        OutingViewSet,
        TariffBracketViewSet,
        AgeGroupViewSet,
    )
