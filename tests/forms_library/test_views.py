"""The libraries as families and visitors see them: the family area's "Imprimés" and the
public library pages (table, grouping, order, publication windows)."""

import re
from datetime import timedelta
from html.parser import HTMLParser

from django.urls import reverse
from django.utils import timezone

import pytest

from forms_library.models import Category
from tests.factories.content import make_document, make_library

pytestmark = pytest.mark.django_db


class Library(HTMLParser):
    """The library as a reader gets it: each category heading with its table's rows, and the
    column headers."""

    def __init__(self, html):
        super().__init__()
        self.sections = []
        self.headers = []
        self._cells = None
        self._text = None
        self._in_heading = False
        self._links = []
        self._hidden = False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in {"h2", "h3"} and (attrs.get("id") or "").startswith("library-"):
            self._in_heading = True
            self.sections.append({"category": "", "rows": []})
        elif tag == "tr":
            self._cells = []
            self._links = []
        elif tag in {"td", "th"} and self._cells is not None:
            self._text = ""
        elif tag == "a" and self._cells is not None:
            self._links.append(attrs["href"])
        elif tag == "span" and "visually-hidden" in (attrs.get("class") or ""):
            self._hidden = True

    def handle_endtag(self, tag):
        if tag in {"h2", "h3"}:
            self._in_heading = False
        elif tag in {"td", "th"} and self._text is not None:
            self._cells.append(" ".join(self._text.split()))
            self._text = None
        elif tag == "span":
            self._hidden = False
        elif tag == "tr" and self._cells is not None:
            if self._links:
                self.sections[-1]["rows"].append((*self._cells, self._links[0]))
            elif not self.headers:
                self.headers = self._cells
            self._cells = None

    def handle_data(self, data):
        if self._in_heading:
            self.sections[-1]["category"] += data.strip()
        elif self._text is not None and not self._hidden:
            self._text += data


@pytest.fixture
def libraries(home, brax_page, levignac_page, collections):
    today = timezone.localdate()
    docs = {
        "programme": make_document(
            "Programme vacances Avril 2012",
            collections["brax"],
            filename="Plaqueette_ALSH_Paques_2012.pdf",
        ),
        "summer": make_document("Programme été", collections["brax"], filename="ete.pdf"),
        "scan": make_document("Scan Motorola", collections["brax"], filename="Scan_Motorola.pdf"),
        "registration": make_document(
            "Fiche d'inscription", collections["brax_private"], filename="fiche.pdf"
        ),
        "rules": make_document("Règlement", collections["association"], filename="reglement.pdf"),
        "expired": make_document("Ancien", collections["brax"], filename="ancien.pdf"),
        "future": make_document("Futur", collections["brax"], filename="futur.pdf"),
        "levignac": make_document("Lévignac", collections["levignac"], filename="levignac.pdf"),
        "levignac_private": make_document(
            "Lévignac fiche", collections["levignac_private"], filename="levignac-fiche.pdf"
        ),
    }
    brax = make_library(
        brax_page,
        [
            {
                "label": "Programme vacances Avril 2012",
                "document": docs["programme"],
                "category": Category.PROGRAMMES,
                "shown_from": today - timedelta(days=30),
            },
            {
                "label": "Programme été",
                "document": docs["summer"],
                "category": Category.PROGRAMMES,
                "shown_from": today - timedelta(days=2),
            },
            {"label": "Scan Motorola", "document": docs["scan"], "category": Category.OTHER},
            {
                "label": "Fiche d'inscription",
                "document": docs["registration"],
                "category": Category.REGISTRATION,
            },
            {
                "label": "Ancien programme",
                "document": docs["expired"],
                "category": Category.PROGRAMMES,
                "shown_until": today - timedelta(days=1),
            },
            {
                "label": "Programme futur",
                "document": docs["future"],
                "category": Category.PROGRAMMES,
                "shown_from": today + timedelta(days=1),
            },
            {
                "label": "Dernier jour",
                "document": docs["summer"],
                "category": Category.OTHER,
                "shown_from": today - timedelta(days=40),
                "shown_until": today,
            },
        ],
    )
    association = make_library(
        home,
        [{"label": "Règlement intérieur", "document": docs["rules"], "category": Category.RULES}],
    )
    levignac = make_library(
        levignac_page,
        [
            {"label": "Programme Lévignac", "document": docs["levignac"]},
            {
                "label": "Fiche Lévignac",
                "document": docs["levignac_private"],
                "category": Category.REGISTRATION,
            },
        ],
    )
    return {"brax": brax, "association": association, "levignac": levignac, "documents": docs}


