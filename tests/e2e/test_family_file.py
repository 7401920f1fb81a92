"""The family file in a real browser: the demo parent sends a health sheet, a document and
accepts the new rules; the director decides from the queues; the parent sees the decisions.
Every new page passes axe-core (WCAG 2.1 A and AA) at 1280 px and 360 px.
"""

from django.urls import reverse
from django.utils import timezone

import pytest
from playwright.sync_api import expect

from parents import demo

from .conftest import assert_accessible, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PAGES = ["home", "guardians", "children", "health-index", "people", "documents", "rules"]


@pytest.fixture
def family_file_demo(transactional_db, settings, tmp_path):
    from family_file import demo as family_file_demo
    from family_file.crypto import encrypted_storage
    from family_file.models import RulesVersion
    from parents.models import Structure

    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    for name in ("base_location", "location"):
        encrypted_storage.__dict__.pop(name, None)
    demo.load()
    family_file_demo.load()
    RulesVersion.objects.create(
        structure=Structure.objects.get(slug="brax"),
        version="Janvier 2027",
        text="<p>Nouveaux horaires : 7 h 45 à 18 h 15.</p>",
        published_at=timezone.now() - timezone.timedelta(minutes=5),
    )
    yield
    for name in ("base_location", "location"):
        encrypted_storage.__dict__.pop(name, None)


def director_login(page, live_server):
    page.goto(live_server.url + "/admin/login/")
    page.locator('input[name="username"]').fill("directeur.demo")
    page.locator('input[name="password"]').fill(demo.DIRECTOR_PASSWORD)
    page.locator('button[type="submit"]').first.click()
    page.wait_for_load_state()
    page.locator('input[name="code"]').fill(demo.DIRECTOR_BACKUP_CODES[0])
    page.get_by_role("button", name="Vérifier").click()
    page.wait_for_load_state()


def test_parent_sends_director_decides_parent_sees(
    page, browser, live_server, home_page, family_file_demo, tmp_path, browser_problems
):
    from family_file.models import PendingChange, SupportingDocument
    from parents.models import Child

    hugo = Child.objects.get(first_name="Hugo", family__reference="DUP001")
    login(page, live_server, "parent.demo", demo.PARENT_PASSWORD)
    menu = page.get_by_role("navigation", name="Menu de l'espace famille")
    expect(menu.get_by_text("Dossier famille", exact=True)).to_be_visible()

    # Health sheet: a new food allergy, certified, sent to the centre.
    menu.get_by_role("link", name="Fiche sanitaire", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Fiche sanitaire")
    page.get_by_role("link", name="Fiche sanitaire de Hugo").click()
    page.get_by_label("Allergies alimentaires").fill("Kiwi")
    page.get_by_label("Je certifie exactes les informations").check()
    page.get_by_role("button", name="Envoyer la fiche sanitaire").click()
    expect(page.get_by_text("en attente de validation").first).to_be_visible()
    expect(page.get_by_role("heading", name="Consultations de la fiche")).to_be_visible()
    assert PendingChange.objects.filter(child=hugo, status="pending").exists()

    # A supporting document.
    menu.get_by_role("link", name="Pièces justificatives", exact=True).click()
    document = tmp_path / "jugement.pdf"
    document.write_bytes(PDF)
    page.get_by_label("Document").select_option(label="Jugement fixant la résidence")
    page.get_by_label("Fichier").set_input_files(str(document))
    page.get_by_role("button", name="Envoyer", exact=True).click()
    expect(page.get_by_text("La pièce a été envoyée")).to_be_visible()
    row = page.get_by_role("row").filter(has_text="Jugement fixant la résidence")
    expect(row).to_contain_text("en attente de vérification")

    # The new rules version.
    menu.get_by_role("link", name="Règlement intérieur", exact=True).click()
    expect(page.get_by_text("Nouveaux horaires")).to_be_visible()
    page.get_by_label("J'ai lu et j'accepte le règlement intérieur").check()
    page.get_by_role("button", name="Accepter le règlement intérieur").click()
    expect(page.get_by_text("Accepté par Jean DUPONT")).to_be_visible()

    # Every family-file page is accessible, wide and narrow.
    for width, height in ((1280, 900), (360, 740)):
        page.set_viewport_size({"width": width, "height": height})
        for name in PAGES:
            page.goto(live_server.url + reverse(f"family_file:{name}"))
            assert_accessible(page)
        page.goto(live_server.url + reverse("family_file:health", args=(hugo.pk,)))
        assert_accessible(page)
        page.goto(live_server.url + reverse("parents:user-space"))
        expect(page.get_by_role("link", name="Télécharger mes données")).to_be_visible()
        assert_accessible(page)

    # The director validates from the queues.
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    director = context.new_page()
    director_login(director, live_server)
    director.goto(live_server.url + reverse("family_files:index"))
    expect(director.get_by_role("heading", level=1)).to_contain_text("Dossiers")
    assert_accessible(director)
    director.goto(live_server.url + reverse("family_file_changes:index"))
    expect(director.get_by_role("heading", level=1)).to_contain_text("Modifications à valider")
    assert_accessible(director)
    director.get_by_role("link", name="Fiche sanitaire — Hugo DUPONT").click()
    expect(director.get_by_role("cell", name="Kiwi")).to_be_visible()
    assert_accessible(director)
    director.get_by_role("button", name="Accepter").click()
    expect(director.get_by_text("Modification acceptée et appliquée.")).to_be_visible()

    director.goto(live_server.url + reverse("family_file_documents:index"))
    expect(director.get_by_role("heading", level=1)).to_contain_text("Pièces à vérifier")
    assert_accessible(director)
    director.get_by_role("link", name="Jugement fixant la résidence").click()
    assert_accessible(director)
    director.get_by_label("Motif du refus").fill("Il manque la page 2 du jugement.")
    director.get_by_role("button", name="Refuser").click()
    expect(director.get_by_text("Pièce refusée")).to_be_visible()
    context.close()
    assert SupportingDocument.objects.get(requirement__kind="custody").status == "refused"

    # The parent sees both decisions.
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(live_server.url + reverse("family_file:health", args=(hugo.pk,)))
    expect(page.get_by_text("Modification acceptée")).to_be_visible()
    expect(page.get_by_label("Allergies alimentaires")).to_have_value("Kiwi")
    consultations = page.get_by_role("table", name="Qui a consulté cette fiche sanitaire")
    expect(consultations).to_contain_text("Paul MARTEL")
    page.goto(live_server.url + reverse("family_file:documents"))
    row = page.get_by_role("row").filter(has_text="Jugement fixant la résidence")
    expect(row).to_contain_text("refusée")
    expect(row).to_contain_text("Il manque la page 2 du jugement.")
    assert_accessible(page)
    assert browser_problems == []
