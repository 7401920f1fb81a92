"""What a family keeps up to date: guardians' and children's details, health sheets,
authorised people, the changes waiting for the director, and who opened a health sheet.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..crypto import EncryptedJSONField, get_encrypted_storage


class FamilyScopedQuerySet(models.QuerySet):
    family_path = "family"

    def for_family(self, family):
        return self.filter(**{self.family_path: family})

    def for_staff(self, user):
        if user.is_superuser:
            return self
        return self.filter(**{f"{self.family_path}__structure__staff": user})


class ChildScopedQuerySet(FamilyScopedQuerySet):
    family_path = "child__family"


class GuardianScopedQuerySet(FamilyScopedQuerySet):
    family_path = "guardian__family"


# Fields a structure may want to check before they change, grouped as the parent sees them.
VALIDATED_FIELDS = [
    ("guardian_address", _("Guardians: address")),
    ("guardian_phones", _("Guardians: phones")),
    ("parental_authority", _("Guardians: parental authority")),
    ("child_school", _("Children: school and class")),
    ("health_sheet", _("Health sheet")),
    ("consents", _("Image rights and outings")),
]
DEFAULT_VALIDATED_FIELDS = ["guardian_address", "parental_authority", "health_sheet"]


def default_validated_fields():
    return list(DEFAULT_VALIDATED_FIELDS)


class FamilyFileSettings(models.Model):
    """A structure's family-file settings: what the director checks, what bookings need."""

    structure = models.OneToOneField(
        "parents.Structure",
        verbose_name=_("structure"),
        on_delete=models.CASCADE,
        related_name="family_file_settings",
    )
    fields_to_validate = models.JSONField(
        _("changes the director validates"),
        default=default_validated_fields,
        blank=True,
        help_text=_("Changes to these fields wait for the director's validation."),
    )
    bookings_need_complete_file = models.BooleanField(
        _("bookings need a complete family file"),
        default=False,
        help_text=_(
            "Rules accepted, required documents valid and health sheets confirmed this "
            "season before a family can book."
        ),
    )

    class Meta:
        verbose_name = _("family file settings")
        verbose_name_plural = _("family file settings")

    def __str__(self):
        return str(self.structure)

    @classmethod
    def for_structure(cls, structure):
        found = cls.objects.filter(structure=structure).first()
        return found or cls(structure=structure)

    def validates(self, key):
        return key in (self.fields_to_validate or [])


