import pytest

from parents.roles import setup_roles
from tests.factories.parents import (
    ChildFactory,
    FamilyFactory,
    GuardianFactory,
    StructureFactory,
    UserFactory,
)


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: the database is rolled back after each test, and
    what the cache kept of it (pages, permission sets) must go too."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def site_language():
    """Each test starts in the site's language: a request in English activates English in
    this thread, and nothing else would switch back before the next test.
    """
    from django.utils import translation

    yield
    translation.deactivate()


@pytest.fixture
def structure(db):
    return StructureFactory(name="Commune de Brax", slug="brax")


@pytest.fixture
def other_structure(db):
    return StructureFactory(
        # Both test structures issue under one SIRET: their series must differ, as in the demo.
        name="Commune de Lévignac",
        slug="levignac",
        invoice_prefix="LV",
        credit_note_prefix="AVLV",
    )


@pytest.fixture
def family(structure):
    family = FamilyFactory(structure=structure, name="DUPONT", reference="DUP001")
    ChildFactory(family=family, first_name="Léa")
    return family


@pytest.fixture
def guardian(family):
    return GuardianFactory(family=family, user=UserFactory(username="parent.test"))


@pytest.fixture
def other_guardian(other_structure):
    other_family = FamilyFactory(structure=other_structure, name="BERNARD", reference="BER001")
    return GuardianFactory(family=other_family, user=UserFactory(username="parent2.test"))


@pytest.fixture
def parent_client(client, guardian):
    client.force_login(guardian.user)
    return client


@pytest.fixture
def director(structure):
    """A director of Brax whose session has already passed the second factor."""
    from django.contrib.auth.models import Group

    from parents.roles import DIRECTION_GROUP

    setup_roles()
    user = UserFactory(username="directeur.test")
    user.groups.add(Group.objects.get(name=DIRECTION_GROUP))
    user.structures.add(structure)
    return user


@pytest.fixture
def verified_client(client):
    """Log a staff user in as if they had entered a valid TOTP code."""

    def login(user):
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return client

    return login


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory):
    """A SeaweedFS S3 server on the loopback for the whole session."""
    from tests.s3 import start_seaweedfs, stop_seaweedfs

    server = start_seaweedfs(tmp_path_factory.mktemp("seaweedfs"))
    yield server
    stop_seaweedfs(server)


@pytest.fixture
def bucket(seaweedfs, settings):
    """A fresh bucket holding this test's default (media) and private files."""
    name = seaweedfs.new_bucket()
    settings.S3_BUCKET = name
    settings.STORAGES = seaweedfs.storages(name, settings.STORAGES)
    return name


@pytest.fixture
def shared_cache(settings):
    """The cache as with Redis: every process shares it (settings.CACHE_IS_SHARED)."""
    from django.core.cache import cache

    settings.CACHE_IS_SHARED = True
    cache.clear()
    yield
    cache.clear()
