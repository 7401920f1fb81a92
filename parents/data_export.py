"""'Mes données': one ZIP of everything the portal holds on a family.

Apps that depend on parents register a contributor from their AppConfig.ready (parents
never imports them). A contributor takes the family and returns a `Contribution`: a
JSON-serialisable section for `donnees.json` and files to add to the archive.
"""

import io
import json
import zipfile
from dataclasses import dataclass, field

from django.utils import timezone

_contributors = {}


@dataclass
class Contribution:
    data: object = None
    # [(path inside the archive, bytes)]
    files: list = field(default_factory=list)


def register_contributor(name, function):
    """Add a section `name` to every family's export; registering twice keeps one."""
    _contributors[name] = function


def contributors():
    return dict(_contributors)


def family_data(family):
    """What parents itself holds: the family, its guardians and logins, its children."""
    return {
        "famille": {
            "reference": family.reference,
            "nom": family.name,
            "adresse": family.postal_address,
            "structure": family.structure.name,
            "creee_le": family.created_at.isoformat(),
        },
        "responsables": [
            {
                "civilite": guardian.civility,
                "prenom": guardian.first_name,
                "nom": guardian.last_name,
                "email": guardian.email,
                "telephone": guardian.phone,
                "identifiant": guardian.user.get_username() if guardian.user else None,
                "derniere_connexion": guardian.user.last_login.isoformat()
                if guardian.user and guardian.user.last_login
                else None,
            }
            for guardian in family.guardians.select_related("user").order_by("pk")
        ],
        "enfants": [
            {"prenom": child.first_name, "nom": child.last_name, "naissance": str(child.birth_date)}
            for child in family.children.all()
        ],
    }


def build_export(family):
    """The ZIP's bytes: donnees.json (readable, indented, UTF-8) and every contributed file."""
    document = {"exporte_le": timezone.now().isoformat(), **family_data(family)}
    files = []
    for name, function in sorted(_contributors.items()):
        contribution = function(family)
        if contribution.data is not None:
            document[name] = contribution.data
        files.extend(contribution.files)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "donnees.json", json.dumps(document, ensure_ascii=False, indent=2, default=str)
        )
        seen = set()
        for path, content in files:
            unique = path
            number = 2
            while unique in seen:
                stem, dot, extension = path.rpartition(".")
                unique = f"{stem}-{number}.{extension}" if dot else f"{path}-{number}"
                number += 1
            seen.add(unique)
            archive.writestr(unique, content)
    return buffer.getvalue()
