"""Retention of family data (docs/family-file.md, after the CNIL's guidance):

- health data (sheets, PAI documents, vaccination pages, health changes, the consultation
  log) lives for the current season only;
- registration data is kept while the family attends, then REGISTRATION_RETENTION_YEARS
  after its last activity, then deleted, or anonymised where accounting records point to it;
- accounting records (invoices, credit notes, payments, certificates) are never touched
  here: the database refuses to delete a family they reference (PROTECT), and they are
  kept ACCOUNTING_RETENTION_YEARS by billing.

Apps that know when a family last came (bookings) register a source from their
AppConfig.ready, so that this app never imports them.
"""

from dataclasses import dataclass, field
from datetime import date, datetime

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Max, ProtectedError
from django.utils import timezone

from parents.models import Family, Guardian, User

from .models import (
    AuthorisedPerson,
    ChildDetails,
    DocumentRequirement,
    FamilyQuotient,
    GuardianDetails,
    HealthSheet,
    PendingChange,
    RulesAcceptance,
    SheetConsultation,
    SupportingDocument,
)
from .seasons import season_of, season_start

_activity_sources = []


def register_activity_source(function):
    """`function(families_queryset) -> {family_id: date}`: the last day each family attended."""
    if function not in _activity_sources:
        _activity_sources.append(function)


@dataclass
class PurgeReport:
    health_sheets: int = 0
    health_documents: int = 0
    health_changes: int = 0
    consultations: int = 0
    families_deleted: list = field(default_factory=list)
    families_anonymised: list = field(default_factory=list)
    # With --dry-run: the families that would be deleted or anonymised.
    families_expired: list = field(default_factory=list)

    def lines(self):
        return [
            f"Health sheets emptied (past seasons): {self.health_sheets}",
            f"Health documents deleted (past seasons): {self.health_documents}",
            f"Health sheet changes deleted (past seasons): {self.health_changes}",
            f"Sheet consultations deleted (past seasons): {self.consultations}",
            f"Families deleted (inactive, no accounting record): {len(self.families_deleted)}",
            f"Families anonymised (inactive, accounting records kept): "
            f"{len(self.families_anonymised)}",
            f"Families past the registration retention: {len(self.families_expired)}",
        ]


def _as_date(value):
    if value is None:
        return None
    if isinstance(value, datetime):
        return timezone.localdate(value) if timezone.is_aware(value) else value.date()
    return value


def last_activity(families):
    """{family_id: last date the family was active}: attendance (registered sources), a
    guardian's login, a document or change sent, the family's creation.
    """
    latest = {}

    def bump(family_id, value):
        value = _as_date(value)
        if value and (family_id not in latest or value > latest[family_id]):
            latest[family_id] = value

    for family in families.annotate(
        last_login=Max("guardians__user__last_login"),
        last_document=Max("supporting_documents__uploaded_at"),
        last_change=Max("pending_changes__submitted_at"),
    ):
        for value in (
            family.created_at,
            family.last_login,
            family.last_document,
            family.last_change,
        ):
            bump(family.pk, value)
    for source in _activity_sources:
        for family_id, value in source(families).items():
            bump(family_id, value)
    return latest


def expired_families(today):
    limit = date(today.year - settings.REGISTRATION_RETENTION_YEARS, today.month, 1)
    families = Family.objects.all()
    activity = last_activity(families)
    return [
        family
        for family in families.order_by("pk")
        if activity.get(family.pk) is not None and activity[family.pk] < limit
    ]


def _delete_files(queryset, field_name):
    for instance in queryset:
        field_file = getattr(instance, field_name)
        if field_file:
            field_file.delete(save=False)


def purge_health_data(today, report, *, dry_run):
    """Empty what belongs to seasons before the current one."""
    start = season_start(season_of(today))
    current = season_of(today)
    sheets = HealthSheet.objects.exclude(data=None).exclude(confirmed_season=current)
    sheets = sheets.filter(updated_at__date__lt=start) | HealthSheet.objects.filter(
        confirmed_season__lt=current
    )
    sheets = sheets.distinct()
    documents = SupportingDocument.objects.filter(
        requirement__kind=DocumentRequirement.Kind.VACCINATIONS, requirement__season__lt=current
    )
    changes = PendingChange.objects.filter(
        section=PendingChange.Section.HEALTH, submitted_at__date__lt=start
    )
    consultations = SheetConsultation.objects.filter(at__date__lt=start)
    report.health_sheets = sheets.count()
    report.health_documents = documents.count()
    report.health_changes = changes.count()
    report.consultations = consultations.count()
    if dry_run:
        return
    for sheet in sheets:
        if sheet.pai_document:
            sheet.pai_document.delete(save=False)
        sheet.data = None
        sheet.confirmed_season = None
        sheet.confirmed_at = None
        sheet.confirmed_by = None
        sheet.save()
    _delete_files(documents, "file")
    documents.delete()
    changes.delete()
    consultations.delete()


def forget_family_file(family):
    """Delete everything the family file holds on a family, files included."""
    _delete_files(SupportingDocument.objects.filter(family=family), "file")
    _delete_files(HealthSheet.objects.filter(child__family=family), "pai_document")
    for model, path in [
        (FamilyQuotient, "family"),
        (SupportingDocument, "family"),
        (RulesAcceptance, "family"),
        (PendingChange, "family"),
        (AuthorisedPerson, "family"),
        (HealthSheet, "child__family"),
        (ChildDetails, "child__family"),
        (SheetConsultation, "child__family"),
        (GuardianDetails, "guardian__family"),
    ]:
        model.objects.filter(**{path: family}).delete()


def anonymise_guardians(family):
    """Logins closed and contact details erased; the names stay where invoices need them."""
    for guardian in Guardian.objects.filter(family=family).select_related("user"):
        user = guardian.user
        if user is not None:
            user.is_active = False
            user.email = ""
            user.password = make_password(None)
            user.username = f"anonyme-{user.pk}"
            user.first_name = user.last_name = ""
            user.save()
        guardian.email = ""
        guardian.phone = ""
        guardian.save()
    family.address_line1 = family.address_line2 = ""
    family.save(update_fields=["address_line1", "address_line2"])


def purge_registration_data(today, report, *, dry_run):
    for family in expired_families(today):
        label = f"{family.reference} ({family.structure.slug})"
        report.families_expired.append(label)
        if dry_run:
            continue
        with transaction.atomic():
            forget_family_file(family)
            logins = list(
                User.objects.filter(guardian__family=family, is_staff=False, is_superuser=False)
            )
            try:
                with transaction.atomic():
                    family.delete()
                    # A deleted family's logins must not outlive it.
                    User.objects.filter(pk__in=[user.pk for user in logins]).delete()
                report.families_deleted.append(label)
            except ProtectedError:
                # Invoices, payments, bookings or certificates point to it: they are kept.
                anonymise_guardians(family)
                report.families_anonymised.append(label)


def purge_expired_data(*, today=None, dry_run=False):
    """Apply the retention rules; with `dry_run`, only count. Safe to run every night."""
    today = today or timezone.localdate()
    report = PurgeReport()
    with transaction.atomic():
        purge_health_data(today, report, dry_run=dry_run)
        purge_registration_data(today, report, dry_run=dry_run)
    return report
