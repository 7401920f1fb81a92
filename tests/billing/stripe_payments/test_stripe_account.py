"""The account page's online payment offer and the payment page, up to the card field."""

import json
from decimal import Decimal
from html import unescape

from django.urls import reverse

import pytest

from billing.ledger.services import record_payment
from billing.models import PaymentAttempt, PaymentMethod

from .fake_stripe import card_payments, owe

pytestmark = pytest.mark.django_db

BUTTON = "Paiement en ligne</button>"


def account_page(client):
    response = client.get(reverse("billing:account"))
    assert response.status_code == 200
    return unescape(response.content.decode())


@pytest.mark.parametrize(
    ("balance", "offered"),
    [("14.99", False), ("15.00", True), ("15.01", True)],
)
def test_button_from_the_structure_minimum_of_15_euros(parent_client, family, balance, offered):
    owe(family, balance)
    page = account_page(parent_client)
    assert (BUTTON in page) is offered
    if offered:
        assert "(accès au paiement en ligne à partir de 15,00 €)" in page
    else:
        assert (
            "Le paiement en ligne est possible à partir d'un solde dû de 15,00 € ; "
            "votre solde est inférieur à ce montant." in page
        )


@pytest.mark.parametrize(("balance", "offered"), [("29.99", False), ("30.00", True)])
def test_a_structure_set_to_30_euros(parent_client, family, balance, offered):
    family.structure.online_payment_minimum = Decimal("30.00")
    family.structure.save()
    owe(family, balance)
    page = account_page(parent_client)
    assert (BUTTON in page) is offered
    assert ("(accès au paiement en ligne à partir de 30,00 €)" in page) is offered
    assert ("à partir d'un solde dû de 30,00 €" in page) is not offered


def test_a_minimum_with_cents_is_written_with_them(parent_client, family):
    family.structure.online_payment_minimum = Decimal("15.50")
    family.structure.save()
    owe(family, "20.00")
    assert "(accès au paiement en ligne à partir de 15,50 €)" in account_page(parent_client)


def test_the_threshold_reads_in_the_readers_format(parent_client, family):
    """The manual writes "15,00 €"; an English page writes "€15.00", like its other amounts."""
    owe(family, "1234.50")
    page = account_page(parent_client)
    assert "(accès au paiement en ligne à partir de 15,00 €)" in page
    assert "1 234,50 €" in page
    parent_client.cookies["django_language"] = "en"
    page = account_page(parent_client)
    assert "(online payment available from €15.00)" in page
    assert "€1,234.50" in page
    assert "1 234,50" not in page and "15,00" not in page


def test_no_button_with_nothing_due_or_in_credit(parent_client, family):
    page = account_page(parent_client)
    assert "Aucun solde dû" in page
    assert BUTTON not in page
    assert "Il n'y a aucun solde dû : rien à payer en ligne." in page

    record_payment(family, Decimal("10.00"), PaymentMethod.CASH)
    page = account_page(parent_client)
    assert BUTTON not in page
    assert "Votre compte est créditeur : rien à payer en ligne." in page


def test_no_button_when_online_payment_is_not_configured(parent_client, family, settings):
    settings.STRIPE_SECRET_KEY = ""
    owe(family, "36.07")
    page = account_page(parent_client)
    assert BUTTON not in page
    assert "Le paiement en ligne n'est pas disponible pour le moment." in page
    response = parent_client.get(reverse("billing:payment"))
    assert response.url == reverse("billing:account")
    assert not PaymentAttempt.objects.exists()


def test_payment_page_shows_the_whole_balance_and_reuses_its_attempt(parent_client, dupont):
    first = parent_client.post(reverse("billing:payment"), follow=True)
    assert first.status_code == 200
    page = unescape(first.content.decode())
    assert "Montant à payer : 36,07 €" in page
    assert "Payer 36,07 €" in page
    assert 'src="http://127.0.0.1:9/js.stripe.com/v3/"' in page
    # Nothing to type but the card: no amount field the parent could change.
    assert 'name="amount"' not in page
    second = parent_client.get(reverse("billing:payment"))
    assert second.status_code == 200
    attempt = PaymentAttempt.objects.get()
    assert (attempt.family, attempt.amount, attempt.status) == (
        dupont,
        Decimal("36.07"),
        PaymentAttempt.Status.PENDING,
    )
    assert f'data-attempt="{attempt.pk}"' in second.content.decode()


def test_payment_page_follows_a_new_balance_with_a_new_attempt(parent_client, dupont):
    parent_client.post(reverse("billing:payment"))
    owe(dupont, "10.00")
    response = parent_client.post(reverse("billing:payment"), follow=True)
    assert "Montant à payer : 46,07 €" in unescape(response.content.decode())
    old, new = PaymentAttempt.objects.order_by("pk")
    assert (old.amount, old.status, old.failure_code) == (
        Decimal("36.07"),
        PaymentAttempt.Status.CANCELED,
        "superseded",
    )
    assert (new.amount, new.status) == (Decimal("46.07"), PaymentAttempt.Status.PENDING)


def test_payment_page_below_the_minimum_sends_back_to_the_account(parent_client, family):
    owe(family, "14.99")
    response = parent_client.get(reverse("billing:payment"), follow=True)
    assert response.redirect_chain == [(reverse("billing:account"), 302)]
    assert "inférieur à ce montant" in unescape(response.content.decode())
    assert not PaymentAttempt.objects.exists()


def test_confirm_refuses_what_is_not_an_attempt_and_a_card(parent_client, dupont):
    parent_client.post(reverse("billing:payment"))
    attempt = PaymentAttempt.objects.get()
    url = reverse("billing:payment-confirm")
    for body in (
        "not json",
        json.dumps({"attempt": attempt.pk}),
        json.dumps({"attempt": attempt.pk, "payment_method": "4242424242424242"}),
        json.dumps({"attempt": "x", "payment_method": "pm_card"}),
    ):
        response = parent_client.post(url, data=body, content_type="application/json")
        assert response.status_code == 400
        assert response.json() == {"error": "Requête invalide."}
    attempt.refresh_from_db()
    assert (attempt.status, attempt.payment_intent_id) == (PaymentAttempt.Status.PENDING, "")


def test_another_family_gets_404_and_nothing_changes(client, dupont, other_guardian, parent_client):
    parent_client.post(reverse("billing:payment"))
    attempt = PaymentAttempt.objects.get()
    client.force_login(other_guardian.user)
    for url in (
        reverse("billing:payment-result", args=[attempt.pk]),
        reverse("billing:payment-status", args=[attempt.pk]),
    ):
        assert client.get(url).status_code == 404
    response = client.post(
        reverse("billing:payment-confirm"),
        data=json.dumps({"attempt": attempt.pk, "payment_method": "card_abc"}),
        content_type="application/json",
    )
    assert response.status_code == 404
    attempt.refresh_from_db()
    assert (attempt.status, attempt.payment_intent_id) == (PaymentAttempt.Status.PENDING, "")
    assert not card_payments(dupont).exists()


def test_pages_need_a_login(client, dupont):
    response = client.get(reverse("billing:payment"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("parents:login"))
    assert not PaymentAttempt.objects.exists()
