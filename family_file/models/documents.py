"""Supporting documents the structure asks for, their checks, the quotient familial they
prove, and the structure's rules with the families' acceptances.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wagtail.fields import RichTextField

from ..crypto import get_encrypted_storage
from .records import FamilyScopedQuerySet


class StructureScopedQuerySet(models.QuerySet):
    def for_staff(self, user):
        if user.is_superuser:
            return self
        return self.filter(structure__staff=user)


class DocumentRequirement(models.Model):
    """A document a structure asks families for during a season (e.g. the insurance
    certificate for 2026-2027), once per family or once per child.
    """

    class Kind(models.TextChoices):
        INSURANCE = "insurance", _("insurance certificate")
        QUOTIENT = "quotient", _("CAF / MSA letter (quotient familial)")
        VACCINATIONS = "vaccinations", _("vaccination pages")
        CUSTODY = "custody", _("court decision on residence")
        OTHER = "other", _("other")

    structure = models.ForeignKey(
        "parents.Structure",
        verbose_name=_("structure"),
        on_delete=models.CASCADE,
        related_name="document_requirements",
    )
    season = models.PositiveIntegerField(
        _("season"), help_text=_("The year the season starts: 2026 for 2026-2027.")
    )
    kind = models.CharField(_("kind"), max_length=15, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("what to send"), blank=True)
    per_child = models.BooleanField(_("one per child"), default=False)
    required = models.BooleanField(
        _("required"),
        default=True,
        help_text=_("Untick for documents only some families send (e.g. a court decision)."),
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = StructureScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("document requirement")
        verbose_name_plural = _("document requirements")
        ordering = ["structure", "-season", "sort_order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["structure", "season", "name"], name="documentrequirement_unique_name"
            )
        ]

    def __str__(self):
        return f"{self.name} ({self.season}-{self.season + 1})"

    @property
    def is_health(self):
        """Vaccination pages are health data: kept for the season only, like the sheet."""
        return self.kind == self.Kind.VACCINATIONS


class SupportingDocument(models.Model):
    """A file a family sent for a requirement; the director accepts or refuses it.

    The file is encrypted on disk and only ever sent by views that check who asks.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting verification")
        ACCEPTED = "accepted", _("accepted")
        REFUSED = "refused", _("turned down")

    family = models.ForeignKey(
        "parents.Family",
        verbose_name=_("family"),
        on_delete=models.CASCADE,
        related_name="supporting_documents",
    )
    requirement = models.ForeignKey(
        DocumentRequirement,
        verbose_name=_("document"),
        on_delete=models.CASCADE,
        related_name="documents",
    )
    child = models.ForeignKey(
        "parents.Child",
        verbose_name=_("child"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    file = models.FileField(_("file"), storage=get_encrypted_storage, upload_to="documents/")
    original_name = models.CharField(_("file name"), max_length=255)
    uploaded_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    refusal_reason = models.CharField(_("reason for refusal"), max_length=500, blank=True)

    objects = FamilyScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("supporting document")
        verbose_name_plural = _("supporting documents")
        ordering = ["-uploaded_at", "-pk"]

    def __str__(self):
        return f"{self.requirement.name} — {self.family}"

    def is_expired(self, on_date=None):
        on_date = on_date or timezone.localdate()
        return (
            self.status == self.Status.ACCEPTED
            and self.valid_until is not None
            and self.valid_until < on_date
        )


class FamilyQuotientQuerySet(FamilyScopedQuerySet):
    def on(self, day):
        """The quotient in force on a day: the latest effective on or before it."""
        return self.filter(effective_date__lte=day).order_by("-effective_date", "-pk").first()


class FamilyQuotient(models.Model):
    """A family's validated quotient familial and the date from which it applies.

    Written when the director accepts a CAF/MSA letter (or enters one by hand); the rows
    are the history. Updates are not retroactive: a later row never changes the rate of
    earlier days, and issued invoices never change at all.
    """

    family = models.ForeignKey(
        "parents.Family",
        verbose_name=_("family"),
        on_delete=models.CASCADE,
        related_name="quotients",
    )
    quotient = models.DecimalField(
        _("quotient familial"),
        max_digits=8,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    effective_date = models.DateField(
        _("effective date"), help_text=_("The quotient applies to days from this date on.")
    )
    document = models.ForeignKey(
        SupportingDocument,
        verbose_name=_("proof"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="quotients",
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = FamilyQuotientQuerySet.as_manager()

    class Meta:
        verbose_name = _("family quotient")
        verbose_name_plural = _("family quotients")
        ordering = ["family", "-effective_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["family", "effective_date"], name="familyquotient_unique_effective_date"
            )
        ]

    def __str__(self):
        return f"{self.family} — {self.quotient} ({self.effective_date:%d/%m/%Y})"


class RulesVersionQuerySet(StructureScopedQuerySet):
    def current(self, structure, now=None):
        now = now or timezone.now()
        return (
            self.filter(structure=structure, published_at__lte=now)
            .order_by("-published_at", "-pk")
            .first()
        )


class RulesVersion(models.Model):
    """One version of a structure's "Règlement intérieur"; publishing a new one asks every
    family to accept it again.
    """

    structure = models.ForeignKey(
        "parents.Structure",
        verbose_name=_("structure"),
        on_delete=models.CASCADE,
        related_name="rules_versions",
    )
    version = models.CharField(_("version"), max_length=50, help_text=_("E.g. September 2026"))
    text = RichTextField(_("text"), features=["h2", "h3", "bold", "italic", "ol", "ul", "link"])
    published_at = models.DateTimeField(
        _("in force from"), default=timezone.now, help_text=_("Families are asked from then on.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = RulesVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("rules version")
        verbose_name_plural = _("rules versions")
        ordering = ["structure", "-published_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["structure", "version"], name="rulesversion_unique_version"
            )
        ]

    def __str__(self):
        return f"{self.structure} — {self.version}"


class RulesAcceptance(models.Model):
    """Who accepted which version of the rules for a family, and when."""

    family = models.ForeignKey(
        "parents.Family",
        verbose_name=_("family"),
        on_delete=models.CASCADE,
        related_name="rules_acceptances",
    )
    version = models.ForeignKey(
        RulesVersion,
        verbose_name=_("version"),
        on_delete=models.PROTECT,
        related_name="acceptances",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    accepted_by_name = models.CharField(_("accepted by"), max_length=200)
    accepted_at = models.DateTimeField(_("accepted on"), auto_now_add=True)

    objects = FamilyScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("rules acceptance")
        verbose_name_plural = _("rules acceptances")
        ordering = ["-accepted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["family", "version"], name="rulesacceptance_unique_version"
            )
        ]

    def __str__(self):
        return f"{self.family} — {self.version.version}"
