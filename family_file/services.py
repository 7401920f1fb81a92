"""Every change to a family file goes through these functions, called by the family area,
the admin and the commands. Each runs in one transaction and leaves an audit entry.

Fields a structure checks (`FamilyFileSettings.fields_to_validate`) are not written at
once: they become a `PendingChange` holding before/after, applied when the director
accepts it. Everything else is written straight away.
"""

from dataclasses import dataclass, field

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.lookups import Exact
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from wagtail.log_actions import log

from core.structure_cache import settings_for
from parents.addresses import postal_address
from parents.models import Child, Structure

from . import health
from .health import HEALTH_FIELDS
from .models import (
    ChildDetails,
    DocumentRequirement,
    FamilyFileSettings,
    FamilyQuotient,
    GuardianDetails,
    HealthSheet,
    PendingChange,
    RulesAcceptance,
    RulesVersion,
    SheetConsultation,
    SupportingDocument,
)
from .seasons import season_of

# Which model fields each validation setting covers.
GUARDIAN_GROUPS = {
    "guardian_address": ["address_line1", "address_line2", "postcode", "city"],
    "guardian_phones": ["mobile_phone", "home_phone", "work_phone"],
    "parental_authority": ["parental_authority"],
}
CHILD_GROUPS = {
    "child_school": ["school", "school_class"],
    "consents": ["image_rights", "outings"],
}
GUARDIAN_FIELDS = [name for names in GUARDIAN_GROUPS.values() for name in names]
CHILD_FIELDS = [name for names in CHILD_GROUPS.values() for name in names]


class FamilyFileError(ValidationError):
    """A change refused with a message for the person who asked."""


@dataclass
class ChangeResult:
    applied: list = field(default_factory=list)
    pending: PendingChange | None = None


def _actor(user):
    if user is None:
        return ""
    guardian = getattr(user, "guardian_or_none", None)
    return (guardian.full_name if guardian else user.get_full_name()) or user.get_username()


# --- Reading --------------------------------------------------------------------------------


def guardian_details(guardian):
    """The guardian's details, defaulting to the family's address until they give their own."""
    details = GuardianDetails.objects.filter(guardian=guardian).first()
    if details is None:
        family = guardian.family
        details = GuardianDetails(
            guardian=guardian,
            address_line1=family.address_line1,
            address_line2=family.address_line2,
            postcode=family.postcode,
            city=family.city,
            mobile_phone=guardian.phone,
        )
    return details


def guardians_own_addresses(guardian_ids):
    """{guardian_id: postal address} of the guardians whose details hold an address: the
    address their yearly certificates carry (see `parents.addresses`). A change waiting
    for the director does not count until accepted.
    """
    rows = GuardianDetails.objects.filter(guardian_id__in=guardian_ids).values_list(
        "guardian_id", "address_line1", "address_line2", "postcode", "city"
    )
    return {
        pk: postal_address(line1, line2, postcode, city)
        for pk, line1, line2, postcode, city in rows
        if line1 or city
    }


def child_details(child):
    return ChildDetails.objects.filter(child=child).first() or ChildDetails(child=child)


def health_sheet(child):
    return HealthSheet.objects.filter(child=child).first() or HealthSheet(child=child, data={})


def pending_for(family):
    return PendingChange.objects.for_family(family).filter(status=PendingChange.Status.PENDING)


def last_decided(family, **target):
    return (
        PendingChange.objects.for_family(family)
        .filter(**target)
        .exclude(status=PendingChange.Status.PENDING)
        .order_by("-decided_at", "-pk")
        .first()
    )


# --- Guardians and children ----------------------------------------------------------------


def _split(settings, groups, changed):
    immediate, validated = {}, {}
    for key, names in groups.items():
        for name in names:
            if name in changed:
                (validated if settings.validates(key) else immediate)[name] = changed[name]
    return immediate, validated


