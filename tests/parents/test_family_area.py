from django.urls import reverse

import pytest

from tests.factories.content import home  # noqa: F401 - fixture

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


def test_logging_out_says_so_on_the_page_one_lands_on(parent_client):
    response = parent_client.post(reverse("parents:logout"), follow=True)

    assert response.redirect_chain[-1][0] == reverse("parents:login")
    content = response.content.decode()
    assert "Déconnexion effectuée. À bientôt sur l&#x27;espace famille !" in content
    # Shown once: the next page is quiet.
    assert (
        "Déconnexion effectuée" not in parent_client.get(reverse("parents:login")).content.decode()
    )
    assert parent_client.get(reverse("parents:home")).status_code == 302


def test_a_visitor_who_was_not_logged_in_gets_no_logout_message(client):
    response = client.post(reverse("parents:logout"), follow=True)
    assert "Déconnexion effectuée" not in response.content.decode()


FRENCH_WORDS = ("identifiant", "Identifiant", "Espace famille", "espace famille", ",00 €")


@pytest.mark.parametrize(
    "url_name",
    [*FAMILY_PAGES, "parents:login", "parents:password-reset"],
)
def test_english_pages_leave_no_french_behind(parent_client, url_name):
    parent_client.cookies["django_language"] = "en"
    if url_name in ("parents:login", "parents:password-reset"):
        parent_client.post(reverse("parents:logout"))
    response = parent_client.get(reverse(url_name))
    assert response.status_code == 200
    content = response.content.decode()
    assert '<html lang="en"' in content
    assert [word for word in FRENCH_WORDS if word in content] == []


@pytest.mark.usefixtures("home")
def test_the_english_public_home_page_says_family_area(client):
    client.cookies["django_language"] = "en"
    content = client.get("/").content.decode()
    assert "Family area — log in" in content
    assert "Espace famille" not in content
