"""What directors offer: tariff brackets, age groups, periods and their
days, units with their prices, outings, and the slots that carry each capacity.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from modelcluster.fields import ParentalKey
from modelcluster.models import ClusterableModel

from billing.models import Category

from .. import deadlines

WEEKDAY_CHOICES = [
    (0, _("Monday")),
    (1, _("Tuesday")),
    (2, _("Wednesday")),
    (3, _("Thursday")),
    (4, _("Friday")),
    (5, _("Saturday")),
    (6, _("Sunday")),
]


def parse_dates(text):
    """Dates written one per line, as 2026-11-11 or 11/11/2026; raises ValueError."""
    found = set()
    for raw in (text or "").replace(",", "\n").splitlines():
        value = raw.strip()
        if not value:
            continue
        if "/" in value:
            found.add(datetime.strptime(value, "%d/%m/%Y").date())  # noqa: DTZ007 - a date
        else:
            found.add(date.fromisoformat(value))
    return found


def age_on(child, on_date):
    """Age in whole years on a date (a child is 6 from their sixth birthday on)."""
    born = child.birth_date
    return on_date.year - born.year - ((on_date.month, on_date.day) < (born.month, born.day))


class StructureScopedQuerySet(models.QuerySet):
    structure_path = "structure"

    def for_staff(self, user):
        if user.is_superuser:
            return self
        return self.filter(**{f"{self.structure_path}__staff": user})


# --- Tariffs -----------------------------------------------------------------------------------


class TariffBracket(models.Model):
    """A quotient familial bracket of a structure: from `min_quotient` up to the next one.

    A family without a quotient valid on a day pays the rate of the highest bracket.
    """

    structure = models.ForeignKey(
        "parents.Structure",
        verbose_name=_("structure"),
        on_delete=models.CASCADE,
        related_name="tariff_brackets",
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("E.g. QF 0 to 600"))
    min_quotient = models.DecimalField(
        _("from quotient"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Lowest quotient familial of this bracket; it runs up to the next one."),
    )

    objects = StructureScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("tariff bracket")
        verbose_name_plural = _("tariff brackets")
        ordering = ["structure", "min_quotient"]
        constraints = [
            models.UniqueConstraint(
                fields=["structure", "min_quotient"], name="tariffbracket_unique_floor"
            )
        ]

    def __str__(self):
        return self.name


class AgeGroup(models.Model):
    """Children from `min_age` to `max_age` years (inclusive) on the day they attend."""

    structure = models.ForeignKey(
        "parents.Structure",
        verbose_name=_("structure"),
        on_delete=models.CASCADE,
        related_name="age_groups",
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("E.g. 3-5 ans"))
    min_age = models.PositiveSmallIntegerField(_("from age"))
    max_age = models.PositiveSmallIntegerField(_("to age"))

    objects = StructureScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("age group")
        verbose_name_plural = _("age groups")
        ordering = ["structure", "min_age"]

    def __str__(self):
        return self.name

    def clean(self):
        if self.min_age is not None and self.max_age is not None and self.min_age > self.max_age:
            raise ValidationError({"max_age": _("The upper age is below the lower age.")})

    def includes(self, child, on_date):
        return self.min_age <= age_on(child, on_date) <= self.max_age


# --- Periods, days, units, capacities ----------------------------------------------------------


class PeriodQuerySet(StructureScopedQuerySet):
    def visible_to_families(self, structure, now):
        """Periods whose booking window has opened and which still have days to come."""
        today = now.astimezone(deadlines.PARIS).date()
        return self.filter(
            structure=structure, booking_opens_on__lte=today, last_day__gte=today
        ).order_by("first_day", "pk")


class Period(models.Model):
    """A set of bookable days: "Mercredis 2026-2027", "Vacances d'hiver 2027".

    Families may book from `booking_opens_on` until the earlier of the end of
    `booking_closes_on` and each day's deadline (the rule in the deadline fields).
    """

    class Kind(models.TextChoices):
        WEDNESDAYS = "wednesdays", _("Wednesdays")
        HOLIDAYS = "holidays", _("School holidays")

    class DeadlineKind(models.TextChoices):
        WEEKDAY_BEFORE = deadlines.WEEKDAY_BEFORE, _("a day of the week before, at a time")
        DAYS_BEFORE = deadlines.DAYS_BEFORE, _("a number of days before, at a time")

    structure = models.ForeignKey(
        "parents.Structure",
        verbose_name=_("structure"),
        on_delete=models.PROTECT,
        related_name="booking_periods",
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("E.g. Mercredis 2026-2027"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    weekdays = models.CharField(
        _("days of the week"),
        max_length=20,
        default="2",
        help_text=_("Weekdays the centre is open in this period."),
    )
    closed_dates = models.TextField(
        _("closed days"),
        blank=True,
        help_text=_("One date per line (11/11/2026): public holidays, closures."),
    )
    booking_opens_on = models.DateField(_("bookings open on"))
    booking_closes_on = models.DateField(
        _("bookings close on"), help_text=_("Last day families can book or cancel online.")
    )
    deadline_kind = models.CharField(
        _("booking deadline"),
        max_length=20,
        choices=DeadlineKind.choices,
        default=DeadlineKind.WEEKDAY_BEFORE,
    )
    deadline_weekday = models.PositiveSmallIntegerField(
        _("deadline weekday"), choices=WEEKDAY_CHOICES, default=0
    )
    deadline_days = models.PositiveSmallIntegerField(
        _("deadline: days before"), default=2, validators=[MaxValueValidator(60)]
    )
    deadline_time = models.TimeField(_("deadline time"), default=time(10))
    deadline_counts_weekends = models.BooleanField(
        _("count weekends"),
        default=False,
        help_text=_("When off, Saturdays and Sundays are not counted in the days before."),
    )
    offer_hours = models.PositiveSmallIntegerField(
        _("time to answer an offer (hours)"),
        default=48,
        validators=[MinValueValidator(1)],
        help_text=_("A family offered a freed place has this long to accept it."),
    )
    justification_days = models.PositiveSmallIntegerField(
        _("delay to justify an absence (days)"),
        default=7,
        help_text=_("A medical certificate is accepted up to this many days after the day."),
    )
    reminder_hours = models.PositiveSmallIntegerField(
        _("reminder before the deadline (hours)"),
        default=48,
        help_text=_("Families without a booking are reminded this long before; 0: never."),
    )

    objects = PeriodQuerySet.as_manager()

    class Meta:
        verbose_name = _("booking period")
        verbose_name_plural = _("booking periods")
        ordering = ["structure", "-first_day"]

    def __str__(self):
        return self.name

    def clean(self):
        errors = {}
        if self.first_day and self.last_day and self.first_day > self.last_day:
            errors["last_day"] = _("The last day is before the first day.")
        if (
            self.booking_opens_on
            and self.booking_closes_on
            and self.booking_opens_on > self.booking_closes_on
        ):
            errors["booking_closes_on"] = _("Bookings close before they open.")
        try:
            parse_dates(self.closed_dates)
        except ValueError:
            errors["closed_dates"] = _("Write one date per line, like 11/11/2026.")
        if not self.weekday_numbers:
            errors["weekdays"] = _("Choose at least one day of the week.")
        if errors:
            raise ValidationError(errors)

    @property
    def weekday_numbers(self):
        return sorted({int(part) for part in (self.weekdays or "").split(",") if part.strip()})

    @property
    def rule(self):
        return deadlines.DeadlineRule(
            kind=self.deadline_kind,
            weekday=self.deadline_weekday,
            days=self.deadline_days,
            at=self.deadline_time,
            count_weekends=self.deadline_counts_weekends,
        )

    @property
    def window_start(self):
        return deadlines.start_of_day(self.booking_opens_on)

    @property
    def window_end(self):
        return deadlines.start_of_day(self.booking_closes_on + timedelta(days=1))

    def deadline_for(self, day_date):
        """The instant after which families can no longer book or cancel `day_date`."""
        return min(self.rule.deadline(day_date), self.window_end)

    def describe_deadline(self):
        return self.rule.describe()

    def wanted_dates(self):
        """The dates the period contains by its settings (closed ones included)."""
        weekdays = set(self.weekday_numbers)
        current, found = self.first_day, []
        while current <= self.last_day:
            if current.weekday() in weekdays:
                found.append(current)
            current += timedelta(days=1)
        return found


class PeriodChildQuerySet(StructureScopedQuerySet):
    structure_path = "period__structure"


class Day(models.Model):
    """A date of a period on which the centre is open, or closed (shown as such)."""

    period = models.ForeignKey(
        Period, verbose_name=_("period"), on_delete=models.CASCADE, related_name="days"
    )
    date = models.DateField(_("date"))
    is_closed = models.BooleanField(_("closed"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = PeriodChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("day")
        verbose_name_plural = _("days")
        ordering = ["date", "pk"]
        constraints = [models.UniqueConstraint(fields=["period", "date"], name="day_unique_date")]

    def __str__(self):
        return f"{self.date:%d/%m/%Y} — {self.period}"


class Unit(ClusterableModel):
    """What can be booked on each day of a period: "Journée avec repas", "Matin sans repas".

    Its price depends on the family's tariff bracket; a unit with a meal is invoiced as
    two lines, the care (`category`) and the meal (category "repas").
    """

    class Span(models.TextChoices):
        DAY = "day", _("full day")
        MORNING = "morning", _("morning")
        AFTERNOON = "afternoon", _("afternoon")

    period = models.ForeignKey(
        Period, verbose_name=_("period"), on_delete=models.CASCADE, related_name="units"
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("E.g. Journée avec repas"))
    span = models.CharField(_("part of the day"), max_length=10, choices=Span.choices)
    includes_meal = models.BooleanField(_("with meal"), default=False)
    category = models.CharField(
        _("invoice category"),
        max_length=10,
        choices=[(Category.GARDE, Category.GARDE.label), (Category.REPAS, Category.REPAS.label)],
        default=Category.GARDE,
    )
    default_capacity = models.PositiveIntegerField(
        _("places per day"), default=24, help_text=_("Capacity given to each day of the period.")
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = PeriodChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["period", "sort_order", "pk"]

    def __str__(self):
        return self.name


class UnitPrice(models.Model):
    """The price of a unit for one tariff bracket: care, and the meal when it has one."""

    unit = ParentalKey(Unit, on_delete=models.CASCADE, related_name="prices")
    bracket = models.ForeignKey(
        TariffBracket, verbose_name=_("tariff bracket"), on_delete=models.PROTECT
    )
    price = models.DecimalField(
        _("price"), max_digits=8, decimal_places=2, validators=[MinValueValidator(0)]
    )
    meal_price = models.DecimalField(
        _("meal price"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
        help_text=_("Only for units with a meal."),
    )

    class Meta:
        verbose_name = _("unit price")
        verbose_name_plural = _("unit prices")
        constraints = [
            models.UniqueConstraint(fields=["unit", "bracket"], name="unitprice_unique_bracket")
        ]

    def __str__(self):
        return f"{self.unit} — {self.bracket}"


class Outing(models.Model):
    """A sortie: limited places, a flat price, and only for children booked at least
    `min_days_in_week` days of the same week (Monday to Sunday).
    """

    period = models.ForeignKey(
        Period, verbose_name=_("period"), on_delete=models.CASCADE, related_name="outings"
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    capacity = models.PositiveIntegerField(_("places"))
    price = models.DecimalField(
        _("price"), max_digits=8, decimal_places=2, validators=[MinValueValidator(0)]
    )
    min_days_in_week = models.PositiveSmallIntegerField(
        _("days to book in the week"),
        default=3,
        help_text=_("A child must be booked at least this many days of that week."),
    )

    objects = PeriodChildQuerySet.as_manager()

    class Meta:
        verbose_name = _("outing")
        verbose_name_plural = _("outings")
        ordering = ["date", "pk"]

    def __str__(self):
        return f"{self.name} ({self.date:%d/%m/%Y})"

    def clean(self):
        if (
            self.period_id
            and self.date
            and not Day.objects.filter(period_id=self.period_id, date=self.date).exists()
        ):
            raise ValidationError({"date": _("This date is not a day of the period.")})

    @property
    def week(self):
        start = self.date - timedelta(days=self.date.weekday())
        return start, start + timedelta(days=6)


class SlotQuerySet(StructureScopedQuerySet):
    structure_path = "day__period__structure"


class Slot(models.Model):
    """The capacity row: a unit on a day (for everyone, or for one age group), or an outing.

    Every booking, offer and waiting-list entry points here, and every change of them locks
    this row first, which is what keeps `capacity` from ever being exceeded.
    """

    day = models.ForeignKey(
        Day, verbose_name=_("day"), on_delete=models.CASCADE, related_name="slots"
    )
    unit = models.ForeignKey(
        Unit,
        verbose_name=_("unit"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="slots",
    )
    outing = models.OneToOneField(
        Outing,
        verbose_name=_("outing"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="slot",
    )
    age_group = models.ForeignKey(
        AgeGroup,
        verbose_name=_("age group"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        help_text=_("Leave empty for a capacity shared by all ages."),
    )
    capacity = models.PositiveIntegerField(_("places"))

    objects = SlotQuerySet.as_manager()

    class Meta:
        verbose_name = _("capacity")
        verbose_name_plural = _("capacities")
        ordering = ["day__date", "unit__sort_order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(unit__isnull=True, outing__isnull=False)
                | Q(unit__isnull=False, outing__isnull=True),
                name="slot_unit_or_outing",
            ),
            models.UniqueConstraint(
                fields=["day", "unit"],
                condition=Q(unit__isnull=False, age_group__isnull=True),
                name="slot_unique_unit_all_ages",
            ),
            models.UniqueConstraint(
                fields=["day", "unit", "age_group"],
                condition=Q(unit__isnull=False, age_group__isnull=False),
                name="slot_unique_unit_age_group",
            ),
        ]

    def __str__(self):
        what = self.outing.name if self.outing_id else self.unit.name
        if self.age_group_id:
            what = f"{what} ({self.age_group})"
        return f"{self.day.date:%d/%m/%Y} — {what}"

    @property
    def label(self):
        """What a family reads: the unit's or the outing's name."""
        if self.outing_id:
            return self.outing.name
        return self.unit.name

    @property
    def is_outing(self):
        return self.outing_id is not None
