from datetime import date
from decimal import Decimal

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .addresses import postal_address

siret_validator = RegexValidator(r"^\d{14}$", _("A SIRET number has 14 digits."))


class User(AbstractUser):
    """A login: a guardian of a family, or a member of staff (director, communication).

    Family data lives on Guardian, never here; staff are attached to the structures they run.
    """

    email = models.EmailField(_("email address"), blank=True, db_index=True)
    previous_login = models.DateTimeField(_("previous login"), null=True, blank=True)
    structures = models.ManyToManyField(
        "parents.Structure",
        verbose_name=_("structures"),
        blank=True,
        related_name="staff",
        help_text=_("Structures this member of staff manages."),
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def guardian_or_none(self):
        try:
            return self.guardian
        except Guardian.DoesNotExist:
            return None


class Association(models.Model):
    """The association (loi 1901) that runs the structures on behalf of the communes."""

    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(
        _("short name"), max_length=60, help_text=_("E.g. LE&C Grand Sud")
    )
    legal_form = models.CharField(_("legal form"), max_length=100, default="association loi 1901")
    address = models.TextField(_("registered address"))
    siret = models.CharField(_("SIRET"), max_length=14, validators=[siret_validator])
    email = models.EmailField(_("contact email"), blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    website = models.URLField(_("website"), blank=True)

    class Meta:
        verbose_name = _("association")
        verbose_name_plural = _("associations")
        ordering = ["name"]

    def __str__(self):
        return self.short_name or self.name


class StructureQuerySet(models.QuerySet):
    def for_staff(self, user):
        """Structures a member of staff may see: all for superusers, theirs otherwise."""
        if user.is_superuser:
            return self
        return self.filter(staff=user)


class Structure(models.Model):
    """A leisure centre (accueil de loisirs) run for one commune, e.g. "Commune de Brax".

    It carries the legal identity printed on invoices and certificates, and the settings
    that govern online payment and the yearly certificates.
    """

    association = models.ForeignKey(
        Association,
        verbose_name=_("association"),
        on_delete=models.PROTECT,
        related_name="structures",
    )
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), unique=True)
    address = models.TextField(_("address"), blank=True)
    siret = models.CharField(
        _("SIRET"),
        max_length=14,
        blank=True,
        validators=[siret_validator],
        help_text=_("SIRET of this establishment; the association's is used when empty."),
    )
    email = models.EmailField(_("contact email"))
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    logo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("logo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    online_payment_minimum = models.DecimalField(
        _("minimum balance for online payment"),
        max_digits=8,
        decimal_places=2,
        default=Decimal("15.00"),
        validators=[MinValueValidator(Decimal("0.50"))],
        help_text=_("Parents can pay online when the balance due reaches this amount (in euros)."),
    )
    certificate_publication_month = models.PositiveSmallIntegerField(
        _("certificates shown from (month)"),
        default=4,
        validators=[MinValueValidator(1)],
        help_text=_("Yearly certificates of year N are shown from this day of year N+1."),
    )
    certificate_publication_day = models.PositiveSmallIntegerField(
        _("certificates shown from (day)"), default=1, validators=[MinValueValidator(1)]
    )

    invoice_prefix = models.CharField(
        _("invoice number prefix"),
        max_length=10,
        default="F",
        help_text=_("E.g. 2L in 2L2012/0038EN"),
    )
    invoice_suffix = models.CharField(
        _("invoice number suffix"),
        max_length=10,
        blank=True,
        help_text=_("E.g. EN in 2L2012/0038EN"),
    )
    credit_note_prefix = models.CharField(
        _("credit note number prefix"), max_length=10, default="AV"
    )
    credit_note_suffix = models.CharField(_("credit note number suffix"), max_length=10, blank=True)
    vat_mention = models.CharField(
        _("VAT mention on invoices"),
        max_length=200,
        default="Exonération de TVA — article 261-7-1° b du CGI",
        help_text=_("To confirm with the accountant (or “TVA non applicable, art. 293 B du CGI”)."),
    )
    payment_terms_days = models.PositiveSmallIntegerField(
        _("payment term (days)"),
        default=30,
        help_text=_("Invoices are due this many days after issue."),
    )
    declaration_reference = models.CharField(
        _("declaration reference"),
        max_length=100,
        blank=True,
        help_text=_(
            "Number of the declaration of the accueil collectif de mineurs (SDJES, formerly "
            "DDCS), printed on the yearly certificates."
        ),
    )
    certificate_signatory_name = models.CharField(
        _("certificate signatory"), max_length=200, blank=True
    )
    certificate_signatory_role = models.CharField(
        _("signatory's role"),
        max_length=200,
        blank=True,
        help_text=_("E.g. Director of the leisure centre"),
    )
    certificate_signature = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("signature image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    certificate_place = models.CharField(
        _("place of signature"),
        max_length=100,
        blank=True,
        help_text=_("The town printed in “Done at …” on the certificates."),
    )

    objects = StructureQuerySet.as_manager()

    class Meta:
        verbose_name = _("structure")
        verbose_name_plural = _("structures")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def clean(self):
        try:
            date(2001, self.certificate_publication_month, self.certificate_publication_day)
        except (TypeError, ValueError) as exc:
            raise ValidationError(
                {"certificate_publication_day": _("This day does not exist in that month.")}
            ) from exc
        errors = {}
        for field, clash in self.numbering_clashes().items():
            errors[field] = (
                _(
                    "%(structure)s issues its numbers under the same SIRET (%(siret)s) with "
                    "the same prefix and suffix: two documents would both be numbered "
                    "%(example)s. Give each structure sharing a SIRET its own prefix."
                )
                % clash
            )
        if errors:
            raise ValidationError(errors)

    def sharing_siret(self):
        """Other structures whose documents carry the same SIRET as this one's."""
        association_siret = self.association.siret if self.association_id else ""
        siret = self.siret or association_siret
        others = Structure.objects.exclude(pk=self.pk).select_related("association")
        return [other for other in others if other.legal_siret == siret]

    def numbering_clashes(self):
        """{field: details} for each series (invoices, credit notes) that another structure
        under the same SIRET numbers identically: a SIRET's invoice numbers must be unique.
        """
        series = {
            "invoice_prefix": ("invoice_prefix", "invoice_suffix"),
            "credit_note_prefix": ("credit_note_prefix", "credit_note_suffix"),
        }
        clashes = {}
        for other in self.sharing_siret():
            for field, (prefix, suffix) in series.items():
                mine = (getattr(self, prefix), getattr(self, suffix))
                if field not in clashes and mine == (
                    getattr(other, prefix),
                    getattr(other, suffix),
                ):
                    clashes[field] = {
                        "structure": other,
                        "siret": other.legal_siret,
                        "example": f"{mine[0]}{timezone.localdate().year}/0001{mine[1]}",
                    }
        return clashes

    @property
    def legal_siret(self):
        return self.siret or self.association.siret

    def certificate_publication_date(self, year):
        """The date from which certificates for payments of `year` are shown to parents."""
        return date(year + 1, self.certificate_publication_month, self.certificate_publication_day)


