from django.urls import reverse

import pytest

pytestmark = pytest.mark.django_db

FAMILY_PAGES = [
    "parents:home",
    "forms_library:family-forms",
    "billing:account",
    "billing:certificates",
    "parents:user-space",
    "reservations:bookings",
]


@pytest.mark.parametrize("url_name", FAMILY_PAGES)
def test_anonymous_visitors_are_sent_to_login(client, url_name):
    url = reverse(url_name)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('parents:login')}?next={url}"


@pytest.mark.parametrize("url_name", FAMILY_PAGES)
def test_every_page_shows_the_menu_and_is_not_cached(parent_client, url_name):
    response = parent_client.get(reverse(url_name))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    content = response.content.decode()
    for label in (
        "Infos Connexion",
        "Imprimés",
        "Gestion du compte parent",
        "Gestion du compte",
        "Liste des attestations",
        "Espace utilisateur",
        "Réservations",
        "Déconnexion",
    ):
        assert label in content


def test_menu_entries_come_in_the_manuals_order(parent_client):
    content = parent_client.get(reverse("parents:home")).content.decode()
    labels = [
        "Infos Connexion",
        "Imprimés",
        "Gestion du compte parent",
        "Dossier famille",
        "Espace utilisateur",
        "Réservations",
        "Déconnexion",
    ]
    positions = [content.index(f">{label}<") for label in labels]
    assert positions == sorted(positions)


def test_connection_info_greets_the_guardian_with_family_and_structure(parent_client, guardian):
    content = parent_client.get(reverse("parents:home")).content.decode()
    assert "Bonjour Mme DUPONT" in content
    assert "DUPONT (DUP001)" in content
    assert "LE&amp;C Grand Sud" in content
    assert "Commune de Brax" in content


def test_previous_login_is_recorded_on_each_login(client, guardian):
    from tests.factories.parents import TEST_PASSWORD

    url = reverse("parents:login")
    client.post(url, {"username": "parent.test", "password": TEST_PASSWORD})
    guardian.user.refresh_from_db()
    first = guardian.user.last_login
    assert guardian.user.previous_login is None
    client.post(reverse("parents:logout"))
    client.post(url, {"username": "parent.test", "password": TEST_PASSWORD})
    guardian.user.refresh_from_db()
    assert guardian.user.previous_login == first
    assert guardian.user.last_login > first


def test_staff_without_a_family_get_404_in_the_family_area(client, director):
    client.force_login(director)
    assert client.get(reverse("parents:home")).status_code == 404
