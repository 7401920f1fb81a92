"""Forms of the bookings admin.

Every choice offered (structure, period, family, bracket, age group, day, unit) is limited to
the structures of the member of staff, so a forged POST naming another structure's object is
an invalid choice; cross-object consistency (a price's bracket and its unit in the same
structure, a slot's unit in its day's period) is checked in `clean`.
"""

from datetime import date

from django import forms
from django.utils.translation import gettext_lazy as _

from wagtail.admin.widgets import AdminDateInput

from parents.models import Family, Structure
from parents.viewsets import ScopedModelForm

from .models import (
    WEEKDAY_CHOICES,
    AgeGroup,
    Booking,
    Day,
    Outing,
    Period,
    Slot,
    TariffBracket,
    Unit,
    UnitPrice,
)


def _scope(model, user):
    if user is None:
        return model.objects.none()
    return model.objects.for_staff(user)


class BookingsModelForm(ScopedModelForm):
    """Scopes, besides structure and family, the periods, brackets, age groups, days and units."""

    SCOPED = {
        "period": Period,
        "bracket": TariffBracket,
        "age_group": AgeGroup,
        "day": Day,
        "unit": Unit,
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, model in self.SCOPED.items():
            if name in self.fields:
                self.fields[name].queryset = _scope(model, self.for_user)
        if "day" in self.fields:
            self.fields["day"].queryset = self.fields["day"].queryset.select_related("period")
        if "unit" in self.fields:
            self.fields["unit"].queryset = self.fields["unit"].queryset.select_related("period")
            self.fields["unit"].label_from_instance = lambda unit: f"{unit} — {unit.period}"


class TariffBracketForm(BookingsModelForm):
    class Meta:
        model = TariffBracket
        fields = ["structure", "name", "min_quotient"]


class AgeGroupForm(BookingsModelForm):
    class Meta:
        model = AgeGroup
        fields = ["structure", "name", "min_age", "max_age"]


class PeriodForm(BookingsModelForm):
    weekday_set = forms.TypedMultipleChoiceField(
        label=_("Days of the week"),
        choices=WEEKDAY_CHOICES,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The days are created from these weekdays between the first and last day."),
    )

    class Meta:
        model = Period
        fields = [
            "structure",
            "name",
            "kind",
            "first_day",
            "last_day",
            "closed_dates",
            "booking_opens_on",
            "booking_closes_on",
            "deadline_kind",
            "deadline_weekday",
            "deadline_days",
            "deadline_time",
            "deadline_counts_weekends",
            "offer_hours",
            "justification_days",
            "reminder_hours",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["weekday_set"].initial = self.instance.weekday_numbers or [2]

    def clean(self):
        cleaned_data = super().clean()
        weekdays = cleaned_data.get("weekday_set") or []
        self.instance.weekdays = ",".join(str(day) for day in sorted(set(weekdays)))
        return cleaned_data


class UnitPriceForm(BookingsModelForm):
    class Meta:
        model = UnitPrice
        fields = ["bracket", "price", "meal_price"]


class UnitForm(BookingsModelForm):
    class Meta:
        model = Unit
        fields = [
            "period",
            "name",
            "span",
            "includes_meal",
            "category",
            "default_capacity",
            "sort_order",
        ]
        formsets = {
            "prices": {
                "form": UnitPriceForm,
                "fields": ["bracket", "price", "meal_price"],
                "inherit_kwargs": ["for_user"],
            }
        }

    def clean(self):
        cleaned_data = super().clean()
        period = cleaned_data.get("period")
        formset = self.formsets.get("prices")
        if period is not None and formset is not None:
            for form in formset.forms:
                bracket = (
                    form.cleaned_data.get("bracket") if hasattr(form, "cleaned_data") else None
                )
                if bracket is not None and bracket.structure_id != period.structure_id:
                    form.add_error(
                        "bracket", _("This bracket belongs to another structure than the period.")
                    )
        return cleaned_data


class DayForm(BookingsModelForm):
    class Meta:
        model = Day
        fields = ["is_closed", "note"]

    def clean_is_closed(self):
        closed = self.cleaned_data["is_closed"]
        if (
            closed
            and self.instance.pk
            and Booking.objects.filter(day=self.instance, status=Booking.Status.BOOKED).exists()
        ):
            raise forms.ValidationError(
                _("Children are booked on this day: cancel their bookings before closing it.")
            )
        return closed


class SlotForm(BookingsModelForm):
    """A capacity for one unit on one day, for everyone or for an age group."""

    class Meta:
        model = Slot
        fields = ["day", "unit", "age_group", "capacity"]

    def clean(self):
        cleaned_data = super().clean()
        day, unit = cleaned_data.get("day"), cleaned_data.get("unit")
        group = cleaned_data.get("age_group")
        if day and unit and unit.period_id != day.period_id:
            self.add_error("unit", _("This unit belongs to another period than the day."))
        if day and group and group.structure_id != day.period.structure_id:
            self.add_error("age_group", _("This age group belongs to another structure."))
        return cleaned_data


class SlotCapacityForm(BookingsModelForm):
    class Meta:
        model = Slot
        fields = ["capacity"]


class OutingForm(BookingsModelForm):
    class Meta:
        model = Outing
        fields = ["period", "date", "name", "description", "capacity", "price", "min_days_in_week"]


# --- Tools ------------------------------------------------------------------------------------


class StructureDateForm(forms.Form):
    """Which attendance list: a structure of the member of staff and a date."""

    structure = forms.ModelChoiceField(label=_("Structure"), queryset=Structure.objects.none())
    date = forms.DateField(label=_("Date"), widget=AdminDateInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        structures = Structure.objects.for_staff(user)
        self.fields["structure"].queryset = structures
        if len(structures) == 1:
            self.fields["structure"].initial = structures[0]


class InvoiceMonthForm(forms.Form):
    structure = forms.ModelChoiceField(label=_("Structure"), queryset=Structure.objects.none())
    month = forms.RegexField(
        label=_("Month"),
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        help_text=_("As 2026-11."),
        error_messages={"invalid": _("Write the month as 2026-11.")},
    )
    issue = forms.BooleanField(
        label=_("Issue the invoices at once"),
        required=False,
        help_text=_("Otherwise they stay drafts to check, then issue from the invoices list."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        structures = Structure.objects.for_staff(user)
        self.fields["structure"].queryset = structures
        if len(structures) == 1:
            self.fields["structure"].initial = structures[0]

    def clean_month(self):
        year, month = (int(part) for part in self.cleaned_data["month"].split("-"))
        return date(year, month, 1)


class RefuseAbsenceForm(forms.Form):
    note = forms.CharField(
        label=_("Note to the family"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def staff_families(user):
    if user is None:
        return Family.objects.none()
    return Family.objects.for_staff(user)
