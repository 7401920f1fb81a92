"""Hostile values in every form field and query parameter: a 400 or a form error, never a 500.

The family area, the search and the API are crawled as a logged-in parent (and anonymously
for the public parts): each query parameter a view reads, and each field of each form found
on the pages, gets a NUL byte, integers too big for the database, overlong strings,
non-numeric ids and impossible dates. The test client re-raises any exception a view lets
through, so a 500 fails the test with its traceback.
"""

from datetime import timedelta
from html.parser import HTMLParser

from django.urls import reverse
from django.utils import timezone

import pytest

from reservations import services as reservations_services
from tests.factories.billing import issued_invoice, line
from tests.reservations.factories import slot, unit, wednesdays

pytestmark = pytest.mark.django_db

NUL = "a\x00b"
HOSTILE = [
    NUL,
    "99999999999999999999",
    "-99999999999999999999",
    "x" * 20_000,
    "abc",
    "2026-02-30",
    "1e309",
    "١٢٣",
    "",
]
# The query parameters the family area's and the search's views read (and one they do not).
PAGE_PARAMETERS = ["q", "page", "next", "unknown"]
# Those Wagtail's API v2 reads.
API_PARAMETERS = [
    "search",
    "search_operator",
    "type",
    "fields",
    "limit",
    "offset",
    "order",
    "child_of",
    "descendant_of",
    "ancestor_of",
    "id",
    "title",
    "slug",
    "locale",
    "rich_text_format",
    "format",
]


class FormFinder(HTMLParser):
    """The POST forms of a page: action and {field name: default value}."""

    def __init__(self):
        super().__init__()
        self.forms = []
        self.current = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "").lower() == "post":
            self.current = {"action": attrs.get("action") or "", "fields": {}}
            self.forms.append(self.current)
        elif self.current is not None and tag in {"input", "select", "textarea"}:
            name = attrs.get("name")
            if not name or attrs.get("type") == "file":
                return
            if attrs.get("type") in {"checkbox", "radio"} and "checked" not in attrs:
                self.current["fields"].setdefault(name, attrs.get("value", "on"))
                return
            self.current["fields"][name] = attrs.get("value", "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None


def post_forms(html):
    finder = FormFinder()
    finder.feed(html)
    return finder.forms


@pytest.fixture
def family_data(family, guardian):
    today = timezone.localdate()
    period = wednesdays(family.structure, today - timedelta(days=14), today + timedelta(days=42))
    journee = unit(period)
    lea = family.children.get()
    upcoming = today + timedelta(days=(2 - today.weekday()) % 7 + 7)
    reservations_services.book(lea, slot(journee, upcoming))
    invoice = issued_invoice(family, line("12.00"))
    return {"period": period, "child": lea, "invoice": invoice}


def family_urls(data):
    child, period, invoice = data["child"], data["period"], data["invoice"]
    return [
        reverse("parents:home"),
        reverse("parents:user-space"),
        reverse("billing:account"),
        reverse("billing:invoice-pdf", args=[invoice.pk]),
        reverse("billing:certificates"),
        reverse("forms_library:family-forms"),
        reverse("reservations:bookings"),
        reverse("reservations:calendar", args=[child.pk, period.pk]),
        reverse("reservations:history"),
        reverse("reservations:reminders"),
    ]


PUBLIC_URLS = [
    "/",
    "/recherche/",
    "/api/v2/pages/",
    "/api/v2/documents/",
    "/api/v2/images/",
    reverse("parents:login"),
    reverse("parents:password-reset"),
    "/admin/login/",
    "/admin/password_reset/",
]
# Ids in the path: too big for the database, or just unknown.
ID_URLS = [
    "/espace-famille/compte/facture/{}/pdf/",
    "/espace-famille/compte/avoir/{}/pdf/",
    "/espace-famille/attestations/{}/",
    "/espace-famille/compte/paiement/resultat/{}/",
    "/espace-famille/reservations/enfant/{}/periode/{}/",
    "/espace-famille/reservations/proposition/{}/",
    "/espace-famille/reservations/absence/{}/",
    "/api/v2/pages/{}/",
    "/api/v2/documents/{}/",
    "/api/v2/images/{}/",
]


def check(response, value, where):
    assert response.status_code < 500, where
    if value == NUL:
        assert response.status_code == 400, where


def fuzz_query(client, url):
    names = API_PARAMETERS if url.startswith("/api/") else PAGE_PARAMETERS
    for name in names:
        for value in HOSTILE:
            check(client.get(url, {name: value}), value, f"GET {url} {name}={value[:20]!r}")


def fuzz_forms(client, url, relogin=None):
    response = client.get(url)
    if response.status_code != 200:
        return 0
    forms = post_forms(response.content.decode())
    for form in forms:
        action = form["action"] or url
        for name in form["fields"]:
            if name == "csrfmiddlewaretoken":
                continue
            for value in HOSTILE:
                if relogin:
                    relogin()
                data = {**form["fields"], name: value}
                check(client.post(action, data), value, f"POST {action} {name}={value[:20]!r}")
    return len(forms)


def test_family_area_never_answers_500(client, guardian, family_data):
    def relogin():
        client.force_login(guardian.user)

    relogin()
    forms = 0
    for url in family_urls(family_data):
        fuzz_query(client, url)
        forms += fuzz_forms(client, url, relogin)
    # The crawl did reach the forms: booking calendar, typical week, reminders, password...
    assert forms >= 5


def test_family_area_ids_in_the_path(client, guardian, family_data):
    client.force_login(guardian.user)
    for template in ID_URLS:
        for value in ("99999999999999999999", "0"):
            url = template.format(*[value] * template.count("{}"))
            assert client.get(url).status_code in (302, 404, 405), url
            assert client.post(url, {}).status_code in (302, 404, 405), url


def test_public_pages_search_and_api_never_answer_500(client, guardian):
    for url in PUBLIC_URLS:
        fuzz_query(client, url)
        fuzz_forms(client, url)


def test_a_nul_byte_anywhere_is_a_400(client, guardian):
    assert client.get("/recherche/", {"q": "\x00"}).status_code == 400
    assert client.get("/api/v2/pages/", {"search": "\x00"}).status_code == 400
    response = client.post(
        reverse("parents:login"), {"username": "parent.test\x00", "password": "x"}
    )
    assert response.status_code == 400
    assert client.get("/recherche/", {"q\x00": "x"}).status_code == 400


def test_a_huge_booking_id_is_refused_cleanly(client, guardian, family_data):
    client.force_login(guardian.user)
    url = reverse("reservations:calendar", args=[family_data["child"].pk, family_data["period"].pk])
    for value in ("99999999999999999999", "-1", "abc", "١٢"):
        for name in ("book", "wait", "cancel", "leave"):
            assert client.post(url, {name: value}).status_code == 400, (name, value)
