"""Published content in a real browser: a parent downloads from "Imprimés", a visitor reads
the manual; each page is checked with axe-core (WCAG 2.1 A and AA)."""

import zipfile

import pytest
from playwright.sync_api import expect

from forms_library import demo as forms_library_demo
from home import demo as home_demo
from parents import demo as parents_demo

from .conftest import assert_accessible, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def content(home_page, demo_data, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    pages = home_demo.load()
    library = forms_library_demo.load(pages["home"], pages["structure_pages"])
    home_demo.load_help(pages["home"], rules_document=library["documents"]["rules"])
    return library


def library_row(page, label):
    return page.get_by_role("row").filter(has=page.get_by_role("rowheader", name=label, exact=True))


def test_a_parent_opens_imprimes_and_downloads_a_form(
    page, live_server, content, browser_problems, tmp_path
):
    login(page, live_server, "parent.demo", parents_demo.PARENT_PASSWORD)
    menu = page.get_by_role("navigation", name="Menu de l'espace famille")
    menu.get_by_role("link", name="Imprimés", exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Imprimés")
    expect(page.get_by_role("heading", level=2)).to_have_text("Télécharger un imprimé")
    expect(page.get_by_role("columnheader")).to_have_text(
        ["Libellé", "Nom du fichier", "Document"] * 4
    )
    programme = library_row(page, "Programme vacances Avril 2012")
    expect(programme.get_by_role("cell").first).to_have_text("Plaqueette ALSH Paques 2012.pdf")
    expect(programme.get_by_role("link")).to_have_accessible_name(
        "Ouvrir — Programme vacances Avril 2012 (PDF)"
    )
    expect(library_row(page, "Scan Motorola").get_by_role("cell").first).to_have_text(
        "Scan Motorola.pdf"
    )
    assert_accessible(page)

    form = library_row(page, "Fiche d'inscription 2026-2027")
    with page.expect_download() as download_info:
        form.get_by_role("link", name="Ouvrir").click()
    download = download_info.value
    assert download.suggested_filename == "Fiche inscription Brax 2026-2027.odt"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    with zipfile.ZipFile(saved) as archive:
        assert archive.read("mimetype") == b"application/vnd.oasis.opendocument.text"

    pdf_href = programme.get_by_role("link", name="Ouvrir").get_attribute("href")
    response = page.request.get(live_server.url + pdf_href)
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF-")
    # Chromium reports the navigation that turned into the download as an aborted request,
    # which is a cancellation, not a problem.
    assert browser_problems == []


def test_a_visitor_reads_the_manual_and_the_public_library(
    page, live_server, content, browser_problems
):
    page.goto(live_server.url + "/")
    assert_accessible(page)
    page.get_by_role("link", name="Manuel d'utilisation de l'extranet").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Manuel d'utilisation de l'extranet")
    expect(page.get_by_role("heading", name="Questions fréquentes")).to_be_visible()
    expect(page.get_by_role("link", name="Cliquer ici pour ouvrir en format PDF")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Accessibilité : partiellement conforme").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Déclaration d'accessibilité")

    page.goto(live_server.url + "/brax/imprimes/")
    expect(library_row(page, "Programme vacances Avril 2012")).to_be_visible()
    expect(page.get_by_text("Fiche d'inscription 2026-2027")).to_have_count(0)
    assert_accessible(page)

    page.get_by_role("searchbox", name="Rechercher sur le site").fill("programme")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Rechercher")
    expect(page.get_by_role("link", name="Programme vacances Avril 2012")).to_be_visible()
    assert_accessible(page)
    assert browser_problems == []
