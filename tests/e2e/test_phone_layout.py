"""Every family page on a phone and on a desktop, in French and in English.

At 320 and 360 px no page is wider than the screen (measured against 360, not `innerWidth`, which a
too-wide page inflates), and axe-core finds no WCAG 2.1 A/AA violation at 360 and 1280 px.
One browser context per language, logged in once, visits every page of the family menu and
the detail pages reached from them.
"""

import os
import re
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

import pytest
from playwright.sync_api import expect

from parents import demo
from parents.menu import FAMILY_MENU

from .conftest import DEFAULT_TIMEOUT_MS, assert_accessible, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NARROW = {"width": 320, "height": 640}
PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


@pytest.fixture
def full_demo(home_page, settings, tmp_path):
    """Everything `make run` loads: families, invoices, certificates, bookings, the family
    file, the library."""
    from wagtail.models import Collection

    settings.MEDIA_ROOT = tmp_path / "media"
    # A transactional test before this one flushed the root collection its migration made.
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    call_command("load_demo_data", "--force", stdout=StringIO())


def family_pages():
    """The family menu's pages, then the detail pages they lead to, for the DUPONT family."""
    from billing.models import Certificate
    from family_file.models import AuthorisedPerson
    from parents.models import Family
    from reservations.models import Booking, Period

    family = Family.objects.get(reference="DUP001")
    child = family.children.order_by("pk").first()
    urls = []
    for item in FAMILY_MENU:
        for entry in (item, *item.children):
            if entry.url not in urls:
                urls.append(entry.url)
    period = Period.objects.visible_to_families(family.structure, timezone.now()).first()
    urls += [
        reverse("billing:direct-debit"),
        reverse("family_file:health", args=(child.pk,)),
        reverse("reservations:family-calendar", args=(period.pk,)),
        reverse("reservations:calendar", args=(child.pk, period.pk)),
        reverse("reservations:history"),
        reverse("reservations:reminders"),
    ]
    certificate = Certificate.objects.filter(family=family).first()
    if certificate is not None:
        urls.append(reverse("billing:certificate-detail", args=(certificate.pk,)))
    person = AuthorisedPerson.objects.filter(family=family).first()
    if person is not None:
        urls.append(reverse("family_file:person", args=(person.pk,)))
    booking = Booking.objects.filter(family=family, status="booked").order_by("-day__date").last()
    if booking is not None:
        urls.append(reverse("reservations:justify-absence", args=(booking.pk,)))
    return urls


# The elements that reach past the screen's right edge, to say what to fix.
OVERFLOWING = """(width) => Array.from(document.querySelectorAll("body *"))
  .filter((element) => element.getBoundingClientRect().right > width + 0.5)
  .slice(-3)
  .map((element) => element.tagName.toLowerCase() + (element.id ? "#" + element.id : "")
    + (element.className ? "." + String(element.className).split(" ").join(".") : "")
    + " " + Math.round(element.getBoundingClientRect().right))"""


def set_language(page, live_server, language):
    page.context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}]
    )


@pytest.mark.parametrize("language", ["fr", "en"])
def test_every_family_page_fits_a_phone_and_passes_axe(
    page, live_server, full_demo, browser_problems, language
):
    page.set_default_timeout(DEFAULT_TIMEOUT_MS * 3)
    page.set_viewport_size(PHONE)
    login(page, live_server, "parent.demo", demo.PARENT_PASSWORD)
    set_language(page, live_server, language)
    page.goto(live_server.url + reverse("parents:home"))
    expect(page.locator("html")).to_have_attribute("lang", language)
    urls = family_pages()
    failures = []
    # The narrowest phones still in use: the width only.
    page.set_viewport_size(NARROW)
    for url in urls:
        page.goto(live_server.url + url)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > NARROW["width"]:
            culprits = page.evaluate(OVERFLOWING, NARROW["width"])
            failures.append(f"{url}: {width} px wide at {NARROW['width']} px: {culprits}")
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        for url in urls:
            response = page.goto(live_server.url + url)
            assert response.status == 200, url
            width = page.evaluate("document.documentElement.scrollWidth")
            if viewport is PHONE and width > PHONE["width"]:
                culprits = page.evaluate(OVERFLOWING, PHONE["width"])
                failures.append(f"{url}: {width} px wide at {PHONE['width']} px: {culprits}")
            try:
                assert_accessible(page)
            except pytest.fail.Exception as error:
                failures.append(f"{viewport['width']} px: {error}")
    assert failures == [], "\n".join(failures)
    assert browser_problems == []


