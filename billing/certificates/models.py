"""Yearly childcare certificates (attestations de frais de garde) and their generation runs."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.storage import get_private_storage


class CertificateQuerySet(models.QuerySet):
    def for_family(self, family):
        return self.filter(family=family)

    def for_staff(self, user):
        if user.is_superuser:
            return self
        return self.filter(structure__staff=user)

    def current(self):
        """The latest version of each certificate: drafts and published ones, not replaced."""
        return self.exclude(status=Certificate.Status.REPLACED)

    def visible_to_parents(self, on_date):
        """Published or replaced certificates whose year's publication date has come.

        A replaced certificate stays listed (marked replaced) so a parent who downloaded it
        can see that it was corrected.
        """
        return self.filter(
            status__in=[Certificate.Status.PUBLISHED, Certificate.Status.REPLACED],
            published_at__isnull=False,
            visible_from__lte=on_date,
        )


class Certificate(models.Model):
    """A yearly certificate of one payer of a family for one year: the childcare tax-credit
    attestation (children under 6 on 1 January) or a plain payment attestation (older
    children, never mentioning the tax credit).

    Its figures are frozen in `content` (the breakdown of `billing.certificates.computation`)
    and its PDF; a published certificate is never changed: a correction is a new version
    (`version` + 1) and the old one is marked replaced, pointing to its successor.
    `content_hash` makes generation idempotent: same content, nothing regenerated.
    """

    class Kind(models.TextChoices):
        TAX_CREDIT = "tax_credit", _("childcare tax-credit certificate")
        PAYMENT = "payment", _("payment certificate")

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        PUBLISHED = "published", _("published")
        REPLACED = "replaced", _("replaced")

    structure = models.ForeignKey(
        "parents.Structure", verbose_name=_("structure"), on_delete=models.PROTECT
    )
    family = models.ForeignKey(
        "parents.Family",
        verbose_name=_("family"),
        on_delete=models.PROTECT,
        related_name="certificates",
    )
    payer = models.ForeignKey(
        "parents.Guardian",
        verbose_name=_("paying guardian"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="certificates",
    )
    # "family" for payments recorded without a paying guardian, "g<id>" otherwise: names
    # the series of versions even if the guardian is later removed.
    payer_key = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField(_("year"))
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    serial = models.PositiveIntegerField(editable=False)
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    number = models.CharField(_("number"), max_length=60, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    superseded_by = models.ForeignKey(
        "self",
        verbose_name=_("replaced by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="supersedes",
    )
    payer_name = models.CharField(_("payer"), max_length=300)
    children_names = models.CharField(_("children"), max_length=500)
    care_amount = models.DecimalField(_("care paid"), max_digits=10, decimal_places=2)
    cesu_amount = models.DecimalField(_("of which CESU"), max_digits=10, decimal_places=2)
    excluded_amount = models.DecimalField(_("excluded"), max_digits=10, decimal_places=2)
    content = models.JSONField(_("content"))
    content_hash = models.CharField(max_length=64)
    pdf = models.FileField(
        _("PDF"), storage=get_private_storage, upload_to="certificates/", blank=True
    )
    flagged = models.BooleanField(_("to review"), default=False)
    flag_reason = models.TextField(_("why to review"), blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A director may decide that a flagged tax-credit certificate (a child born on
    # 1 January N-6) is issued as a plain payment certificate: `kind` stays the series'
    # kind, the document's wording follows `document_kind`.
    converted_at = models.DateTimeField(
        _("issued as a payment certificate at"), null=True, blank=True
    )
    converted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    conversion_reason = models.TextField(_("why a payment certificate"), blank=True)
    created_at = models.DateTimeField(_("generated at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    visible_from = models.DateField(_("shown to parents from"), null=True, blank=True)
    notified_at = models.DateTimeField(_("guardians notified at"), null=True, blank=True)

    objects = CertificateQuerySet.as_manager()

    class Meta:
        verbose_name = _("certificate")
        verbose_name_plural = _("certificates")
        ordering = ["-year", "family", "payer_key", "kind", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["family", "payer_key", "year", "kind", "version"],
                name="certificate_unique_version",
            ),
            models.UniqueConstraint(
                fields=["structure", "year", "serial", "version"],
                name="certificate_unique_serial",
            ),
        ]
        indexes = [
            models.Index(fields=["structure", "year", "status"], name="certificate_struct_year"),
        ]

    def __str__(self):
        return _("Certificate %(number)s") % {"number": self.number}

    @property
    def is_converted(self):
        return self.converted_at is not None

    @property
    def document_kind(self):
        """The kind the document is worded as: a converted certificate is a payment one."""
        return self.Kind.PAYMENT if self.is_converted else self.kind

    def get_document_kind_display(self):
        return self.Kind(self.document_kind).label

    @property
    def is_tax_credit(self):
        return self.document_kind == self.Kind.TAX_CREDIT

    @property
    def is_replaced(self):
        return self.status == self.Status.REPLACED


class CertificateRun(models.Model):
    """One generation of a year's certificates started from the admin, run as a background
    task; the task writes its progress here so the admin page can show it.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    structure = models.ForeignKey(
        "parents.Structure", verbose_name=_("structure"), on_delete=models.PROTECT
    )
    year = models.PositiveSmallIntegerField(_("year"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(_("families"), default=0)
    done = models.PositiveIntegerField(_("families done"), default=0)
    generated = models.PositiveIntegerField(_("generated"), default=0)
    unchanged = models.PositiveIntegerField(_("unchanged"), default=0)
    flagged = models.PositiveIntegerField(_("to review"), default=0)
    error = models.TextField(_("error"), blank=True)
    task_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(_("started"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("certificate generation")
        verbose_name_plural = _("certificate generations")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.structure} {self.year} ({self.get_status_display()})"

    @property
    def percent(self):
        return round(100 * self.done / self.total) if self.total else 0

    @property
    def is_finished(self):
        return self.status in (self.Status.DONE, self.Status.FAILED)
