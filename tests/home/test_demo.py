"""The demo's published content: the manual's library, the private form, the help pages."""

from django.urls import reverse

from wagtail.documents import get_document_model
from wagtail.models import Page, Revision

import pytest

from forms_library import demo as forms_library_demo
from forms_library.models import FormsLibraryEntry
from home import demo as home_demo
from parents import demo as parents_demo
from parents.models import User

pytestmark = pytest.mark.django_db


def load_content():
    """The content part of `manage.py load_demo_data`, in its order (billing's left out)."""
    parents_demo.load()
    pages = home_demo.load()
    library = forms_library_demo.load(pages["home"], pages["structure_pages"])
    home_demo.load_help(pages["home"], rules_document=library["documents"]["rules"])


@pytest.fixture
def demo(home):
    load_content()


def snapshot():
    return (
        Page.objects.count(),
        Revision.objects.count(),
        get_document_model().objects.count(),
        FormsLibraryEntry.objects.count(),
    )


def test_loading_twice_changes_nothing(demo):
    before = snapshot()
    load_content()
    assert snapshot() == before


def test_the_demo_parent_finds_the_manuals_documents_under_imprimes(client, demo):
    client.force_login(User.objects.get(username="parent.demo"))
    content = client.get(reverse("forms_library:family-forms")).content.decode()
    for text in (
        "Programme vacances Avril 2012",
        "Plaqueette ALSH Paques 2012.pdf",
        "Scan Motorola",
        "Scan Motorola.pdf",
        "Règlement intérieur",
        "Fiche d&#x27;inscription 2026-2027",
    ):
        assert text in content
    assert "Programme vacances d&#x27;été" not in content  # Lévignac's


def test_the_private_form_is_for_brax_families_only(client, demo):
    form = get_document_model().objects.get(title="Fiche d'inscription 2026-2027")
    assert client.get(form.url).status_code == 302
    client.force_login(User.objects.get(username="parent2.demo"))
    assert client.get(form.url).status_code == 404
    client.force_login(User.objects.get(username="parent.demo"))
    response = client.get(form.url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")


def test_the_manual_and_the_accessibility_statement_are_published(client, demo):
    manual = client.get("/manuel/").content.decode()
    assert "Manuel d&#x27;utilisation de l&#x27;extranet" in manual
    assert "Cliquer ici pour ouvrir en format PDF" in manual
    assert "Questions fréquentes" in manual
    home = client.get("/").content.decode()
    assert '<a href="/accessibilite/">Accessibilité : partiellement conforme</a>' in home
    assert client.get("/manuel/pdf/")["Content-Type"] == "application/pdf"


def test_the_apis_page_urls_name_the_running_server(client, home, settings):
    """Not "http://localhost/…": the default Site takes the host and port of SITE_URL."""
    settings.SITE_URL = "http://127.0.0.1:8001"
    load_content()

    pages = client.get("/api/v2/pages/?fields=html_url").json()["items"]

    assert pages
    for page in pages:
        assert page["meta"]["html_url"].startswith("http://127.0.0.1:8001/"), page["meta"]
    settings.SITE_URL = "https://portail.example.org"
    load_content()
    pages = client.get("/api/v2/pages/?fields=html_url&limit=20").json()["items"]
    assert all(p["meta"]["html_url"].startswith("https://portail.example.org/") for p in pages)
