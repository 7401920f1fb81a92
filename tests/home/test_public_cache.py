"""The server's copy of public pages: served to anonymous visitors without work, purged as
soon as content changes, never shared with a logged-in visitor or a restricted page."""

from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wagtail.models import PageViewRestriction

import pytest

from tests.factories.content import make_help_page, publish
from tests.factories.parents import UserFactory

pytestmark = pytest.mark.django_db


def get_twice(client, url):
    first = client.get(url)
    with CaptureQueriesContext(connection) as queries:
        second = client.get(url)
    return first, second, len(queries)


def test_an_anonymous_visitor_gets_the_stored_page_without_any_query(client, brax_page):
    first, second, queries = get_twice(client, brax_page.url)
    assert first.status_code == second.status_code == 200
    assert queries == 0
    assert second.content == first.content
    assert "public" in second["Cache-Control"]


def test_publishing_a_change_shows_it_at_once(client, home):
    page = make_help_page(home, "Horaires", slug="horaires", introduction="<p>Ouvert à 8 h</p>")
    assert "Ouvert à 8 h" in client.get(page.url).content.decode()
    page.introduction = "<p>Ouvert à 7 h 30</p>"
    publish(page)
    html = client.get(page.url).content.decode()
    assert "Ouvert à 7 h 30" in html
    assert "Ouvert à 8 h" not in html


def test_unpublishing_a_page_takes_it_away_at_once(client, home):
    page = make_help_page(home, "Tarifs", slug="tarifs")
    assert client.get(page.url).status_code == 200
    page.unpublish()
    assert client.get(page.url).status_code == 404


def test_a_structure_renamed_shows_on_the_home_page_at_once(client, home, structure):
    assert structure.name in client.get(home.url).content.decode()
    structure.name = "Commune de Brax-sur-Garonne"
    structure.save()
    assert "Commune de Brax-sur-Garonne" in client.get(home.url).content.decode()


def test_a_logged_in_visitor_never_gets_the_anonymous_copy(client, home, guardian):
    client.get(home.url)  # stored for anonymous visitors
    client.force_login(guardian.user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(home.url)
    assert response.status_code == 200
    assert len(queries) > 0  # rendered for this visitor, not taken from the store
    assert "public" not in response.get("Cache-Control", "")


def test_a_restricted_page_is_never_stored(client, home):
    page = make_help_page(home, "Réservé", slug="reserve")
    restriction = PageViewRestriction.objects.create(
        page=page, restriction_type=PageViewRestriction.GROUPS
    )
    restriction.groups.add(Group.objects.create(name="Équipe"))
    first, second, queries = get_twice(client, page.url)
    assert first.status_code == second.status_code == 302  # to the login page
    assert queries > 0


def test_english_and_french_visitors_get_their_own_copy(client, home):
    french = client.get(home.url, headers={"accept-language": "fr"}).content.decode()
    english = client.get(home.url, headers={"accept-language": "en"}).content.decode()
    assert 'lang="fr"' in french
    assert 'lang="en"' in english


def test_pending_messages_bypass_the_store(client, home):
    client.get(home.url)
    client.cookies["messages"] = "pending"
    with CaptureQueriesContext(connection) as queries:
        client.get(home.url)
    assert len(queries) > 0


def test_the_store_can_be_switched_off(client, home, settings):
    settings.PUBLIC_CACHE_MAX_AGE = 0
    first, second, queries = get_twice(client, home.url)
    assert queries > 0


def test_a_staff_member_logged_in_sees_a_page_being_edited_not_the_stored_copy(client, home):
    user = UserFactory(username="communication.test", is_superuser=True)
    client.get(home.url)
    client.force_login(user)
    assert client.get(home.url).status_code == 200
    assert "public" not in client.get(home.url).get("Cache-Control", "")
