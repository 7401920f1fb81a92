"""The "Collection privacy" settings screen, where a superuser ties a collection to a
structure and chooses who may read it."""

from django.urls import reverse

from wagtail.models import Collection, GroupCollectionPermission

import pytest

from forms_library.models import CollectionPrivacy
from tests.factories.parents import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(verified_client):
    return verified_client(UserFactory(username="admin.test", is_superuser=True, is_staff=True))


def test_a_superuser_restricts_a_collection_to_a_structures_families(
    superuser_client, structure, communication
):
    collection = Collection.get_first_root_node().add_child(name="Fiches de Brax")
    response = superuser_client.post(
        reverse("collection_privacy:add"),
        {"collection": collection.pk, "structure": structure.pk, "visibility": "families"},
    )
    assert response.status_code == 302
    rule = CollectionPrivacy.objects.get(collection=collection)
    assert rule.structure == structure
    assert rule.get_visibility_display() == "familles connectées de la structure"
    assert GroupCollectionPermission.objects.filter(
        collection=collection, group__name="Communication · brax"
    ).exists()

    listing = superuser_client.get(reverse("collection_privacy:index")).content.decode()
    assert "Fiches de Brax" in listing


def test_directors_do_not_get_the_privacy_screen(verified_client, director):
    response = verified_client(director).get(reverse("collection_privacy:index"))
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_home")
