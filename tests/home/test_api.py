"""The public content API at /api/v2/: public content only, rich text rendered, cacheable."""

from datetime import timedelta

from django.utils import timezone

from wagtail.api.utils import get_full_url
from wagtail.models import PageViewRestriction

import pytest

from forms_library.models import Category, Visibility
from tests.factories.content import (
    make_collection,
    make_document,
    make_help_page,
    make_image,
    make_library,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def content(home, brax_page, collections):
    docs = {
        "public": make_document("Programme", collections["brax"]),
        "private": make_document("Fiche réservée", collections["brax_private"]),
        "expired": make_document("Ancien", collections["brax"]),
    }
    library = make_library(
        brax_page,
        [
            {"label": "Programme vacances", "document": docs["public"]},
            {
                "label": "Fiche d'inscription",
                "document": docs["private"],
                "category": Category.REGISTRATION,
            },
            {
                "label": "Ancien programme",
                "document": docs["expired"],
                "shown_until": timezone.localdate() - timedelta(days=1),
            },
        ],
    )
    manual = make_help_page(
        home,
        "Manuel",
        [
            ("paragraph", f'<p>Voir <a linktype="page" id="{library.pk}">les imprimés</a>.</p>'),
            ("document", {"document": docs["private"].pk, "label": "Fiche"}),
            ("document", {"document": docs["public"].pk, "label": ""}),
        ],
        slug="manuel",
    )
    draft = make_help_page(home, "Brouillon")
    draft.unpublish()
    restricted = make_help_page(home, "Réservé aux connectés")
    PageViewRestriction.objects.create(page=restricted, restriction_type=PageViewRestriction.LOGIN)
    return {
        "documents": docs,
        "library": library,
        "manual": manual,
        "draft": draft,
        "restricted": restricted,
    }


def get_json(client, url, status=200):
    response = client.get(url)
    assert response.status_code == status, response.content
    return response.json() if status == 200 else response


def test_pages_lists_live_public_pages_only(client, content, home, brax_page):
    titles = [item["title"] for item in get_json(client, "/api/v2/pages/")["items"]]
    assert sorted(titles) == sorted(
        [home.title, brax_page.title, content["library"].title, content["manual"].title]
    )


@pytest.mark.parametrize("key", ["draft", "restricted"])
def test_unpublished_and_restricted_pages_are_404_even_by_id(client, guardian, content, key):
    get_json(client, f"/api/v2/pages/{content[key].pk}/", status=404)
    # A logged-in family passes the page's restriction on the site, not in the API.
    client.force_login(guardian.user)
    get_json(client, f"/api/v2/pages/{content[key].pk}/", status=404)


def test_documents_lists_public_collections_only_and_a_private_id_is_404(client, content):
    docs = content["documents"]
    titles = [item["title"] for item in get_json(client, "/api/v2/documents/")["items"]]
    assert sorted(titles) == ["Ancien", "Programme"]
    get_json(client, f"/api/v2/documents/{docs['private'].pk}/", status=404)
    assert get_json(client, f"/api/v2/documents/{docs['public'].pk}/")["title"] == "Programme"


def test_documents_made_private_disappear_from_the_api(client, content, collections):
    rule = collections["brax"].privacy
    rule.visibility = Visibility.FAMILIES
    rule.save()
    assert get_json(client, "/api/v2/documents/")["items"] == []
    get_json(client, f"/api/v2/documents/{content['documents']['public'].pk}/", status=404)


def test_images_list_public_collections_only(client, collections, structure):
    public = make_image("Affiche", collections["brax"])
    private = make_image("Photo de groupe", make_collection("Photos", structure, "families"))
    titles = [item["title"] for item in get_json(client, "/api/v2/images/")["items"]]
    assert titles == ["Affiche"]
    get_json(client, f"/api/v2/images/{private.pk}/", status=404)
    assert get_json(client, f"/api/v2/images/{public.pk}/")["title"] == "Affiche"


def test_library_page_exposes_public_entries_in_their_window(client, content):
    data = get_json(client, f"/api/v2/pages/{content['library'].pk}/")
    public = content["documents"]["public"]
    assert data["structure_name"] == "Commune de Brax"
    assert data["documents"] == [
        {
            "label": "Programme vacances",
            "category": "programmes",
            "category_label": "Programmes",
            "published_on": timezone.localdate(public.created_at).isoformat(),
            "document": {
                "id": public.pk,
                "title": "Programme",
                "filename": public.filename,
                "download_url": get_full_url(None, public.url),
            },
        }
    ]


def test_help_page_body_has_rendered_rich_text_and_hides_private_documents(client, content):
    body = get_json(client, f"/api/v2/pages/{content['manual'].pk}/")["body"]
    library_url = content["library"].url
    assert body[0]["value"] == f'<p>Voir <a href="{library_url}">les imprimés</a>.</p>'
    assert body[1]["value"] == {"label": "Fiche", "document": None}
    public = content["documents"]["public"]
    assert body[2]["value"]["document"]["id"] == public.pk
    assert body[2]["value"]["label"] == "Programme"
    data = get_json(client, f"/api/v2/pages/{content['manual'].pk}/")
    assert data["pdf_url"] == content["manual"].url + "pdf/"


def test_responses_are_cacheable_and_readable_from_other_sites(client, content):
    response = client.get("/api/v2/pages/")
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["Access-Control-Allow-Origin"] == "*"
    missing = client.get(f"/api/v2/pages/{content['draft'].pk}/")
    assert "public" not in missing.get("Cache-Control", "")


def test_logged_in_visitors_get_the_same_answer(client, guardian, content):
    anonymous = client.get("/api/v2/pages/").json()
    client.force_login(guardian.user)
    assert client.get("/api/v2/pages/").json() == anonymous


def test_the_api_answers_json_only(client, content):
    response = client.get("/api/v2/pages/", HTTP_ACCEPT="text/html")
    assert response["Content-Type"] == "application/json"
