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
