"""The demo's online payment in a real browser: localstripe's fake Stripe.js, card 4242.

The demo parent logs in, opens "Gestion du compte", clicks "Paiement en ligne", types the
test card into the card field served by localstripe (the stand-in for js.stripe.com) and
pays the 36,07 € balance; the result page and then the account say nothing is left due.
Where the structure lets parents choose the amount, the parent pays part of it instead.
Every payment page passes axe-core at phone (360 px) and desktop (1280 px) widths.
(Webhooks stay parked here: their delivery to a live server is tested with the billing
tests, where nothing else uses the database meanwhile.)
"""

import re
from decimal import Decimal

from django.urls import reverse

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from billing import demo as billing_demo
from billing.models import Payment, PaymentMethod
from billing.online_payment.services import confirm_payment_attempt, start_payment_attempt
from parents import demo
from parents.models import Family, Structure
from tests.billing.stripe_payments.fake_stripe import (  # noqa: F401 - fixtures
    CARD_3DS,
    localstripe,
    localstripe_server,
    owe,
)
from tests.factories.billing import free_amount

from .conftest import BLOCKING_IMPACTS, WCAG_TAGS, assert_accessible_at_both_widths, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def assert_accessible_around_the_card_field(page):
    """axe-core on the page, but for the card field: on the real site it is Stripe's own
    iframe, labelled by Stripe; here it is localstripe's unlabelled development stand-in."""
    results = Axe().run(
        page,
        context={"exclude": [["#card-element"]]},
        options={"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]},
    )
    blocking = [
        f"{violation['id']}: {violation['help']}"
        for violation in results.response["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]
    assert blocking == []


def assert_payment_page_accessible(page):
    assert_accessible_at_both_widths(page, assert_accessible_around_the_card_field)


def pay_with_the_test_card(page, pay):
    card = page.locator("#card-element")
    card.get_by_placeholder("number").fill("4242424242424242")
    card.get_by_placeholder("exp_month").fill("12")
    card.get_by_placeholder("exp_year").fill("34")
    card.get_by_placeholder("cvc").fill("123")
    card.get_by_placeholder("postal_code").fill("31490")
    pay.click()


@pytest.fixture
def root_collection(transactional_db):
    """The root collection, as migrations create it; a previous transactional test's flush
    may have removed it, and the demo's documents and images need it."""
    from wagtail.models import Collection

    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")


def test_demo_parent_pays_the_balance_by_card(
    page,
    live_server,
    home_page,
    root_collection,
    localstripe,  # noqa: F811 - the fixture imported above
    browser_problems,
):
    demo.load()
    billing_demo.load()
    dupont = Family.objects.get(reference="DUP001")

    login(page, live_server, "parent.demo", demo.PARENT_PASSWORD)
    page.goto(live_server.url + reverse("billing:account"))
    expect(page.get_by_text("(accès au paiement en ligne à partir de 15,00 €)")).to_be_visible()
    page.get_by_role("button", name="Paiement en ligne").click()

    expect(page).to_have_url(live_server.url + reverse("billing:payment"))
    expect(page.get_by_role("heading", name="Montant à payer : 36,07 €")).to_be_visible()
    pay = page.get_by_role("button", name="Payer 36,07 €")
    expect(pay).to_be_enabled()
    # No amount to choose where the structure has not allowed it.
    expect(page.get_by_label("Montant à payer (en euros)")).to_have_count(0)
    assert_payment_page_accessible(page)

    pay_with_the_test_card(page, pay)

    expect(page.get_by_role("heading", name="Paiement accepté")).to_be_visible()
    expect(page.get_by_text("Votre paiement par carte de 36,07 € est enregistré")).to_be_visible()
    assert_payment_page_accessible(page)

    page.get_by_role("link", name="Retour à mon compte").click()
    expect(page.get_by_role("heading", name="Aucun solde dû")).to_be_visible()
    expect(page.get_by_role("button", name="Paiement en ligne")).to_have_count(0)

    payment = Payment.objects.get(family=dupont, method=PaymentMethod.CARD_ONLINE)
    assert (payment.amount, payment.reference) == (
        Decimal("36.07"),
        localstripe.payment_intents()[0]["id"],
    )
    assert browser_problems == []


def test_result_page_updates_itself_once_the_bank_confirms(
    page,
    live_server,
    home_page,
    localstripe,  # noqa: F811 - the fixture imported above
    browser_problems,
):
    demo.load()
    dupont = Family.objects.get(reference="DUP001")
    owe(dupont, "36.07")
    guardian = dupont.guardians.get()
    attempt = start_payment_attempt(dupont, guardian)
    attempt, intent = confirm_payment_attempt(dupont, attempt.pk, localstripe.card(CARD_3DS))

    login(page, live_server, "parent.demo", demo.PARENT_PASSWORD)
    page.goto(live_server.url + reverse("billing:payment-result", args=[attempt.pk]))
    expect(page.get_by_role("heading", name="Paiement en cours de traitement")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="Cette page se met à jour")).to_be_visible()
    assert_accessible_around_the_card_field(page)

    # The parent confirms in the bank's window (elsewhere): the page notices by itself.
    localstripe.authenticate(intent["id"])
    expect(page.get_by_role("heading", name="Paiement accepté")).to_be_visible()
    expect(page.get_by_text("Aucun solde dû")).to_be_visible()
    assert browser_problems == []


def test_parent_pays_part_of_the_balance_where_the_structure_allows_it(
    page,
    live_server,
    home_page,
    root_collection,
    localstripe,  # noqa: F811 - the fixture imported above
    browser_problems,
):
    demo.load()
    billing_demo.load()
    dupont = Family.objects.get(reference="DUP001")
    free_amount(Structure.objects.get(slug="brax"))

    login(page, live_server, "parent.demo", demo.PARENT_PASSWORD)
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(live_server.url + reverse("billing:account"))
    page.get_by_role("button", name="Paiement en ligne").click()

    expect(page).to_have_url(live_server.url + reverse("billing:payment"))
    expect(page.get_by_role("heading", name="Solde dû : 36,07 €")).to_be_visible()
    amount = page.get_by_label("Montant à payer (en euros)")
    expect(amount).to_have_value("36,07")
    assert_payment_page_accessible(page)

    # More than owed: said next to the field, and nothing opened.
    amount.fill("40")
    page.get_by_role("button", name="Continuer vers le paiement par carte").click()
    expect(
        page.get_by_text("Le montant ne peut pas dépasser votre solde dû (36,07 €).")
    ).to_be_visible()
    expect(page.get_by_label("Montant à payer (en euros)")).to_have_attribute(
        "aria-invalid", "true"
    )
    assert_payment_page_accessible(page)

    page.get_by_label("Montant à payer (en euros)").fill("20,00")
    page.get_by_role("button", name="Continuer vers le paiement par carte").click()
    expect(page.get_by_role("heading", name="Montant à payer : 20,00 €")).to_be_visible()
    expect(page.get_by_text("Une partie de votre solde dû de 36,07 €")).to_be_visible()
    pay = page.get_by_role("button", name="Payer 20,00 €")
    expect(pay).to_be_enabled()
    assert_payment_page_accessible(page)

    pay_with_the_test_card(page, pay)

    expect(page.get_by_role("heading", name="Paiement accepté")).to_be_visible()
    expect(page.get_by_text("Votre paiement par carte de 20,00 € est enregistré")).to_be_visible()
    expect(page.get_by_text("Solde dû : 16,07 €")).to_be_visible()
    assert_payment_page_accessible(page)

    page.get_by_role("link", name="Retour à mon compte").click()
    expect(page.get_by_role("heading", name=re.compile(r" : 16,07 €$"))).to_be_visible()
    expect(page.get_by_role("button", name="Paiement en ligne")).to_be_visible()

    payment = Payment.objects.get(family=dupont, method=PaymentMethod.CARD_ONLINE)
    (intent,) = localstripe.payment_intents()
    assert (payment.amount, payment.reference, intent["amount"]) == (
        Decimal("20.00"),
        intent["id"],
        2000,
    )
    assert not payment.needs_review
    assert browser_problems == []