class GuardianDetails(models.Model):
    """A guardian's own contact details and parental authority ("Responsables légaux")."""

    guardian = models.OneToOneField(
        "parents.Guardian",
        verbose_name=_("guardian"),
        on_delete=models.CASCADE,
        related_name="file_details",
    )
    address_line1 = models.CharField(_("address"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address (continued)"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    mobile_phone = models.CharField(_("mobile phone"), max_length=30, blank=True)
    home_phone = models.CharField(_("home phone"), max_length=30, blank=True)
    work_phone = models.CharField(_("work phone"), max_length=30, blank=True)
    parental_authority = models.BooleanField(_("has parental authority"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = GuardianScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("guardian's details")
        verbose_name_plural = _("guardians' details")

    def __str__(self):
        return str(self.guardian)


class ChildDetails(models.Model):
    """A child's school and class, and the consents given for them."""

    child = models.OneToOneField(
        "parents.Child",
        verbose_name=_("child"),
        on_delete=models.CASCADE,
        related_name="file_details",
    )
    school = models.CharField(_("school"), max_length=200, blank=True)
    school_class = models.CharField(_("class"), max_length=50, blank=True)
    image_rights = models.BooleanField(_("image rights"), null=True, blank=True)
    outings = models.BooleanField(_("outings allowed"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ChildScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("child's details")
        verbose_name_plural = _("children's details")

    def __str__(self):
        return str(self.child)


class HealthSheet(models.Model):
    """A child's fiche sanitaire de liaison (model: Cerfa n° 10008).

    Every health value sits in `data`, one encrypted JSON document (keys in
    `family_file.health.HEALTH_FIELDS`); the PAI document is encrypted on disk. The
    guardian's yearly certification is what makes the sheet count for a season.
    """

    child = models.OneToOneField(
        "parents.Child",
        verbose_name=_("child"),
        on_delete=models.CASCADE,
        related_name="health_sheet",
    )
    data = EncryptedJSONField(_("health information"), null=True, blank=True)
    pai_document = models.FileField(
        _("PAI document"), storage=get_encrypted_storage, upload_to="pai/", blank=True
    )
    confirmed_season = models.PositiveIntegerField(_("certified for the season"), null=True)
    confirmed_at = models.DateTimeField(_("certified on"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("certified by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ChildScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("health sheet")
        verbose_name_plural = _("health sheets")

    def __str__(self):
        return str(self.child)


class AuthorisedPerson(models.Model):
    """Someone a family allows to pick a child up, or to call in an emergency."""

    family = models.ForeignKey(
        "parents.Family",
        verbose_name=_("family"),
        on_delete=models.CASCADE,
        related_name="authorised_people",
    )
    name = models.CharField(_("name"), max_length=200)
    relationship = models.CharField(_("relationship"), max_length=100)
    phone = models.CharField(_("phone"), max_length=30)
    can_pick_up = models.BooleanField(_("may pick the children up"), default=True)
    emergency_contact = models.BooleanField(_("emergency contact"), default=False)
    children = models.ManyToManyField(
        "parents.Child",
        verbose_name=_("children"),
        blank=True,
        related_name="authorised_people",
        help_text=_("None ticked: all the children of the family."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = FamilyScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("authorised person")
        verbose_name_plural = _("authorised people")
        ordering = ["family", "name"]

    def __str__(self):
        return f"{self.name} ({self.relationship})"


class PendingChange(models.Model):
    """A change a family asked for on a field the structure checks first.

    `before` and `after` hold only the changed fields, encrypted (a health sheet change
    carries health values). Accepting applies `after` through the services.
    """

    class Section(models.TextChoices):
        GUARDIAN = "guardian", _("Guardian")
        CHILD = "child", _("Child")
        HEALTH = "health", _("Health sheet")

    class Status(models.TextChoices):
        PENDING = "pending", _("awaiting validation")
        ACCEPTED = "accepted", _("accepted")
        REFUSED = "refused", _("turned down")

    family = models.ForeignKey(
        "parents.Family",
        verbose_name=_("family"),
        on_delete=models.CASCADE,
        related_name="pending_changes",
    )
    section = models.CharField(_("section"), max_length=10, choices=Section.choices)
    guardian = models.ForeignKey(
        "parents.Guardian",
        verbose_name=_("guardian"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    child = models.ForeignKey(
        "parents.Child",
        verbose_name=_("child"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    before = EncryptedJSONField(_("before"), null=True)
    after = EncryptedJSONField(_("after"), null=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    submitted_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    message = models.CharField(_("message to the family"), max_length=500, blank=True)

    objects = FamilyScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("change to validate")
        verbose_name_plural = _("changes to validate")
        ordering = ["-submitted_at", "-pk"]

    def __str__(self):
        subject = self.child or self.guardian or self.family
        return f"{self.get_section_display()} — {subject}"


class SheetConsultation(models.Model):
    """One opening of a child's health sheet by a member of staff (screen or PDF)."""

    class Kind(models.TextChoices):
        SCREEN = "screen", _("sheet opened")
        PDF = "pdf", _("PDF downloaded")
        DAY_PDF = "day_pdf", _("PDF of a day or outing")

    child = models.ForeignKey(
        "parents.Child",
        verbose_name=_("child"),
        on_delete=models.CASCADE,
        related_name="sheet_consultations",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # The name is kept: a deleted staff account must still show in the family's log.
    user_name = models.CharField(_("by"), max_length=200)
    kind = models.CharField(_("what"), max_length=10, choices=Kind.choices)
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    objects = ChildScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("health sheet consultation")
        verbose_name_plural = _("health sheet consultations")
        ordering = ["-at", "-pk"]

    def __str__(self):
        return f"{self.child} — {self.user_name} ({self.at:%d/%m/%Y %H:%M})"