def _queue(family, section, by, before, after, **target):
    """One pending change per target and section: a new request replaces the waiting one."""
    change = (
        PendingChange.objects.select_for_update()
        .filter(family=family, section=section, status=PendingChange.Status.PENDING, **target)
        .first()
    )
    if change is None:
        change = PendingChange(family=family, section=section, before={}, **target)
    merged_before = dict(before)
    merged_before.update(change.before or {})
    merged_after = dict(change.after or {})
    merged_after.update(after)
    change.before = merged_before
    change.after = merged_after
    change.submitted_by = by
    change.save()
    return change


def _update_details(
    owner, details_of, values, *, fields, groups, section, action, by, checked=False, **target
):
    """Write the changed `fields` of a guardian's or child's details: those the structure
    does not check at once, the others as one change waiting for the director. `checked`
    (a director writing) applies everything at once: nobody waits for their own check.
    """
    with transaction.atomic():
        type(owner).objects.select_for_update().get(pk=owner.pk)
        # Read under the owner's row lock, so two saves never start from the same details.
        details = details_of(owner)
        settings = FamilyFileSettings.for_structure(owner.family.structure)
        changed = {
            name: values[name]
            for name in fields
            if name in values and getattr(details, name) != values[name]
        }
        immediate, validated = (changed, {}) if checked else _split(settings, groups, changed)
        result = ChangeResult(applied=sorted(immediate))
        for name, value in immediate.items():
            setattr(details, name, value)
        details.save()
        if validated:
            before = {name: getattr(details, name) for name in validated}
            result.pending = _queue(owner.family, section, by, before, validated, **target)
        if changed:
            log(
                instance=details,
                action=action,
                user=by,
                data={"applied": sorted(immediate), "pending": sorted(validated)},
            )
        return result


def update_guardian(guardian, values, *, by, checked=False):
    """Write a guardian's details; checked fields wait for the director, unless `checked`
    (the director's own edit in the admin).
    """
    return _update_details(
        guardian,
        guardian_details,
        values,
        fields=GUARDIAN_FIELDS,
        groups=GUARDIAN_GROUPS,
        section=PendingChange.Section.GUARDIAN,
        action="family_file.update_guardian",
        by=by,
        checked=checked,
        guardian=guardian,
    )


def update_child(child, values, *, by):
    """Write a child's school, class and consents; checked fields wait for the director."""
    return _update_details(
        child,
        child_details,
        values,
        fields=CHILD_FIELDS,
        groups=CHILD_GROUPS,
        section=PendingChange.Section.CHILD,
        action="family_file.update_child",
        by=by,
        child=child,
    )


# --- Health sheet -------------------------------------------------------------------------


def submit_health_sheet(child, data, *, certified, by, pai_document=None, now=None):
    """The guardian sends the sheet and certifies it ("Je certifie exactes les informations").

    Without the certification nothing is written. When the structure checks health
    sheets, the changed values wait for the director and the certification counts from
    the acceptance; otherwise both apply at once. Sending an unchanged sheet only renews
    the certification for the season.
    """
    if not certified:
        raise FamilyFileError(_("Tick the box to certify that the information is accurate."))
    now = now or timezone.now()
    keys = [f.key for f in HEALTH_FIELDS]
    with transaction.atomic():
        Child.objects.select_for_update().get(pk=child.pk)
        sheet = health_sheet(child)
        current = sheet.data or {}
        changed = {key: data.get(key) for key in keys if data.get(key) != current.get(key)}
        settings = FamilyFileSettings.for_structure(child.family.structure)
        if pai_document is not None:
            extension = pai_document.name.rsplit(".", 1)[-1].lower()
            sheet.pai_document.save(f"pai-{child.pk}.{extension}", pai_document, save=False)
        result = ChangeResult()
        if changed and settings.validates("health_sheet"):
            sheet.save()
            result.pending = _queue(
                child.family,
                PendingChange.Section.HEALTH,
                by,
                {key: current.get(key) for key in changed},
                changed,
                child=child,
            )
        else:
            sheet.data = {**current, **changed}
            sheet.confirmed_season = season_of(timezone.localdate(now))
            sheet.confirmed_at = now
            sheet.confirmed_by = by
            sheet.save()
            result.applied = sorted(changed)
        # The audit trail names the fields, never their health values.
        log(
            instance=sheet,
            action="family_file.submit_health_sheet",
            user=by,
            data={"changed": sorted(changed), "pending": bool(result.pending)},
        )
        return result


