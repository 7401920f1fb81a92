"""Who may download which document: the access matrix of the document serve view."""

from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils.http import urlencode

from wagtail.models import CollectionViewRestriction

import pytest

from forms_library.models import CollectionPrivacy, Visibility
from tests.factories.content import make_collection, make_document, pdf_bytes
from tests.factories.parents import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def documents(collections):
    return {
        "public": make_document("Programme Brax", collections["brax"]),
        "private": make_document("Fiche Brax", collections["brax_private"]),
        "association_private": make_document(
            "Fiche association", collections["association_private"]
        ),
    }


@pytest.fixture
def actor_client(client, guardian, other_guardian, communication, director, verified_client):
    """A client logged in as one of the people of the matrix."""

    def login(actor):
        if actor == "anonymous":
            return client
        if actor == "family of Brax":
            client.force_login(guardian.user)
        elif actor == "family of Lévignac":
            client.force_login(other_guardian.user)
        elif actor == "communication of Brax":
            return verified_client(communication)
        elif actor == "director of Brax":
            return verified_client(director)
        elif actor == "staff without rights":
            user = UserFactory(username="editor.test")
            user.groups.add(Group.objects.get(name="Communication"))
            return verified_client(user)
        return client

    return login


MATRIX = [
    ("anonymous", "public", 200),
    ("anonymous", "private", "login"),
    ("family of Brax", "public", 200),
    ("family of Brax", "private", 200),
    ("family of Lévignac", "public", 200),
    ("family of Lévignac", "private", 404),
    ("communication of Brax", "public", 200),
    ("communication of Brax", "private", 200),
    ("director of Brax", "public", 200),
    ("director of Brax", "private", 200),
    ("staff without rights", "public", 200),
    ("staff without rights", "private", 404),
    ("family of Brax", "association_private", 200),
    ("family of Lévignac", "association_private", 200),
    ("anonymous", "association_private", "login"),
]


@pytest.mark.parametrize(("actor", "document_key", "expected"), MATRIX)
def test_access_matrix(actor_client, documents, actor, document_key, expected):
    document = documents[document_key]
    response = actor_client(actor).get(document.url)
    if expected == "login":
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('parents:login')}?next={document.url}"
    else:
        assert response.status_code == expected
    if expected == 200:
        assert b"".join(response.streaming_content) == pdf_bytes(document.title)


def test_public_documents_may_be_cached_by_shared_caches(client, documents):
    response = client.get(documents["public"].url)
    assert response["Cache-Control"] == "public, max-age=300"


def test_restricted_documents_are_never_stored_by_caches(client, guardian, documents):
    client.force_login(guardian.user)
    response = client.get(documents["private"].url)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    assert "public" not in response["Cache-Control"]


def test_staff_without_a_verified_second_factor_is_sent_to_verify_it(client, director, documents):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=director, name="phone", confirmed=True)
    client.force_login(director)
    url = documents["private"].url
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('otp:verify')}?{urlencode({'next': url})}"


def test_sub_collections_inherit_their_parents_restriction(client, guardian, other_guardian):
    brax_private = CollectionPrivacy.objects.create(
        collection=make_collection("Brax", guardian.family.structure).add_child(name="Fiches"),
        structure=guardian.family.structure,
        visibility=Visibility.FAMILIES,
    ).collection
    nested = brax_private.add_child(name="2026")
    document = make_document("Fiche 2026", nested)

    assert client.get(document.url).status_code == 302
    client.force_login(other_guardian.user)
    assert client.get(document.url).status_code == 404
    client.force_login(guardian.user)
    assert client.get(document.url).status_code == 200


def test_a_filename_that_does_not_match_the_document_is_not_served(client, documents):
    document = documents["public"]
    response = client.get(f"/documents/{document.pk}/autre-nom.pdf")
    assert response.status_code == 404


def test_wagtail_collection_view_restrictions_still_apply(client, guardian, collections):
    document = make_document("Compte rendu", collections["association"])
    restriction = CollectionViewRestriction.objects.create(
        collection=collections["association"],
        restriction_type=CollectionViewRestriction.LOGIN,
    )
    assert restriction.pk
    response = client.get(document.url)
    assert response.status_code == 302
    assert "next=" in response["Location"]

    client.force_login(guardian.user)
    response = client.get(document.url)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