def test_a_phone_shows_the_balance_first_and_the_booking_bar_covers_no_day(
    page, live_server, full_demo, browser_problems
):
    """On a 360×740 phone: the balance and the online payment button in the first screen of
    the account page; on the family calendar, the confirm bar above nothing at the end.

    With PORTAIL_SCREENSHOTS=1 the three pages are saved to docs/screenshots/ (README)."""
    from parents.models import Family
    from reservations.models import Period

    family = Family.objects.get(reference="DUP001")
    period = Period.objects.visible_to_families(family.structure, timezone.now()).first()
    page.set_viewport_size(PHONE)
    login(page, live_server, "parent.demo", demo.PARENT_PASSWORD)

    page.goto(live_server.url + reverse("billing:account"))
    balance = page.get_by_role("heading", name=re.compile("Solde débiteur au"))
    pay = page.get_by_role("button", name="Paiement en ligne")
    for element in (balance, pay):
        expect(element).to_be_in_viewport()
        box = element.bounding_box()
        assert box["y"] + box["height"] <= PHONE["height"]
    assert pay.bounding_box()["height"] >= 44
    screenshot(page, "account")

    page.goto(live_server.url + reverse("reservations:family-calendar", args=(period.pk,)))
    days = page.locator("form[data-calendar] .day")
    expect(days.first.get_by_text("Léa", exact=True)).to_be_visible()
    expect(days.first.get_by_text("Hugo", exact=True)).to_be_visible()
    # The first day still open, each child with its own choices.
    days.filter(has=page.locator("fieldset")).first.evaluate("day => day.scrollIntoView()")
    page.evaluate("window.scrollBy(0, -12)")
    screenshot(page, "bookings-calendar")
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    bar = page.locator(".form-actions")
    expect(bar.get_by_role("button", name="Valider mes choix")).to_be_in_viewport()
    last_day = days.last.bounding_box()
    assert last_day["y"] + last_day["height"] <= bar.bounding_box()["y"]

    page.goto(live_server.url + reverse("family_file:documents"))
    screenshot(page, "documents")
    assert browser_problems == []


def screenshot(page, name):
    if os.environ.get("PORTAIL_SCREENSHOTS"):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"{name}.png")


def cached_urls(page):
    return page.evaluate(
        """async () => {
          const urls = [];
          for (const name of await caches.keys()) {
            const cache = await caches.open(name);
            for (const request of await cache.keys()) urls.push(new URL(request.url).pathname);
          }
          return urls;
        }"""
    )


def test_offline_the_account_page_is_not_served_from_the_cache(
    page, live_server, demo_data, home_page
):
    login(page, live_server, "parent.demo", demo.PARENT_PASSWORD)
    account = live_server.url + reverse("billing:account")
    page.goto(account)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    # Once the worker controls the page, visit the account page again: a worker that stored
    # pages would store it now.
    page.reload()
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    expect(page.get_by_role("heading", level=1)).to_have_text("Gestion de votre compte")
    kept = cached_urls(page)
    assert reverse("home:offline") in kept
    assert "/static/css/site.css" in kept
    assert not [url for url in kept if not url.startswith(("/static/", reverse("home:offline")))]

    page.context.set_offline(True)
    page.goto(account)
    expect(page.get_by_role("heading", level=1)).to_have_text("Vous êtes hors ligne")
    expect(page.get_by_text("DUPONT")).to_have_count(0)
    expect(page.get_by_text("Solde")).to_have_count(0)
    page.context.set_offline(False)