def record_consultation(child, user, kind):
    """Log a staff opening of a child's health sheet; the family sees the log."""
    return SheetConsultation.objects.create(
        child=child, user=user, user_name=_actor(user), kind=kind
    )


# --- Decisions on pending changes ---------------------------------------------------------


def field_label(section, name):
    """The label of a changed field, for the before/after table."""
    if section == PendingChange.Section.HEALTH:
        field = health.FIELDS_BY_KEY.get(name)
        return field.label if field else name
    model = GuardianDetails if section == PendingChange.Section.GUARDIAN else ChildDetails
    try:
        return model._meta.get_field(name).verbose_name
    except FieldDoesNotExist:
        return name


def show(section, name, value):
    if section == PendingChange.Section.HEALTH:
        return health.display_value(name, value)
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return value if value not in (None, "") else "—"


def change_rows(change):
    before, after = change.before or {}, change.after or {}
    return [
        {
            "label": field_label(change.section, name),
            "before": show(change.section, name, before.get(name)),
            "after": show(change.section, name, after.get(name)),
        }
        for name in after
    ]


def accept_change(change, *, by, message=""):
    """Apply a pending change as it was asked; idempotent on an already decided change."""
    with transaction.atomic():
        change = PendingChange.objects.select_for_update().get(pk=change.pk)
        if change.status != PendingChange.Status.PENDING:
            raise FamilyFileError(_("This change has already been decided."))
        after = change.after or {}
        if change.section == PendingChange.Section.GUARDIAN:
            details = guardian_details(change.guardian)
            for name, value in after.items():
                if name in GUARDIAN_FIELDS:
                    setattr(details, name, value)
            details.save()
        elif change.section == PendingChange.Section.CHILD:
            details = child_details(change.child)
            for name, value in after.items():
                if name in CHILD_FIELDS:
                    setattr(details, name, value)
            details.save()
        else:
            sheet = health_sheet(change.child)
            keys = {f.key for f in HEALTH_FIELDS}
            sheet.data = {
                **(sheet.data or {}),
                **{k: v for k, v in after.items() if k in keys},
            }
            # The guardian certified the sheet when sending it.
            sheet.confirmed_season = season_of(timezone.localdate(change.submitted_at))
            sheet.confirmed_at = change.submitted_at
            sheet.confirmed_by = change.submitted_by
            sheet.save()
        change.status = PendingChange.Status.ACCEPTED
        change.decided_at = timezone.now()
        change.decided_by = by
        change.message = message
        change.save()
        log(instance=change, action="family_file.accept_change", user=by)
        return change


def refuse_change(change, *, by, message):
    if not (message or "").strip():
        raise FamilyFileError(_("Give the family the reason for the refusal."))
    with transaction.atomic():
        change = PendingChange.objects.select_for_update().get(pk=change.pk)
        if change.status != PendingChange.Status.PENDING:
            raise FamilyFileError(_("This change has already been decided."))
        change.status = PendingChange.Status.REFUSED
        change.decided_at = timezone.now()
        change.decided_by = by
        change.message = message.strip()
        change.save()
        log(instance=change, action="family_file.refuse_change", user=by)
        return change


# --- Authorised people ------------------------------------------------------------------------


def save_authorised_person(person, children, *, by):
    with transaction.atomic():
        created = person.pk is None
        person.save()
        person.children.set(children)
        log(
            instance=person,
            action="family_file.add_person" if created else "family_file.change_person",
            user=by,
        )
        return person


def delete_authorised_person(person, *, by):
    with transaction.atomic():
        log(instance=person, action="family_file.delete_person", user=by)
        person.delete()


# --- Supporting documents -------------------------------------------------------------------


@dataclass
class DocumentRow:
    requirement: DocumentRequirement
    child: Child | None
    document: SupportingDocument | None
    status: str
    status_label: str

    @property
    def is_missing(self):
        return self.status in {"missing", "refused", "expired"}


