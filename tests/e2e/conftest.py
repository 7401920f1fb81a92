"""Browser fixtures: Debian's Chromium driven by Playwright, axe-core for accessibility.

One browser per test process (so one per xdist worker), a fresh context per test.
"""

import os

from django.urls import reverse

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect, sync_playwright

# Playwright's sync API keeps an asyncio loop running in the test thread for as long as the
# browser lives, and Django refuses ORM calls from a thread with a running loop. The calls are
# still plain synchronous ones, so the guard is lifted for the whole process: the browser is
# session-scoped and outlives any single test.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-dev-shm-usage",
]
DEFAULT_TIMEOUT_MS = 10_000
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# A phone and a desktop screen: each page a parent fills in is checked at both.
PHONE_AND_DESKTOP = ((360, 740), (1280, 900))
BLOCKING_IMPACTS = {"serious", "critical"}

# expect() assertions keep their own timeout, apart from the context's.
expect.set_options(timeout=DEFAULT_TIMEOUT_MS)


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def browser_problems():
    """What the browser complained about: console errors (CSP refusals among them), page
    errors and failed requests. A test asserts it stays empty."""
    return []


@pytest.fixture
def page(browser, browser_problems):
    context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris")
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()

    def on_console(message):
        # Chromium asks every site for /favicon.ico on its own; the portal ships none, and that
        # probe is not one of the page's resources.
        if message.type == "error" and not message.location["url"].endswith("/favicon.ico"):
            browser_problems.append(f"console: {message.text} ({message.location['url']})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: browser_problems.append(f"page error: {error}"))
    # A page that navigates away (a form submitted, the payment result page reloading
    # itself) cancels the loads still under way: the browser reports them aborted, which
    # says nothing of the resource. Any other failure is a problem.
    page.on(
        "requestfailed",
        lambda request: (
            None
            if "/favicon." in request.url or request.failure == "net::ERR_ABORTED"
            else browser_problems.append(f"failed: {request.url} ({request.failure})")
        ),
    )
    yield page
    context.close()


@pytest.fixture
def home_page(transactional_db):
    """The public home page and its site, as the migrations create them.

    Transactional tests flush the database afterwards, migration data included, so a later
    test in the same process finds no page tree: it is rebuilt here when missing.
    """
    from django.conf import settings

    from wagtail.coreutils import get_supported_content_language_variant
    from wagtail.models import Locale, Page, Site

    from home.models import HomePage

    site = Site.objects.filter(is_default_site=True).first()
    if site is not None:
        return site.root_page.specific
    Locale.objects.get_or_create(
        language_code=get_supported_content_language_variant(settings.LANGUAGE_CODE)
    )
    root = Page.get_first_root_node() or Page.add_root(instance=Page(title="Root", slug="root"))
    home = root.add_child(instance=HomePage(title="Portail Familles", slug="home"))
    Site.objects.create(
        hostname="localhost", root_page=home, is_default_site=True, site_name="Portail Familles"
    )
    return home


@pytest.fixture
def demo_data(transactional_db):
    from parents import demo

    return demo.load()


def login(page, live_server, username, password):
    """Log in through the family login form, as a parent would."""
    page.goto(live_server.url + reverse("parents:login"))
    page.locator('input[name="username"]').fill(username)
    page.locator('input[name="password"]').fill(password)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_load_state()


def assert_accessible(page):
    """Fail with every serious or critical WCAG 2.1 A/AA violation axe-core finds on the page."""
    results = Axe().run(
        page,
        options={
            "runOnly": {"type": "tag", "values": WCAG_TAGS},
            "resultTypes": ["violations"],
        },
    )
    blocking = [
        violation
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]
    if blocking:
        lines = [f"{len(blocking)} accessibility violation(s) on {page.url}:"]
        for violation in blocking:
            lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']}")
            for node in violation["nodes"]:
                lines.append(f"    {', '.join(map(str, node['target']))}")
        pytest.fail("\n".join(lines))


def assert_accessible_at_both_widths(page, check=assert_accessible):
    """`check` the page on a phone, then on a desktop screen, at which it is left."""
    for width, height in PHONE_AND_DESKTOP:
        page.set_viewport_size({"width": width, "height": height})
        check(page)
