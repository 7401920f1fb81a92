"""The family chooser behind the "family" filters: a search, never a list of every family,
and only ever the families of the director's own structures."""

from django.test import Client
from django.urls import reverse

import pytest

from parents.roles import COMMUNICATION_GROUP, setup_roles
from tests.factories.parents import FamilyFactory, GuardianFactory, UserFactory

pytestmark = pytest.mark.django_db

CHOOSE = "family_chooser:choose"
CHOSEN = "family_chooser:chosen"


@pytest.fixture
def director_client(director, verified_client):
    return verified_client(director)


@pytest.fixture
def other_family(other_guardian):
    return other_guardian.family


def chooser_html(response):
    assert response.status_code == 200
    return response.json()["html"]


def test_the_chooser_lists_the_directors_families_only(director_client, family, other_family):
    html = chooser_html(director_client.get(reverse(CHOOSE)))
    assert "DUPONT" in html
    assert "BERNARD" not in html


def test_the_chooser_searches_by_name_and_by_reference(director_client, family, structure):
    FamilyFactory(structure=structure, name="MARTIN", reference="MAR007")
    by_name = chooser_html(director_client.get(reverse(CHOOSE), {"q": "dupo"}))
    assert "DUPONT" in by_name and "MARTIN" not in by_name
    by_reference = chooser_html(director_client.get(reverse(CHOOSE), {"q": "MAR0"}))
    assert "MARTIN" in by_reference and "DUPONT" not in by_reference


def test_the_chooser_pages_through_many_families(director_client, structure):
    for n in range(45):
        FamilyFactory(structure=structure, name=f"FAMILLE {n:03d}", reference=f"F{n:03d}")
    html = chooser_html(director_client.get(reverse(CHOOSE)))
    assert html.count("FAMILLE 0") == 20


def test_choosing_a_family_answers_its_name(director_client, family):
    response = director_client.get(reverse(CHOSEN, args=[family.pk]))
    assert response.status_code == 200
    assert response.json()["result"]["title"] == str(family)


def test_another_structures_family_cannot_be_chosen(director_client, other_family):
    assert director_client.get(reverse(CHOSEN, args=[other_family.pk])).status_code == 404


def test_a_family_cannot_use_the_chooser(client, guardian, family):
    client.force_login(guardian.user)
    for url in (reverse(CHOOSE), reverse(CHOSEN, args=[family.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert "DUPONT" not in response.content.decode()


def test_anonymous_visitors_are_sent_to_the_login_page(family):
    response = Client().get(reverse(CHOSEN, args=[family.pk]))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_staff_who_may_not_see_families_cannot_choose_one(verified_client, family, structure):
    from django.contrib.auth.models import Group

    setup_roles()
    user = UserFactory(username="communication.test")
    user.groups.add(Group.objects.get(name=COMMUNICATION_GROUP))
    user.structures.add(structure)
    client = verified_client(user)
    for url in (reverse(CHOOSE), reverse(CHOSEN, args=[family.pk])):
        response = client.get(url)
        # Wagtail answers a refusal by going back to the dashboard with a message.
        assert response.status_code == 302
        assert response["Location"] == "/admin/"


def test_the_guardian_filter_offers_a_chooser_not_every_family(director_client, structure):
    for n in range(30):
        GuardianFactory(
            family=FamilyFactory(structure=structure, name=f"FAMILLE {n:03d}", reference=f"F{n}"),
            user=None,
        )
    html = director_client.get(reverse("guardians:index")).content.decode()
    assert "<option" not in html.split('name="family"')[0][-2000:]
    assert html.count('name="family"') == 1
    assert "Choose a family" in html or "Choisir une famille" in html


def test_filtering_by_family_keeps_the_chosen_family_shown(director_client, family, guardian):
    response = director_client.get(reverse("guardians:index"), {"family": family.pk})
    assert [g.pk for g in response.context["object_list"]] == [guardian.pk]
    assert "DUPONT (DUP001)" in response.content.decode()


def test_another_structures_family_in_the_filter_shows_nothing_of_it(
    director_client, guardian, other_family
):
    response = director_client.get(reverse("children:index"), {"family": other_family.pk})
    assert response.status_code == 200
    assert "BERNARD" not in response.content.decode()
