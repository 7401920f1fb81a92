import pytest

from tests.factories.family_file import DocumentRequirementFactory, RulesVersionFactory
from tests.factories.parents import FamilyFactory, GuardianFactory, UserFactory


@pytest.fixture(autouse=True)
def private_tmp(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    from family_file.crypto import encrypted_storage

    # The storage caches its folder: point it at this test's folder.
    for name in ("base_location", "location"):
        encrypted_storage.__dict__.pop(name, None)
    yield
    for name in ("base_location", "location"):
        encrypted_storage.__dict__.pop(name, None)


@pytest.fixture
def child(family):
    return family.children.get()


@pytest.fixture
def insurance(structure):
    return DocumentRequirementFactory(structure=structure, name="Attestation d'assurance")


@pytest.fixture
def rules(structure):
    return RulesVersionFactory(structure=structure, version="Septembre 2026")


@pytest.fixture
def other_family_client(client, other_guardian):
    client.force_login(other_guardian.user)
    return client


@pytest.fixture
def same_structure_other_guardian(structure):
    family = FamilyFactory(structure=structure, name="MARTIN", reference="MAR001")
    return GuardianFactory(family=family, user=UserFactory(username="parent3.test"))


@pytest.fixture
def director_client(director, verified_client):
    return verified_client(director)


@pytest.fixture
def other_director(other_structure):
    from django.contrib.auth.models import Group

    from parents.roles import DIRECTION_GROUP, setup_roles

    setup_roles()
    user = UserFactory(username="directeur2.test")
    user.groups.add(Group.objects.get(name=DIRECTION_GROUP))
    user.structures.add(other_structure)
    return user
