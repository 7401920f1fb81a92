"""The family file's services seen from other apps: the guardians' own addresses."""

from django.urls import reverse

import pytest

from family_file import services
from family_file.models import FamilyFileSettings
from parents.addresses import guardian_addresses
from tests.factories.parents import GuardianFactory

pytestmark = pytest.mark.django_db


def test_a_guardians_own_address_is_what_other_apps_read(family, guardian, structure):
    other = GuardianFactory(family=family, first_name="Marc", user=None, email="")
    FamilyFileSettings.objects.create(structure=structure, fields_to_validate=[])
    assert guardian_addresses([guardian.pk, other.pk]) == {}

    services.update_guardian(
        other,
        {"address_line1": "8 chemin des Vignes", "postcode": "31880", "city": "La Salvetat"},
        by=other.user,
    )
    # Only phones saved: the details keep the family's address they started from.
    services.update_guardian(guardian, {"mobile_phone": "06 12 34 56 78"}, by=None)

    assert guardian_addresses([guardian.pk, other.pk]) == {
        guardian.pk: "1 rue de la Paix\n31490 Brax",
        other.pk: "8 chemin des Vignes\n31880 La Salvetat",
    }
    # Cleared, the address is the family's again.
    services.update_guardian(other, {"address_line1": "", "postcode": "", "city": ""}, by=None)
    assert other.pk not in guardian_addresses([other.pk])


def test_the_guardians_form_says_what_their_own_address_is_for(parent_client):
    page = parent_client.get(reverse("family_file:guardians")).content.decode()

    assert "si elle diffère de celle de la famille" in page


def test_guardians_at_the_familys_address_follow_its_move(family, guardian, structure):
    """Saving a guardian's phone stores the family's address in their details; when the
    family moves, that guardian moves with it and their certificates carry the new address,
    while a separated parent keeps their own."""
    other = GuardianFactory(family=family, first_name="Marc", user=None, email="")
    FamilyFileSettings.objects.create(structure=structure, fields_to_validate=[])
    services.update_guardian(guardian, {"mobile_phone": "06 12 34 56 78"}, by=None)
    services.update_guardian(
        other,
        {"address_line1": "8 chemin des Vignes", "postcode": "31880", "city": "La Salvetat"},
        by=None,
    )

    family.address_line1, family.postcode, family.city = "3 place du Marché", "31700", "Blagnac"
    family.save()

    assert guardian_addresses([guardian.pk, other.pk]) == {
        guardian.pk: "3 place du Marché\n31700 Blagnac",
        other.pk: "8 chemin des Vignes\n31880 La Salvetat",
    }
