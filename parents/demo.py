"""Demo organisation, families and logins. Idempotent: loading twice changes nothing.

These logins are a contract (README, acceptance checks): keep them stable.
"""

import base64
from datetime import date

from django.contrib.auth.models import Group
from django.utils import timezone

from .models import Association, Child, Family, Guardian, Structure, User
from .roles import COMMUNICATION_GROUP, DIRECTION_GROUP, setup_roles

# Published passwords that pass the site's own rules (12 characters or more, not common,
# not like the username): a visitor trying the demo sees the rules a parent meets.
PARENT_PASSWORD = "Vacances-Loisirs-2026"  # noqa: S105
DIRECTOR_PASSWORD = "Tableau-Centre-2026"  # noqa: S105
DIRECTOR_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # noqa: S105 - demo only, printed
DIRECTOR_BACKUP_CODES = ["brax-0001", "brax-0002", "brax-0003", "brax-0004", "brax-0005"]
# Communication staff of Brax: publishes pages and "Imprimés"; no access to families or money.
COMMUNICATION_PASSWORD = "Affiches-Brax-2026!"  # noqa: S105 - passes the site's own rules
COMMUNICATION_TOTP_SECRET = "MNXW23LVNZUWGYLUNFXW4LLEMVWW6IJB"  # noqa: S105 - demo only, printed
COMMUNICATION_BACKUP_CODES = ["comm-0001", "comm-0002", "comm-0003", "comm-0004", "comm-0005"]


def born(age, month, day):
    """A birth date giving `age` (or `age` - 1 before the birthday) this year: the demo
    children stay the age of the centre's children (3 to 11) whatever the year. Only the
    year moves, so reloading the demo changes nothing within a year.
    """
    return date(timezone.localdate().year - age, month, day)


def _user(username, password, **fields):
    user, _ = User.objects.get_or_create(username=username, defaults=fields)
    changed = [name for name, value in fields.items() if getattr(user, name) != value]
    for name in changed:
        setattr(user, name, fields[name])
    if not user.check_password(password):
        user.set_password(password)
        changed.append("password")
    if changed:
        user.save()
    return user


def _guardian(family, user, **fields):
    guardian, _ = Guardian.objects.update_or_create(family=family, user=user, defaults=fields)
    return guardian


def load():
    association, _ = Association.objects.update_or_create(
        siret="42424242400017",
        defaults={
            "name": "Loisirs Education & Citoyenneté Grand Sud",
            "short_name": "LE&C Grand Sud",
            "address": "12 allée des Sports\n31490 Brax",
            "email": "contact@lecgrandsud.example",
            "phone": "05 61 00 00 00",
        },
    )
    brax, _ = Structure.objects.update_or_create(
        slug="brax",
        defaults={
            "association": association,
            "name": "Commune de Brax",
            "address": "Accueil de loisirs, 1 place de la Mairie\n31490 Brax",
            "siret": "42424242400025",
            "email": "alsh.brax@lecgrandsud.example",
            "phone": "05 61 00 00 01",
        },
    )
    levignac, _ = Structure.objects.update_or_create(
        slug="levignac",
        defaults={
            "association": association,
            "name": "Commune de Lévignac",
            "address": "Accueil de loisirs, 3 rue des Écoles\n31530 Lévignac",
            "siret": "42424242400033",
            "email": "alsh.levignac@lecgrandsud.example",
            "phone": "05 61 00 00 02",
        },
    )

    dupont, _ = Family.objects.update_or_create(
        structure=brax,
        reference="DUP001",
        defaults={
            "name": "DUPONT",
            "address_line1": "4 chemin des Écoliers",
            "postcode": "31490",
            "city": "Brax",
        },
    )
    parent = _user(
        "parent.demo",
        PARENT_PASSWORD,
        first_name="Jean",
        last_name="DUPONT",
        email="parent.demo@example.org",
    )
    _guardian(
        dupont,
        parent,
        civility=Guardian.Civility.MR,
        first_name="Jean",
        last_name="DUPONT",
        email="parent.demo@example.org",
    )
    for first_name, birth_date in (("Léa", born(9, 5, 14)), ("Hugo", born(7, 9, 2))):
        Child.objects.update_or_create(
            family=dupont,
            first_name=first_name,
            defaults={"last_name": "DUPONT", "birth_date": birth_date},
        )

    bernard, _ = Family.objects.update_or_create(
        structure=levignac,
        reference="BER001",
        defaults={
            "name": "BERNARD",
            "address_line1": "9 rue du Moulin",
            "postcode": "31530",
            "city": "Lévignac",
        },
    )
    parent2 = _user(
        "parent2.demo",
        PARENT_PASSWORD,
        first_name="Claire",
        last_name="BERNARD",
        email="parent2.demo@example.org",
    )
    _guardian(
        bernard,
        parent2,
        civility=Guardian.Civility.MRS,
        first_name="Claire",
        last_name="BERNARD",
        email="parent2.demo@example.org",
    )
    Child.objects.update_or_create(
        family=bernard,
        first_name="Nina",
        defaults={"last_name": "BERNARD", "birth_date": born(8, 3, 21)},
    )

    setup_roles()
    director = _user(
        "directeur.demo",
        DIRECTOR_PASSWORD,
        first_name="Paul",
        last_name="MARTEL",
        email="directeur.demo@example.org",
    )
    director.groups.add(Group.objects.get(name=DIRECTION_GROUP))
    director.structures.add(brax)
    _staff_devices(director, DIRECTOR_TOTP_SECRET, DIRECTOR_BACKUP_CODES)
    communication = _user(
        "communication.demo",
        COMMUNICATION_PASSWORD,
        first_name="Inès",
        last_name="FAURE",
        email="communication.demo@example.org",
    )
    communication.groups.add(Group.objects.get(name=COMMUNICATION_GROUP))
    communication.structures.add(brax)
    _staff_devices(communication, COMMUNICATION_TOTP_SECRET, COMMUNICATION_BACKUP_CODES)
    return {
        "structures": [brax, levignac],
        "families": [dupont, bernard],
        "director": director,
        "communication": communication,
    }


def _staff_devices(user, totp_secret, backup_codes):
    """The second factor of a demo staff login: a TOTP secret printed by `make run`, and
    backup codes."""
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    key = base64.b32decode(totp_secret).hex()
    TOTPDevice.objects.update_or_create(
        user=user, name="Démo", defaults={"key": key, "confirmed": True}
    )
    static, _ = StaticDevice.objects.get_or_create(
        user=user, name="Codes de secours", defaults={"confirmed": True}
    )
    existing = set(static.token_set.values_list("token", flat=True))
    for code in backup_codes:
        if code not in existing:
            static.token_set.create(token=code)
