"""Site search: public pages and public documents' titles, nothing else."""

import re

from django.urls import reverse

from wagtail.models import PageViewRestriction

import pytest

from tests.factories.content import make_document, make_help_page

pytestmark = pytest.mark.django_db


@pytest.fixture
def searchable(home, collections):
    make_help_page(home, "Horaires des vacances", [("paragraph", "<p>Ouverture à 7 h 30.</p>")])
    draft = make_help_page(home, "Vacances brouillon")
    draft.unpublish()
    restricted = make_help_page(home, "Vacances réservées")
    PageViewRestriction.objects.create(page=restricted, restriction_type=PageViewRestriction.LOGIN)
    make_document("Programme vacances Avril 2012", collections["brax"])
    make_document("Fiche vacances réservée", collections["brax_private"])


def results(client, query):
    response = client.get(reverse("home:search"), {"q": query})
    assert response.status_code == 200
    content = response.content.decode()
    pages = content.split('id="pages-heading"', 1)[1].split("</section>", 1)[0]
    documents = content.split('id="documents-heading"', 1)[1].split("</section>", 1)[0]
    link_text = r"<li><a href=\"[^\"]+\">([^<]+)</a>"
    return re.findall(link_text, pages), re.findall(link_text, documents)


def test_finds_public_pages_and_public_documents_only(client, searchable):
    pages, documents = results(client, "vacances")
    assert pages == ["Horaires des vacances"]
    assert documents == ["Programme vacances Avril 2012"]


def test_a_logged_in_family_does_not_find_more(client, guardian, searchable):
    client.force_login(guardian.user)
    pages, documents = results(client, "vacances")
    assert pages == ["Horaires des vacances"]
    assert documents == ["Programme vacances Avril 2012"]


def test_page_text_is_searched_too(client, searchable):
    pages, _documents = results(client, "ouverture")
    assert pages == ["Horaires des vacances"]


def test_no_result_is_said_in_french(client, searchable):
    content = client.get(reverse("home:search"), {"q": "piscine"}).content.decode()
    assert "Aucune page ne correspond à « piscine »." in content
    assert "Aucun document ne correspond à « piscine »." in content


def test_the_empty_search_shows_only_the_form(client, home):
    content = client.get(reverse("home:search")).content.decode()
    assert '<input type="search" id="search-q" name="q" value="">' in content
    assert "pages-heading" not in content


def test_search_results_are_cacheable_for_anonymous_visitors(client, searchable):
    response = client.get(reverse("home:search"), {"q": "vacances"})
    assert response["Cache-Control"] == "public, max-age=300"