def family_forms(client):
    response = client.get(reverse("forms_library:family-forms"))
    assert response.status_code == 200
    return response


def test_family_imprimes_page_has_the_manuals_titles_and_columns(parent_client, libraries):
    response = family_forms(parent_client)
    content = response.content.decode()
    assert re.search(r"<h1>\s*Imprimés\s*</h1>", content)
    assert "<h2>Télécharger un imprimé</h2>" in content
    assert Library(content).headers == ["Libellé", "Nom du fichier", "Document"]
    assert "no-store" in response["Cache-Control"]


def test_family_sees_its_structure_and_the_association_grouped_newest_first(
    parent_client, libraries
):
    docs = libraries["documents"]
    sections = Library(family_forms(parent_client).content.decode()).sections
    assert sections == [
        {
            "category": "Programmes",
            "rows": [
                ("Programme été", "ete.pdf", "Ouvrir", docs["summer"].url),
                (
                    "Programme vacances Avril 2012",
                    "Plaqueette_ALSH_Paques_2012.pdf",
                    "Ouvrir",
                    docs["programme"].url,
                ),
            ],
        },
        {
            "category": "Règlements",
            "rows": [("Règlement intérieur", "reglement.pdf", "Ouvrir", docs["rules"].url)],
        },
        {
            "category": "Inscriptions",
            "rows": [("Fiche d'inscription", "fiche.pdf", "Ouvrir", docs["registration"].url)],
        },
        {
            "category": "Autres documents",
            "rows": [
                ("Scan Motorola", "Scan_Motorola.pdf", "Ouvrir", docs["scan"].url),
                ("Dernier jour", "ete.pdf", "Ouvrir", docs["summer"].url),
            ],
        },
    ]


def test_another_structures_family_sees_its_own_library_not_braxs(
    client, other_guardian, libraries
):
    client.force_login(other_guardian.user)
    sections = Library(family_forms(client).content.decode()).sections
    labels = [row[0] for section in sections for row in section["rows"]]
    assert labels == ["Programme Lévignac", "Règlement intérieur", "Fiche Lévignac"]


def test_an_unpublished_library_is_not_shown_to_families(parent_client, libraries):
    libraries["brax"].unpublish()
    sections = Library(family_forms(parent_client).content.decode()).sections
    assert [row[0] for section in sections for row in section["rows"]] == ["Règlement intérieur"]


def test_a_family_with_no_library_is_told_so(parent_client, home):
    content = family_forms(parent_client).content.decode()
    assert "Aucun document n'est disponible pour le moment." in content


def test_staff_logins_have_no_imprimes_page(verified_client, director):
    response = verified_client(director).get(reverse("forms_library:family-forms"))
    assert response.status_code == 404


def test_the_menu_entry_leads_to_the_library_and_is_marked_current(parent_client, libraries):
    content = family_forms(parent_client).content.decode()
    url = reverse("forms_library:family-forms")
    assert f'<a href="{url}" aria-current="page">Imprimés</a>' in content


def test_public_library_page_lists_only_public_documents_in_the_window(client, libraries):
    response = client.get(libraries["brax"].url)
    assert response.status_code == 200
    sections = Library(response.content.decode()).sections
    assert [(section["category"], [row[0] for row in section["rows"]]) for section in sections] == [
        ("Programmes", ["Programme été", "Programme vacances Avril 2012"]),
        ("Autres documents", ["Scan Motorola", "Dernier jour"]),
    ]
    assert "Fiche d'inscription" not in response.content.decode()


def test_public_library_page_carries_the_accessibility_mention(client, libraries, home):
    content = client.get(libraries["association"].url).content.decode()
    assert "Accessibilité : partiellement conforme" in content
