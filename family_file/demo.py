"""Demo family files at Brax: DUPONT (`parent.demo`) complete; MARTIN (`parent3.demo`)
without its insurance certificate and with one change waiting for the director.

Idempotent: rows are looked up by fixed keys and files written only once, so loading the
demo twice changes nothing.
"""

from datetime import date, datetime, time

from django.core.files.base import ContentFile
from django.utils import timezone

from parents.models import Family, Structure, User

from . import services
from .models import (
    AuthorisedPerson,
    ChildDetails,
    DocumentRequirement,
    FamilyFileSettings,
    GuardianDetails,
    HealthSheet,
    PendingChange,
    RulesAcceptance,
    RulesVersion,
    SupportingDocument,
)
from .seasons import season_label, season_of, season_start

RULES_TEXT = (
    "<h2>Horaires</h2><p>L'accueil de loisirs est ouvert de 7 h 30 à 18 h 30. Les enfants "
    "sont confiés à l'équipe d'animation et repris par un responsable légal ou une personne "
    "autorisée dans le dossier famille.</p>"
    "<h2>Réservations et annulations</h2><p>Les journées se réservent sur le portail, dans "
    "les délais indiqués pour chaque période. Une absence non justifiée est facturée.</p>"
    "<h2>Santé</h2><p>Aucun médicament n'est donné sans ordonnance. La fiche sanitaire est "
    "certifiée chaque saison.</p>"
)


def _pdf(title):
    """A small valid one-page PDF standing for a scanned document."""
    text = title.encode("latin-1", "replace")
    stream = b"BT /F1 14 Tf 72 760 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out


def _requirements(brax, season):
    specs = [
        (
            DocumentRequirement.Kind.INSURANCE,
            "Attestation d'assurance extrascolaire",
            False,
            True,
            1,
        ),
        (DocumentRequirement.Kind.QUOTIENT, "Attestation CAF / quotient familial", False, True, 2),
        (
            DocumentRequirement.Kind.VACCINATIONS,
            "Pages de vaccination du carnet de santé",
            True,
            True,
            3,
        ),
        (DocumentRequirement.Kind.CUSTODY, "Jugement fixant la résidence", False, False, 4),
    ]
    found = {}
    for kind, name, per_child, required, order in specs:
        requirement, _created = DocumentRequirement.objects.get_or_create(
            structure=brax,
            season=season,
            name=name,
            defaults={
                "kind": kind,
                "per_child": per_child,
                "required": required,
                "sort_order": order,
                "description": "Valable pour la saison en cours."
                if kind == DocumentRequirement.Kind.INSURANCE
                else "",
            },
        )
        found[kind] = requirement
    return found


def _accepted_document(family, requirement, director, season, *, child=None, quotient=None):
    existing = SupportingDocument.objects.filter(
        family=family, requirement=requirement, child=child
    ).first()
    if existing is not None:
        return existing
    guardian = family.guardians.order_by("pk").first()
    title = f"{requirement.name} - {family.name}" + (f" - {child.first_name}" if child else "")
    document = services.upload_document(
        family,
        requirement,
        ContentFile(_pdf(title), name="document.pdf"),
        by=guardian.user if guardian else None,
        child=child,
    )
    start = season_start(season)
    services.accept_document(
        document,
        by=director,
        valid_from=start,
        valid_until=date(season + 1, start.month, 1) - timezone.timedelta(days=1),
        quotient=quotient,
        effective_date=start if quotient is not None else None,
    )
    return document


def _certified_sheet(child, guardian_user, data, season):
    if HealthSheet.objects.filter(child=child).exists():
        return
    moment = timezone.make_aware(datetime.combine(season_start(season), time(19, 30)))
    if moment > timezone.now():
        moment = timezone.now()
    HealthSheet.objects.create(
        child=child,
        data=data,
        confirmed_season=season,
        confirmed_at=moment,
        confirmed_by=guardian_user,
    )


def _details(child, **values):
    ChildDetails.objects.get_or_create(child=child, defaults=values)