class FamilyQuerySet(models.QuerySet):
    def for_staff(self, user):
        if user.is_superuser:
            return self
        # The structures first (a handful of rows), then their families by structure_id:
        # joining the staff table to 100,000 families made every count read them all.
        return self.filter(structure__in=Structure.objects.for_staff(user).values("pk"))


class Family(models.Model):
    """A household (foyer): the unit that is invoiced and that guardians log in to."""

    structure = models.ForeignKey(
        Structure, verbose_name=_("structure"), on_delete=models.PROTECT, related_name="families"
    )
    reference = models.CharField(_("reference"), max_length=30)
    name = models.CharField(_("name"), max_length=200)
    address_line1 = models.CharField(_("address"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address (continued)"), max_length=200, blank=True)
    postcode = models.CharField(_("postcode"), max_length=10, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = FamilyQuerySet.as_manager()

    class Meta:
        verbose_name = _("family")
        verbose_name_plural = _("families")
        ordering = ["name", "reference"]
        constraints = [
            models.UniqueConstraint(
                fields=["structure", "reference"], name="family_unique_reference_per_structure"
            )
        ]
        # Lists of families (and of their guardians and children) are sorted by name: with
        # this index the first page is read in order instead of sorting every family.
        indexes = [models.Index(fields=["name", "reference"], name="family_name_reference")]

    def __str__(self):
        return f"{self.name} ({self.reference})"

    @property
    def postal_address(self):
        return postal_address(self.address_line1, self.address_line2, self.postcode, self.city)


class Guardian(models.Model):
    """A parent or legal guardian of a family; each has a login of their own (at most two)."""

    MAX_PER_FAMILY = 2

    class Civility(models.TextChoices):
        MR = "M.", _("Mr")
        MRS = "Mme", _("Mrs")

    family = models.ForeignKey(
        Family, verbose_name=_("family"), on_delete=models.CASCADE, related_name="guardians"
    )
    user = models.OneToOneField(
        User,
        verbose_name=_("login"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="guardian",
    )
    civility = models.CharField(_("civility"), max_length=3, choices=Civility.choices)
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    email = models.EmailField(
        _("email address"),
        blank=True,
        help_text=_(
            "Saving an address sends the guardian their login and a link to choose a password."
        ),
    )
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    invited_at = models.DateTimeField(_("login details sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("guardian")
        verbose_name_plural = _("guardians")
        ordering = ["family", "last_name", "first_name"]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self):
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def greeting_name(self):
        """ "M. DUPONT", "Mme DUPONT": how the family area greets the guardian."""
        return f"{self.civility} {self.last_name}".strip()

    def clean(self):
        if self.family_id:
            others = Guardian.objects.filter(family_id=self.family_id).exclude(pk=self.pk)
            if others.count() >= self.MAX_PER_FAMILY:
                raise ValidationError(_("A family has at most two guardians."))


class Child(models.Model):
    """A child of a family, who attends the centre and appears on invoice lines."""

    family = models.ForeignKey(
        Family, verbose_name=_("family"), on_delete=models.CASCADE, related_name="children"
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    birth_date = models.DateField(_("date of birth"))

    class Meta:
        verbose_name = _("child")
        verbose_name_plural = _("children")
        ordering = ["family", "birth_date", "first_name"]

    def __str__(self):
        return f"{self.first_name} {self.last_name}"


class RateLimitHit(models.Model):
    """One request counted against a rate limit (password-reset e-mails per address and per IP).

    Kept in the database rather than a per-process cache so that every server process shares
    the counts; `key` is a hash, so addresses typed by visitors are not stored.
    """

    scope = models.CharField(max_length=50)
    key = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("rate limit hit")
        verbose_name_plural = _("rate limit hits")
        indexes = [models.Index(fields=["scope", "key", "created_at"])]

    def __str__(self):
        return f"{self.scope} {self.created_at:%Y-%m-%d %H:%M}"