def status_of(document, on_date):
    if document is None:
        return "missing", _("missing")
    if document.is_expired(on_date):
        return "expired", _("expired")
    if document.status == SupportingDocument.Status.ACCEPTED:
        return "accepted", _("accepted")
    if document.status == SupportingDocument.Status.REFUSED:
        return "refused", _("turned down")
    return "pending", _("awaiting verification")


def requirements_for(structure, season):
    return DocumentRequirement.objects.filter(structure=structure, season=season).order_by(
        "sort_order", "name"
    )


def document_rows(family, on_date=None, known=None):
    """One row per document the structure asks of this family this season (per child
    where asked per child), with the latest document sent and its status.

    `known` (from `FamilyFileFacts.load`) gives what is read for many families at once.
    """
    on_date = on_date or timezone.localdate()
    known = known or FamilyFileFacts.load([family], on_date)
    children = known.children[family.pk]
    documents = known.documents[family.pk]
    requirements = known.requirements[family.structure_id]
    rows = []
    for requirement in requirements:
        for child in children if requirement.per_child else [None]:
            latest = next(
                (
                    d
                    for d in documents
                    if d.requirement_id == requirement.pk
                    and d.child_id == (child.pk if child else None)
                ),
                None,
            )
            status, label = status_of(latest, on_date)
            rows.append(DocumentRow(requirement, child, latest, status, label))
    return rows


def upload_document(family, requirement, uploaded_file, *, by, child=None):
    """Store a family's document (encrypted) for a requirement of its structure."""
    if requirement.structure_id != family.structure_id:
        raise FamilyFileError(_("This document is not asked by your structure."))
    if requirement.per_child and (child is None or child.family_id != family.pk):
        raise FamilyFileError(_("Choose the child this document is for."))
    if not requirement.per_child:
        child = None
    with transaction.atomic():
        document = SupportingDocument(
            family=family,
            requirement=requirement,
            child=child,
            original_name=uploaded_file.name[:255],
            uploaded_by=by,
        )
        # The stored name says nothing about the family or the content.
        extension = uploaded_file.name.rsplit(".", 1)[-1].lower()
        document.file.save(f"{family.pk}-{requirement.pk}.{extension}", uploaded_file, save=False)
        document.save()
        log(instance=document, action="family_file.upload_document", user=by)
        return document


def accept_document(
    document, *, by, valid_from=None, valid_until=None, quotient=None, effective_date=None
):
    """Accept a document; a CAF/MSA letter records the quotient familial it proves."""
    with transaction.atomic():
        document = SupportingDocument.objects.select_for_update().get(pk=document.pk)
        if document.status != SupportingDocument.Status.PENDING:
            raise FamilyFileError(_("This document has already been checked."))
        if valid_from and valid_until and valid_until < valid_from:
            raise FamilyFileError(_("The end of validity is before its start."))
        if document.requirement.kind == DocumentRequirement.Kind.QUOTIENT:
            if quotient is None or effective_date is None:
                raise FamilyFileError(
                    _("Enter the quotient familial and the date from which it applies.")
                )
            record_quotient(
                document.family,
                quotient,
                effective_date,
                by=by,
                document=document,
                note=document.requirement.name,
            )
        document.status = SupportingDocument.Status.ACCEPTED
        document.valid_from = valid_from
        document.valid_until = valid_until
        document.decided_at = timezone.now()
        document.decided_by = by
        document.refusal_reason = ""
        document.save()
        log(instance=document, action="family_file.accept_document", user=by)
        return document


def refuse_document(document, *, by, reason):
    if not (reason or "").strip():
        raise FamilyFileError(_("Give the family the reason for the refusal."))
    with transaction.atomic():
        document = SupportingDocument.objects.select_for_update().get(pk=document.pk)
        if document.status != SupportingDocument.Status.PENDING:
            raise FamilyFileError(_("This document has already been checked."))
        document.status = SupportingDocument.Status.REFUSED
        document.refusal_reason = reason.strip()
        document.decided_at = timezone.now()
        document.decided_by = by
        document.save()
        log(instance=document, action="family_file.refuse_document", user=by)
        return document