def load():
    brax = Structure.objects.get(slug="brax")
    director = User.objects.filter(username="directeur.demo").first()
    season = season_of()
    FamilyFileSettings.objects.get_or_create(structure=brax)
    requirements = _requirements(brax, season)
    rules, _created = RulesVersion.objects.get_or_create(
        structure=brax,
        version=f"Septembre {season}",
        defaults={
            "text": RULES_TEXT,
            "published_at": timezone.make_aware(datetime.combine(season_start(season), time(8))),
        },
    )

    dupont = Family.objects.get(structure=brax, reference="DUP001")
    jean = dupont.guardians.order_by("pk").first()
    GuardianDetails.objects.get_or_create(
        guardian=jean,
        defaults={
            "address_line1": "4 chemin des Écoliers",
            "postcode": "31490",
            "city": "Brax",
            "mobile_phone": "06 12 34 56 78",
            "work_phone": "05 61 22 33 44",
            "parental_authority": True,
        },
    )
    lea = dupont.children.get(first_name="Léa")
    hugo = dupont.children.get(first_name="Hugo")
    _details(lea, school="Collège Jean-Jaurès", school_class="4e", image_rights=True, outings=True)
    _details(hugo, school="École de Brax", school_class="CM2", image_rights=False, outings=True)
    _certified_sheet(
        lea,
        jean.user,
        {
            "dtp_last_date": "2024-04-12",
            "allergy_food": "Arachides",
            "allergy_actions": "Éviction stricte. En cas de réaction : stylo d'adrénaline "
            "(dans le sac de l'animateur), appeler le 15.",
            "pai": True,
            "pai_details": "PAI allergie alimentaire signé avec le médecin scolaire.",
            "doctor_name": "Dr Claire Fabre",
            "doctor_phone": "05 61 86 00 00",
        },
        season,
    )
    _certified_sheet(
        hugo,
        jean.user,
        {
            "dtp_last_date": "2023-09-20",
            "allergy_asthma": True,
            "allergy_actions": "Ventoline (2 bouffées) en cas de gêne respiratoire.",
            "treatment": "Ventoline si besoin, ordonnance fournie.",
            "glasses": True,
            "doctor_name": "Dr Claire Fabre",
            "doctor_phone": "05 61 86 00 00",
        },
        season,
    )
    if not AuthorisedPerson.objects.filter(family=dupont).exists():
        AuthorisedPerson.objects.create(
            family=dupont,
            name="Monique DUPONT",
            relationship="Grand-mère",
            phone="05 61 44 55 66",
            can_pick_up=True,
            emergency_contact=True,
        )
    _accepted_document(dupont, requirements["insurance"], director, season)
    _accepted_document(dupont, requirements["quotient"], director, season, quotient=850)
    for child in (lea, hugo):
        _accepted_document(dupont, requirements["vaccinations"], director, season, child=child)
    if not RulesAcceptance.objects.filter(family=dupont, version=rules).exists():
        services.accept_rules(dupont, rules, by=jean.user)

    martin = Family.objects.filter(structure=brax, reference="MAR001").first()
    if martin is None:
        return {"season": season_label(season)}
    sophie = martin.guardians.order_by("pk").first()
    GuardianDetails.objects.get_or_create(
        guardian=sophie,
        defaults={
            "address_line1": "8 rue des Lilas",
            "postcode": "31490",
            "city": "Brax",
            "mobile_phone": "06 98 76 54 32",
            "parental_authority": True,
        },
    )
    for child in martin.children.all():
        _details(child, school="École de Brax", image_rights=True, outings=True)
        _certified_sheet(
            child,
            sophie.user,
            {"dtp_last_date": "2025-02-03", "doctor_name": "Dr Henri Baylac"},
            season,
        )
        _accepted_document(martin, requirements["vaccinations"], director, season, child=child)
    _accepted_document(martin, requirements["quotient"], director, season, quotient=620)
    if not RulesAcceptance.objects.filter(family=martin, version=rules).exists():
        services.accept_rules(martin, rules, by=sophie.user)
    # The insurance certificate is missing; a new address waits for the director.
    if not PendingChange.objects.filter(family=martin).exists():
        services.update_guardian(
            sophie,
            {"address_line1": "15 avenue des Pyrénées", "postcode": "31490", "city": "Brax"},
            by=sophie.user,
        )
    return {"season": season_label(season)}
