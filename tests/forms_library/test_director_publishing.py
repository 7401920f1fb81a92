"""A director publishes a document in their structure's "Imprimés", never another's; the
admin says when an uploaded document is shown to no family, and how to publish it."""

from html import unescape

from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

import pytest

from forms_library.models import FormsLibraryPage
from parents.roles import DIRECTION_GROUP
from tests.factories.content import make_document, make_library, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def libraries(brax_page, levignac_page):
    return {"brax": make_library(brax_page), "levignac": make_library(levignac_page)}


@pytest.fixture
def other_director(other_structure):
    return make_staff("directeur2.test", DIRECTION_GROUP, other_structure)


def library_data(library, document, label):
    return nested_form_data(
        {
            "title": library.title,
            "slug": library.slug,
            "introduction": rich_text(""),
            "entries": inline_formset(
                [
                    {
                        "label": label,
                        "document": document.pk,
                        "category": "registration",
                        "shown_from": "",
                        "shown_until": "",
                    }
                ]
            ),
            "action-publish": "action-publish",
        }
    )


def test_director_publishes_and_the_family_sees_the_file(
    director, verified_client, guardian, libraries, collections
):
    document = make_document("Fiche sanitaire", collections["brax_private"])
    client = verified_client(director)
    library = libraries["brax"]
    edit_url = reverse("wagtailadmin_pages:edit", args=[library.pk])

    assert client.get(edit_url).status_code == 200
    response = client.post(edit_url, library_data(library, document, "Fiche sanitaire 2027"))

    assert response.status_code == 302
    library = FormsLibraryPage.objects.get(pk=library.pk)
    assert library.live and not library.has_unpublished_changes
    assert [entry.label for entry in library.entries.all()] == ["Fiche sanitaire 2027"]
    family_client = Client()
    family_client.force_login(guardian.user)
    content = unescape(family_client.get(reverse("forms_library:family-forms")).content.decode())
    assert "Fiche sanitaire 2027" in content
    assert document.url in content


def test_a_director_cannot_edit_another_structures_library(
    other_director, verified_client, libraries, collections
):
    document = make_document("Programme", collections["levignac"])
    client = verified_client(other_director)
    brax_url = reverse("wagtailadmin_pages:edit", args=[libraries["brax"].pk])

    assert client.get(brax_url).status_code == 302
    response = client.post(brax_url, library_data(libraries["brax"], document, "Intrus"))
    assert response.status_code == 302
    assert not libraries["brax"].entries.exists()
    # Their own structure's library is theirs to edit.
    permissions = libraries["levignac"].permissions_for_user(other_director)
    assert permissions.can_edit() and permissions.can_publish()
    assert not libraries["brax"].permissions_for_user(other_director).can_edit()


def test_directors_rights_follow_the_library_and_their_role(director, libraries):
    brax = libraries["brax"]
    assert brax.permissions_for_user(director).can_publish()
    assert not brax.permissions_for_user(director).can_add_subpage()
    # Saving again changes nothing; leaving the role takes the rights away.
    brax.save()
    assert brax.permissions_for_user(director).can_publish()
    director.groups.remove(Group.objects.get(name=DIRECTION_GROUP))
    director = type(director).objects.get(pk=director.pk)
    assert not FormsLibraryPage.objects.get(pk=brax.pk).permissions_for_user(director).can_edit()


def test_an_unlisted_document_says_how_to_publish_it(
    director, verified_client, libraries, collections
):
    document = make_document("Programme été", collections["brax"])
    client = verified_client(director)

    content = unescape(client.get(reverse("wagtaildocs:edit", args=[document.pk])).content.decode())

    assert (
        "Ce document ne figure sur aucune page « Imprimés » : les familles ne le voient pas."
        in (content)
    )
    assert reverse("wagtailadmin_pages:edit", args=[libraries["brax"].pk]) in content
    assert reverse("wagtailadmin_pages:edit", args=[libraries["levignac"].pk]) not in content


def test_a_listed_document_names_its_library(director, verified_client, brax_page, collections):
    document = make_document("Programme été", collections["brax"])
    library = make_library(brax_page, [{"label": "Programme", "document": document}])

    content = unescape(
        verified_client(director)
        .get(reverse("wagtaildocs:edit", args=[document.pk]))
        .content.decode()
    )

    assert "Ce document figure sur :" in content
    assert "aucune page « Imprimés »" not in content
    assert reverse("wagtailadmin_pages:edit", args=[library.pk]) in content


def test_a_director_cannot_delete_the_library(director, verified_client, communication, libraries):
    client = verified_client(director)
    library = libraries["brax"]

    response = client.post(reverse("wagtailadmin_pages:delete", args=[library.pk]))
    assert response.status_code == 302
    assert FormsLibraryPage.objects.filter(pk=library.pk).exists()
    response = client.post(
        reverse("wagtail_bulk_action", args=["wagtailcore", "page", "delete"]) + f"?id={library.pk}"
    )
    assert FormsLibraryPage.objects.filter(pk=library.pk).exists()
    # Communication staff, who edit the structure's pages, still may.
    assert library.permissions_for_user(communication).can_delete()
