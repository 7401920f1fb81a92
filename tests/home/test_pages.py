"""Page types: where each may be created, who may create them, and what each one shows."""

import re

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse

from wagtail.models import Page, PageViewRestriction
from wagtail.test.utils import WagtailPageTestCase
from wagtail.test.utils.form_data import nested_form_data, rich_text, streamfield

import pytest

from forms_library.models import Category, FormsLibraryPage
from home.models import HelpPage, HomePage, StructureHomePage
from parents.roles import COMMUNICATION_GROUP, setup_roles
from tests.factories.content import (
    make_collection,
    make_document,
    make_help_page,
    make_library,
    make_structure_page,
)
from tests.factories.parents import StructureFactory, UserFactory

pytestmark = pytest.mark.django_db


class PageTreeRulesTests(WagtailPageTestCase):
    def test_the_home_page_holds_structures_help_and_the_association_library(self):
        self.assertAllowedSubpageTypes(HomePage, {StructureHomePage, HelpPage, FormsLibraryPage})
        self.assertAllowedParentPageTypes(HomePage, {Page})

    def test_a_structure_page_holds_its_library_and_help_pages_only(self):
        self.assertAllowedSubpageTypes(StructureHomePage, {FormsLibraryPage, HelpPage})
        self.assertCanNotCreateAt(StructureHomePage, StructureHomePage)
        self.assertCanNotCreateAt(HelpPage, StructureHomePage)

    def test_libraries_are_leaves_under_a_home_page(self):
        self.assertAllowedParentPageTypes(FormsLibraryPage, {HomePage, StructureHomePage})
        self.assertAllowedSubpageTypes(FormsLibraryPage, set())
        self.assertCanNotCreateAt(HelpPage, FormsLibraryPage)

    def test_help_pages_may_nest(self):
        self.assertCanCreateAt(HelpPage, HelpPage)
        self.assertCanNotCreateAt(HelpPage, HomePage)

    def test_one_home_page_and_one_library_per_parent(self):
        home = HomePage.objects.get()
        self.assertFalse(HomePage.can_create_at(home.get_parent()))
        self.assertTrue(FormsLibraryPage.can_create_at(home))
        make_library(home)
        self.assertFalse(FormsLibraryPage.can_create_at(home))


class CommunicationPublishesPagesTests(WagtailPageTestCase):
    """A Communication member given Brax creates and publishes under Brax, not elsewhere."""

    def setUp(self):
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        self.home = HomePage.objects.get()
        brax, levignac = StructureFactory(slug="brax"), StructureFactory(slug="levignac")
        self.brax_page = make_structure_page(self.home, brax)
        self.levignac_page = make_structure_page(self.home, levignac)
        setup_roles()
        self.user = UserFactory(username="communication.test")
        self.user.groups.add(Group.objects.get(name=COMMUNICATION_GROUP))
        self.user.structures.add(brax)
        device = TOTPDevice.objects.create(user=self.user, name="phone", confirmed=True)
        self.client.force_login(self.user)
        session = self.client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()

    def help_page_data(self, title):
        return nested_form_data(
            {
                "title": title,
                "slug": "infos-pratiques",
                "introduction": rich_text("<p>Horaires et tarifs.</p>"),
                "body": streamfield(
                    [
                        ("heading", {"text": "Horaires", "level": "h2"}),
                        ("paragraph", rich_text("<p>De 7 h 30 à 18 h 30.</p>")),
                        (
                            "question",
                            {"question": "Faut-il réserver ?", "answer": rich_text("<p>Oui.</p>")},
                        ),
                    ]
                ),
                "offer_pdf": "on",
            }
        )

    def test_creates_and_publishes_a_help_page_under_its_structure(self):
        self.assertCanCreate(self.brax_page, HelpPage, self.help_page_data("Infos pratiques"))
        page = HelpPage.objects.child_of(self.brax_page).get()
        self.assertTrue(page.live)
        self.assertEqual(
            [block.block_type for block in page.body], ["heading", "paragraph", "question"]
        )

    def test_cannot_create_under_another_structure(self):
        url = reverse("wagtailadmin_pages:add", args=["home", "helppage", self.levignac_page.pk])
        response = self.client.post(url, self.help_page_data("Infos pratiques"))
        self.assertEqual(response.status_code, 302)
        self.assertFalse(HelpPage.objects.exists())

    def test_has_no_access_to_families_or_billing(self):
        self.assertFalse(self.user.has_perm("parents.view_family"))
        self.assertFalse(self.user.has_perm("parents.view_guardian"))
        self.assertFalse(
            any(perm.startswith("billing.") for perm in self.user.get_all_permissions())
        )


def test_a_structure_has_one_home_page(home, brax_page):
    duplicate = StructureHomePage(title="Brax bis", slug="brax-bis", structure=brax_page.structure)
    with pytest.raises(ValidationError) as error:
        home.add_child(instance=duplicate)
    assert error.value.message_dict["structure"] == ["Cette structure a déjà sa page d'accueil."]