def record_quotient(family, quotient, effective_date, *, by, document=None, note=""):
    """Record the quotient familial in force from a date (a correction on the same date
    replaces the earlier figure; other dates keep their history).
    """
    with transaction.atomic():
        row, _created = FamilyQuotient.objects.update_or_create(
            family=family,
            effective_date=effective_date,
            defaults={
                "quotient": quotient,
                "document": document,
                "note": note,
                "recorded_by": by,
                "recorded_at": timezone.now(),
            },
        )
        log(instance=row, action="family_file.record_quotient", user=by)
        return row


def quotient_on(family, day):
    """The validated quotient familial in force on a day, or None (highest bracket)."""
    row = FamilyQuotient.objects.for_family(family).on(day)
    return row.quotient if row else None


# --- Rules ----------------------------------------------------------------------------------


def current_rules(structure, now=None):
    return RulesVersion.objects.current(structure, now)


def rules_accepted(family, version):
    return RulesAcceptance.objects.filter(family=family, version=version).first()


def accept_rules(family, version, *, by):
    """Record that a guardian accepted this version; accepting twice changes nothing."""
    if version.structure_id != family.structure_id:
        raise FamilyFileError(_("These rules are not your structure's."))
    with transaction.atomic():
        acceptance, created = RulesAcceptance.objects.get_or_create(
            family=family,
            version=version,
            defaults={"user": by, "accepted_by_name": _actor(by)},
        )
        if created:
            log(instance=acceptance, action="family_file.accept_rules", user=by)
        return acceptance


# --- Completeness -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MissingItem:
    label: str
    url: str


@dataclass
class FamilyFileFacts:
    """What `missing_items` and `document_rows` read, for many families in a few queries
    (the admin's list of family files), keyed by family or structure."""

    children: dict
    documents: dict
    requirements: dict
    rules: dict
    accepted: set
    confirmed: dict

    @classmethod
    def load(cls, families, on_date):
        season = season_of(on_date)
        family_ids = [family.pk for family in families]
        structures = {family.structure_id: family.structure for family in families}
        children = {pk: [] for pk in family_ids}
        for child in Child.objects.filter(family__in=family_ids):
            children[child.family_id].append(child)
        documents = {pk: [] for pk in family_ids}
        for document in (
            SupportingDocument.objects.filter(family__in=family_ids, requirement__season=season)
            .select_related("requirement", "child")
            .order_by("-uploaded_at", "-pk")
        ):
            documents[document.family_id].append(document)
        rules = {pk: current_rules(structure) for pk, structure in structures.items()}
        accepted = set(
            RulesAcceptance.objects.filter(
                family__in=family_ids, version__in=[r for r in rules.values() if r]
            ).values_list("family_id", "version_id")
        )
        return cls(
            children=children,
            documents=documents,
            requirements={
                pk: list(requirements_for(structure, season))
                for pk, structure in structures.items()
            },
            rules=rules,
            accepted=accepted,
            confirmed=dict(
                HealthSheet.objects.filter(child__family__in=family_ids).values_list(
                    "child_id", "confirmed_season"
                )
            ),
        )


def missing_items_by_family(families, on_date=None):
    """{family pk: `missing_items`} for a page of families, in a few queries."""
    on_date = on_date or timezone.localdate()
    known = FamilyFileFacts.load(families, on_date)
    return {family.pk: missing_items(family, on_date, known) for family in families}


def missing_items(family, on_date=None, known=None):
    """What keeps a family file from being complete: rules not accepted, required
    documents missing, refused or expired (or not yet checked), health sheets not certified
    this season. Each item links to the page that fixes it.

    `known` (from `FamilyFileFacts.load`): what is read for many families at once.
    """
    on_date = on_date or timezone.localdate()
    season = season_of(on_date)
    known = known or FamilyFileFacts.load([family], on_date)
    items = []
    rules = known.rules[family.structure_id]
    if rules and (family.pk, rules.pk) not in known.accepted:
        items.append(
            MissingItem(
                _("Accept the rules (%(version)s)") % {"version": rules.version},
                reverse("family_file:rules"),
            )
        )
    for row in document_rows(family, on_date, known):
        if not row.requirement.required or row.status == "accepted":
            continue
        name = row.requirement.name
        if row.child:
            name = f"{name} — {row.child.first_name}"
        items.append(
            MissingItem(
                _("%(document)s: %(status)s") % {"document": name, "status": row.status_label},
                reverse("family_file:documents"),
            )
        )
    for child in known.children[family.pk]:
        if known.confirmed.get(child.pk) != season:
            items.append(
                MissingItem(
                    _("Health sheet of %(child)s to certify for this season")
                    % {"child": child.first_name},
                    reverse("family_file:health", args=(child.pk,)),
                )
            )
    return items


