"""The family file's part of "Mes données": readable data, the documents sent, and each
child's health sheet as PDF.
"""

from parents.data_export import Contribution

from . import health, services
from .models import (
    AuthorisedPerson,
    FamilyQuotient,
    PendingChange,
    RulesAcceptance,
    SheetConsultation,
    SupportingDocument,
)


def family_file_export(family):
    children = list(family.children.all())
    files = []
    data = {
        "responsables": [],
        "enfants": [],
        "personnes_autorisees": [],
        "pieces_justificatives": [],
        "quotients_familiaux": [],
        "reglement_interieur": [],
        "modifications": [],
    }
    for guardian in family.guardians.order_by("pk"):
        details = services.guardian_details(guardian)
        data["responsables"].append(
            {
                "nom": guardian.full_name,
                "adresse": " ".join(
                    filter(
                        None,
                        [
                            details.address_line1,
                            details.address_line2,
                            details.postcode,
                            details.city,
                        ],
                    )
                ),
                "portable": details.mobile_phone,
                "domicile": details.home_phone,
                "travail": details.work_phone,
                "autorite_parentale": details.parental_authority,
            }
        )
    for child in children:
        details = services.child_details(child)
        sheet = services.health_sheet(child)
        data["enfants"].append(
            {
                "prenom": child.first_name,
                "nom": child.last_name,
                "ecole": details.school,
                "classe": details.school_class,
                "droit_a_l_image": details.image_rights,
                "sorties": details.outings,
                "fiche_sanitaire": {
                    str(field.label): health.display_value(
                        field.key, (sheet.data or {}).get(field.key)
                    )
                    for field in health.HEALTH_FIELDS
                },
                "fiche_certifiee_le": sheet.confirmed_at.isoformat()
                if sheet.confirmed_at
                else None,
                "consultations_de_la_fiche": [
                    {"par": c.user_name, "quoi": str(c.get_kind_display()), "le": c.at.isoformat()}
                    for c in SheetConsultation.objects.filter(child=child)
                ],
            }
        )
        if sheet.pai_document:
            with sheet.pai_document.open("rb") as handle:
                extension = sheet.pai_document.name.rsplit(".", 1)[-1]
                files.append(
                    (f"fiches-sanitaires/PAI-{child.first_name}.{extension}", handle.read())
                )
    if children:
        from .pdf import health_sheets_pdf

        for child in children:
            files.append(
                (
                    f"fiches-sanitaires/fiche-sanitaire-{child.first_name}.pdf",
                    health_sheets_pdf(
                        [child],
                        title=f"Fiche sanitaire — {child.first_name} {child.last_name}",
                        structure=family.structure,
                    ),
                )
            )
    for person in AuthorisedPerson.objects.for_family(family).prefetch_related("children"):
        data["personnes_autorisees"].append(
            {
                "nom": person.name,
                "lien": person.relationship,
                "telephone": person.phone,
                "peut_recuperer": person.can_pick_up,
                "contact_urgence": person.emergency_contact,
                "enfants": [c.first_name for c in person.children.all()] or "tous",
            }
        )
    for document in SupportingDocument.objects.for_family(family).select_related(
        "requirement", "child"
    ):
        data["pieces_justificatives"].append(
            {
                "piece": document.requirement.name,
                "enfant": document.child.first_name if document.child else None,
                "fichier": document.original_name,
                "envoyee_le": document.uploaded_at.isoformat(),
                "statut": str(document.get_status_display()),
                "valide_du": document.valid_from,
                "valide_au": document.valid_until,
                "motif_du_refus": document.refusal_reason,
            }
        )
        if document.file and document.file.storage.exists(document.file.name):
            with document.file.open("rb") as handle:
                files.append(
                    (f"pieces-justificatives/{document.pk}-{document.original_name}", handle.read())
                )
    for row in FamilyQuotient.objects.for_family(family).order_by("effective_date"):
        data["quotients_familiaux"].append(
            {"quotient": str(row.quotient), "a_partir_du": row.effective_date, "note": row.note}
        )
    for acceptance in RulesAcceptance.objects.for_family(family).select_related("version"):
        data["reglement_interieur"].append(
            {
                "version": acceptance.version.version,
                "accepte_par": acceptance.accepted_by_name,
                "le": acceptance.accepted_at.isoformat(),
            }
        )
    for change in PendingChange.objects.for_family(family):
        data["modifications"].append(
            {
                "rubrique": str(change.get_section_display()),
                "avant": change.before,
                "apres": change.after,
                "statut": str(change.get_status_display()),
                "envoyee_le": change.submitted_at.isoformat(),
                "message": change.message,
            }
        )
    return Contribution(data=data, files=files)