@pytest.fixture
def news(home, brax_page, levignac_page, collections):
    make_library(
        brax_page,
        [
            {
                "label": "Programme vacances Avril 2012",
                "document": make_document("Programme", collections["brax"]),
            },
            {
                "label": "Fiche réservée",
                "document": make_document("Fiche", collections["brax_private"]),
                "category": Category.REGISTRATION,
            },
        ],
    )
    make_library(
        levignac_page,
        [{"label": "Programme Lévignac", "document": make_document("L", collections["levignac"])}],
    )
    make_library(
        home,
        [
            {
                "label": "Règlement intérieur",
                "document": make_document("R", collections["association"]),
                "category": Category.RULES,
            }
        ],
    )


def news_labels(content):
    section = content.split('id="news-heading"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'<a href="/documents/[^"]+">([^<]+)</a>', section)


def test_home_page_shows_structures_news_and_the_family_login(client, news, brax_page):
    response = client.get("/")
    content = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Portail Familles</h1>" in content
    assert f'<a href="{brax_page.url}">Commune de Brax</a>' in content
    assert "Espace famille — se connecter" in content
    assert f'href="{reverse("parents:login")}"' in content
    assert "Derniers documents publiés" in content
    assert sorted(news_labels(content)) == [
        "Programme Lévignac",
        "Programme vacances Avril 2012",
        "Règlement intérieur",
    ]


def test_structure_page_shows_its_contact_and_its_own_news(client, news, brax_page):
    content = client.get(brax_page.url).content.decode()
    assert "<h1>Commune de Brax</h1>" in content
    assert brax_page.structure.email in content
    assert sorted(news_labels(content)) == ["Programme vacances Avril 2012", "Règlement intérieur"]


def test_accessibility_mention_links_to_the_statement(client, home):
    statement = make_help_page(home, "Déclaration d'accessibilité", slug="accessibilite")
    home.accessibility_page = statement
    home.save_revision().publish()
    content = client.get("/").content.decode()
    assert f'<a href="{statement.url}">Accessibilité : partiellement conforme</a>' in content


def test_help_page_renders_each_block_and_offers_the_pdf(client, home, collections):
    rules = make_document("Règlement intérieur", collections["association"], filename="r.pdf")
    page = make_help_page(
        home,
        "Manuel",
        [
            ("heading", {"text": "Imprimés", "level": "h2"}),
            ("paragraph", "<p>Vous pourrez télécharger les imprimés.</p>"),
            ("document", {"document": rules.pk, "label": ""}),
            ("question", {"question": "Comment payer ?", "answer": "<p>En ligne.</p>"}),
        ],
    )
    content = client.get(page.url).content.decode()
    assert "<h2>Imprimés</h2>" in content
    assert "<p>Vous pourrez télécharger les imprimés.</p>" in content
    assert f'<a href="{rules.url}">Règlement intérieur</a>' in content
    assert "(PDF," in content
    assert '<h3 class="question__question">Comment payer ?</h3>' in content
    assert (
        f'<a href="{page.url}pdf/" type="application/pdf">Cliquer ici pour ouvrir en format PDF'
        in (content)
    )


def test_help_page_without_pdf_neither_links_nor_serves_one(client, home):
    page = make_help_page(home, "Sans PDF", offer_pdf=False)
    assert "format PDF" not in client.get(page.url).content.decode()
    assert client.get(page.url + "pdf/").status_code == 404


def test_public_pages_are_cacheable_for_anonymous_visitors_only(client, home, guardian):
    response = client.get("/")
    assert response["Cache-Control"] == "public, max-age=300"
    assert "Cookie" in response["Vary"]
    assert not response.cookies

    client.force_login(guardian.user)
    assert "public" not in client.get("/").get("Cache-Control", "")


def test_pages_under_a_view_restriction_are_not_declared_public(client, home, guardian):
    page = make_help_page(home, "Réservé")
    PageViewRestriction.objects.create(page=page, restriction_type=PageViewRestriction.LOGIN)
    client.force_login(guardian.user)
    response = client.get(page.url)
    assert response.status_code == 200
    assert "public" not in response.get("Cache-Control", "")


def test_the_language_form_of_public_pages_still_works_without_a_token(client, home):
    client.get("/")
    client.handler.enforce_csrf_checks = True
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response.cookies["django_language"].value == "en"


def test_a_restricted_document_in_a_help_page_is_linked_but_not_public(client, home, structure):
    private = make_collection("Privé", structure, "families")
    document = make_document("Fiche", private)
    page = make_help_page(home, "Aide", [("document", {"document": document.pk, "label": ""})])
    assert client.get(page.url).status_code == 200
    assert client.get(document.url).status_code == 302