def incomplete_files(families, on_date=None):
    """The families among `families` (a queryset) whose file `missing_items` finds
    incomplete, as one query: the admin's list pages them instead of asking each of
    100,000 families in turn. Condition for condition, the same rules as `missing_items`
    (tests/family_file/test_incomplete_files.py holds them side by side).
    """
    on_date = on_date or timezone.localdate()
    season = season_of(on_date)
    # What is missing for one of the family's children, whatever the structure: a health
    # sheet not certified for this season (or none), and below each structure's documents
    # required per child. One EXISTS over the children for all of it: PostgreSQL hashes every
    # child of the table for each such EXISTS, in each query (the list counts, then pages).
    child_missing = ~Exists(
        HealthSheet.objects.filter(child=OuterRef("pk"), confirmed_season=season)
    )
    # What is missing for the family as a whole, structure by structure.
    incomplete = Q(pk__in=[])
    for structure in Structure.objects.filter(pk__in=families.values("structure_id")):
        family_missing = Q()
        rules = current_rules(structure)
        if rules:
            family_missing |= ~Exists(
                RulesAcceptance.objects.filter(family=OuterRef("pk"), version=rules)
            )
        for requirement in requirements_for(structure, season).filter(required=True):
            if requirement.per_child:
                # Each child of the family: its own document, sent by the family.
                document = _accepted_latest(
                    requirement, on_date, family=OuterRef("family_id"), child=OuterRef("pk")
                )
                # The child's family is the outer row: its structure, read without a join.
                child_missing |= Q(Exact(OuterRef("structure_id"), structure.pk)) & ~Exists(
                    document
                )
            else:
                document = _accepted_latest(requirement, on_date, family=OuterRef("pk"), child=None)
                family_missing |= ~Exists(document)
        if family_missing:
            incomplete |= Q(structure=structure) & family_missing
    children = Child.objects.filter(family=OuterRef("pk")).filter(child_missing)
    return families.filter(Exists(children) | incomplete)


def _accepted_latest(requirement, on_date, *, family, child):
    """The latest document sent for this requirement (and child), if accepted and not
    expired: what `status_of` calls "accepted", and so not missing.

    Said as "accepted, unexpired, and no document sent after it" rather than "the first
    of the documents sorted newest first": PostgreSQL then matches every family's
    documents at once (anti-joins) instead of sorting each family's own.
    """
    same_slot = {"family": OuterRef("family"), "requirement": requirement}
    same_slot.update({"child": OuterRef("child")} if child is not None else {"child": None})
    newer = SupportingDocument.objects.filter(**same_slot).filter(
        Q(uploaded_at__gt=OuterRef("uploaded_at"))
        | Q(uploaded_at=OuterRef("uploaded_at"), pk__gt=OuterRef("pk"))
    )
    return (
        SupportingDocument.objects.filter(
            family=family,
            requirement=requirement,
            child=child,
            status=SupportingDocument.Status.ACCEPTED,
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=on_date))
        .filter(~Exists(newer))
    )


def booking_blockers(family, on_date=None):
    """What must be done before booking, when the structure asks for a complete file."""
    if not settings_for(FamilyFileSettings, family.structure).bookings_need_complete_file:
        return []
    return missing_items(family, on_date)


def health_markers(children):
    """{child_id: [(key, label)]}: allergy, PAI, treatment, for the attendance list."""
    from .health import markers

    return {
        sheet.child_id: markers(sheet.data)
        for sheet in HealthSheet.objects.filter(child__in=children).exclude(data=None)
    }
