"""The fields of the fiche sanitaire de liaison, after the Cerfa n° 10008.

They live in one encrypted JSON document (`HealthSheet.data`); this module is their one
definition, used by the parent's form, the director's review, the PDF and the export.
"""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class HealthField:
    key: str
    kind: str  # "text", "date" or "bool"
    label: str
    help_text: str = ""


GROUPS = [
    (
        _("Vaccinations"),
        [
            HealthField(
                "dtp_last_date",
                "date",
                _("Diphtheria, tetanus, poliomyelitis (DTP): date of the last booster"),
                _(
                    "Compulsory vaccinations. Also send the vaccination pages of the health "
                    "booklet."
                ),
            ),
            HealthField(
                "other_vaccinations",
                "text",
                _("Other vaccinations (name and date)"),
            ),
        ],
    ),
    (
        _("Allergies"),
        [
            HealthField("allergy_asthma", "bool", _("Asthma")),
            HealthField("allergy_food", "text", _("Food allergies")),
            HealthField("allergy_medication", "text", _("Medication allergies")),
            HealthField("allergy_other", "text", _("Other allergies")),
            HealthField(
                "allergy_actions",
                "text",
                _("Signs and what to do"),
                _("What the team must watch for and do if the child reacts."),
            ),
        ],
    ),
    (
        _("Individual care plan (PAI)"),
        [
            HealthField("pai", "bool", _("The child has a PAI (projet d'accueil individualisé)")),
            HealthField("pai_details", "text", _("What the PAI provides")),
        ],
    ),
    (
        _("Treatment and health problems"),
        [
            HealthField(
                "treatment",
                "text",
                _("Current treatment"),
                _("Medicines are given only with the prescription, in their original box."),
            ),
            HealthField(
                "health_problems",
                "text",
                _("Health problems and past illnesses"),
                _("Illnesses, accidents, operations, difficulties the team should know about."),
            ),
        ],
    ),
    (
        _("Recommendations of the parents"),
        [
            HealthField("glasses", "bool", _("Wears glasses")),
            HealthField("hearing_aids", "bool", _("Wears hearing aids")),
            HealthField("dental_appliance", "bool", _("Wears a dental appliance")),
            HealthField("diet", "text", _("Diet")),
            HealthField("other_recommendations", "text", _("Other recommendations")),
        ],
    ),
    (
        _("Family doctor"),
        [
            HealthField("doctor_name", "text", _("Doctor's name")),
            HealthField("doctor_phone", "text", _("Doctor's phone")),
        ],
    ),
]

HEALTH_FIELDS = [field for _group, fields in GROUPS for field in fields]
FIELDS_BY_KEY = {field.key: field for field in HEALTH_FIELDS}


def display_value(key, value):
    """A value as a person reads it: Yes/No, a French date, or the text."""
    from datetime import date

    from core.dates import format_date

    field = FIELDS_BY_KEY.get(key)
    if value in (None, ""):
        return "—"
    if field and field.kind == "bool":
        return _("Yes") if value else _("No")
    if field and field.kind == "date":
        try:
            return format_date(date.fromisoformat(value))
        except (TypeError, ValueError):
            return str(value)
    return str(value)


def markers(data):
    """What the attendance list flags next to a child: allergy, PAI, treatment."""
    data = data or {}
    found = []
    if any(data.get(key) for key in ("allergy_asthma", "allergy_food", "allergy_medication")) or (
        data.get("allergy_other")
    ):
        found.append(("allergy", _("Allergy")))
    if data.get("pai"):
        found.append(("pai", _("PAI")))
    if data.get("treatment"):
        found.append(("treatment", _("Treatment")))
    return found


def grouped(data):
    """[(group label, [(field, display value), ...]), ...] for templates."""
    data = data or {}
    return [
        (label, [(field, display_value(field.key, data.get(field.key))) for field in fields])
        for label, fields in GROUPS
    ]
