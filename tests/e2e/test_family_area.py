"""The family area in a real browser: the demo parent's journey, phone width, login errors.

Each page visited is also checked with axe-core (WCAG 2.1 A and AA).
"""

import re

from django.urls import reverse

import pytest
from playwright.sync_api import expect

from parents import demo

from .conftest import assert_accessible, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# The menu as the manual names it: (link's accessible name, the h1 of the page it opens). Both
# entries of "Gestion du compte parent" open the manual's tabbed "Gestion de votre compte".
MENU = [
    ("Infos Connexion", "Infos Connexion"),
    ("Imprimés", "Imprimés"),
    ("Gestion du compte", "Gestion de votre compte"),
    ("Liste des attestations", "Gestion de votre compte"),
    ("Espace utilisateur", "Espace utilisateur"),
    ("Réservations", "Réservations"),
]
# --brand-dark in site.css: proves the stylesheet was served and applied.
HEADER_BACKGROUND = "rgb(8, 63, 94)"
WRONG_LOGIN_MESSAGE = (
    "Identifiant ou mot de passe incorrect. "
    "Le mot de passe tient compte des majuscules et minuscules."
)


def family_menu(page):
    return page.get_by_role("navigation", name="Menu de l'espace famille")


def test_demo_parent_visits_every_menu_entry_then_logs_out(
    page, live_server, home_page, demo_data, browser_problems
):
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Portail Familles")
    expect(page.get_by_role("listitem").filter(has_text="Commune de Brax")).to_be_visible()
    expect(page.get_by_role("banner")).to_have_css("background-color", HEADER_BACKGROUND)
    assert_accessible(page)

    page.get_by_role("link", name="Espace famille — se connecter").click()
    expect(page).to_have_url(live_server.url + reverse("parents:login"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Espace famille")
    assert_accessible(page)

    login(page, live_server, "parent.demo", demo.PARENT_PASSWORD)
    expect(page).to_have_url(live_server.url + reverse("parents:home"))
    expect(page.get_by_text("Bonjour M. DUPONT")).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text("Commune de Brax")

    menu = family_menu(page)
    expect(menu.get_by_text("Gestion du compte parent", exact=True)).to_be_visible()
    for label, heading in MENU:
        link = menu.get_by_role("link", name=label, exact=True)
        href = link.get_attribute("href")
        link.click()
        expect(page).to_have_url(live_server.url + href)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        current = menu.locator('[aria-current="page"]')
        expect(current).to_have_count(1)
        expect(current).to_have_text(label)
        expect(menu.get_by_role("link", name=label, exact=True)).to_have_attribute(
            "aria-current", "page"
        )
        assert_accessible(page)

    menu.get_by_role("button", name="Déconnexion").click()
    expect(page).to_have_url(live_server.url + reverse("parents:login"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Espace famille")

    family_home = reverse("parents:home")
    page.goto(live_server.url + family_home)
    expect(page).to_have_url(f"{live_server.url}{reverse('parents:login')}?next={family_home}")
    expect(page.get_by_text("Bonjour M. DUPONT")).to_have_count(0)
    assert browser_problems == []


def test_family_area_fits_a_phone_screen(page, live_server, demo_data, browser_problems):
    width = 360
    page.set_viewport_size({"width": width, "height": 740})
    login(page, live_server, "parent.demo", demo.PARENT_PASSWORD)
    expect(page.get_by_role("heading", level=1)).to_have_text("Infos Connexion")
    expect(page.get_by_text("Bonjour M. DUPONT")).to_be_visible()

    assert page.evaluate("document.documentElement.scrollWidth") <= width
    menu = family_menu(page)
    # On a phone the menu folds behind a "Menu" button, which the keyboard opens and closes.
    toggle = menu.get_by_role("button", name="Menu", exact=True)
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_have_attribute("aria-controls", "family-menu-items")
    expect(menu.get_by_role("link", name="Réservations", exact=True)).to_be_hidden()
    assert toggle.bounding_box()["height"] >= 44
    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    toggle.click()
    for label, _heading in MENU:
        link = menu.get_by_role("link", name=label, exact=True)
        expect(link).to_be_visible()
        box = link.bounding_box()
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= width, label
    logout = menu.get_by_role("button", name="Déconnexion")
    expect(logout).to_be_visible()
    assert logout.bounding_box()["x"] + logout.bounding_box()["width"] <= width
    assert_accessible(page)

    for link in menu.get_by_role("link").all():
        assert link.bounding_box()["height"] >= 44, link.text_content()
    menu.get_by_role("link", name="Réservations", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Réservations")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert browser_problems == []


def test_without_javascript_the_menu_stays_open(browser, live_server, demo_data):
    context = browser.new_context(
        locale="fr-FR", java_script_enabled=False, viewport={"width": 360, "height": 740}
    )
    page = context.new_page()
    login(page, live_server, "parent.demo", demo.PARENT_PASSWORD)
    menu = family_menu(page)
    expect(menu.get_by_role("button", name="Menu", exact=True)).to_have_count(0)
    expect(menu.get_by_role("link", name="Réservations", exact=True)).to_be_visible()
    context.close()


def test_wrong_password_shows_the_french_error_and_stays_accessible(
    page, live_server, demo_data, browser_problems
):
    login(page, live_server, "parent.demo", "not-the-password")

    expect(page).to_have_url(live_server.url + reverse("parents:login"))
    expect(page.get_by_role("alert")).to_have_text(WRONG_LOGIN_MESSAGE)
    expect(page.locator('input[name="username"]')).to_have_value("parent.demo")
    expect(page.locator('input[name="password"]')).to_have_value("")
    assert_accessible(page)

    family_home = reverse("parents:home")
    page.goto(live_server.url + family_home)
    expect(page).to_have_url(re.compile(re.escape(reverse("parents:login")) + r"\?next="))
    assert browser_problems == []


def test_accessibility_check_names_each_serious_violation(page):
    page.set_content(
        '<html lang="fr"><head><title>Essai</title></head><body><main><h1>Essai</h1>'
        '<p style="color: #aaaaaa; background: #ffffff">Texte pâle</p>'
        '<button type="button"></button></main></body></html>'
    )
    with pytest.raises(pytest.fail.Exception) as failure:
        assert_accessible(page)
    report = str(failure.value)
    assert "color-contrast (serious)" in report
    assert "button-name (critical)" in report
    targets = [line.strip() for line in report.splitlines() if line.startswith("    ")]
    assert sorted(targets) == ["button", "p"]
