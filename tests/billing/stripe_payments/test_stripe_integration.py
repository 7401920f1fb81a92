"""The whole payment against a real localstripe: the family's pages as the browser calls
them, Stripe's answers, and its signed webhooks delivered to a live server.
"""

import json
import time
from decimal import Decimal
from html import unescape

from django.core import mail
from django.db import OperationalError
from django.urls import reverse

import pytest

from billing.ledger.services import family_balance
from billing.models import PaymentAttempt, StripeEvent

from .fake_stripe import CARD_3DS, CARD_DECLINED, CARD_OK, WEBHOOK_DELAY, card_payments

pytestmark = pytest.mark.django_db(transaction=True)

Status = PaymentAttempt.Status
WEBHOOK_PATH = "/paiement/stripe/webhook/"


def wait_for(condition, timeout=10):
    """Wait for a webhook that localstripe delivers a second after the event.

    With SQLite the live server shares this thread's in-memory database: the first look is
    taken once the delivery is surely handled, and a look that meets the handler's write
    lock is simply taken again.
    """
    time.sleep(WEBHOOK_DELAY + 0.5)
    deadline = time.monotonic() + timeout
    while True:
        try:
            if condition():
                return True
        except OperationalError:
            pass
        if time.monotonic() > deadline:
            return False
        time.sleep(0.5)


def handled(event_type):
    """Whether a webhook event of this type went through its handler (the outcome is the
    handler's last write)."""
    return lambda: StripeEvent.objects.filter(type=event_type).exclude(outcome="").exists()


@pytest.fixture
def webhooks(localstripe, live_server):
    """Stripe's webhooks reach this test's live server, signed with the endpoint secret."""
    localstripe.send_webhooks_to(live_server.url + WEBHOOK_PATH)
    return localstripe


def open_payment_page(client):
    response = client.get(reverse("billing:payment"))
    assert response.status_code == 200
    return PaymentAttempt.objects.open().get()


def confirm(client, attempt, payment_method, **extra):
    response = client.post(
        reverse("billing:payment-confirm"),
        data=json.dumps({"attempt": attempt.pk, "payment_method": payment_method, **extra}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def page_text(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return unescape(response.content.decode())


def test_card_paid_at_once_then_the_webhook_changes_nothing(
    webhooks, parent_client, dupont, guardian
):
    attempt = open_payment_page(parent_client)
    answer = confirm(parent_client, attempt, webhooks.card(CARD_OK))
    result_url = reverse("billing:payment-result", args=[attempt.pk])
    assert answer == {"status": "succeeded", "result_url": result_url}

    result = page_text(parent_client, result_url)
    assert "Paiement accepté" in result
    assert "Votre paiement par carte de 36,07 € est enregistré sur votre compte." in result
    assert "Aucun solde dû" in result

    assert wait_for(handled("payment_intent.succeeded"))
    event = StripeEvent.objects.get(type="payment_intent.succeeded")
    assert event.outcome == f"attempt {attempt.pk} succeeded"
    payment = card_payments(dupont).get()
    attempt.refresh_from_db()
    assert (payment.amount, payment.reference) == (Decimal("36.07"), attempt.payment_intent_id)
    assert family_balance(dupont) == Decimal("0.00")
    assert len(mail.outbox) == 1
    assert "Nous avons bien reçu votre paiement par carte de 36,07 €" in mail.outbox[0].body
    assert "Aucun solde dû" in page_text(parent_client, reverse("billing:account"))


def test_3d_secure_authenticated_is_recorded_by_the_webhook(
    webhooks, parent_client, dupont, guardian
):
    attempt = open_payment_page(parent_client)
    answer = confirm(parent_client, attempt, webhooks.card(CARD_3DS))
    assert answer["status"] == "requires_action"
    attempt.refresh_from_db()
    assert answer["client_secret"].startswith(attempt.payment_intent_id + "_secret_")
    assert not card_payments(dupont).exists()

    webhooks.authenticate(attempt.payment_intent_id)
    # Nobody opens the result page: the webhook alone records the payment.
    assert wait_for(handled("payment_intent.succeeded"))
    attempt.refresh_from_db()
    assert attempt.status == Status.SUCCEEDED
    assert family_balance(dupont) == Decimal("0.00")
    assert "Paiement accepté" in page_text(
        parent_client, reverse("billing:payment-result", args=[attempt.pk])
    )
    assert card_payments(dupont).count() == 1


def test_3d_secure_failed_is_declined_with_a_way_to_try_again(localstripe, parent_client, dupont):
    attempt = open_payment_page(parent_client)
    confirm(parent_client, attempt, localstripe.card(CARD_3DS))
    attempt.refresh_from_db()
    localstripe.authenticate(attempt.payment_intent_id, success=False)

    result = page_text(parent_client, reverse("billing:payment-result", args=[attempt.pk]))
    assert "Paiement refusé" in result
    assert "L'authentification 3-D Secure a échoué." in result
    assert f'href="{reverse("billing:payment")}">Réessayer</a>' in result
    attempt.refresh_from_db()
    assert (attempt.status, attempt.failure_code) == (
        Status.FAILED,
        "payment_intent_authentication_failure",
    )
    assert not card_payments(dupont).exists()

    retry = open_payment_page(parent_client)
    assert retry.pk != attempt.pk
    assert confirm(parent_client, retry, localstripe.card(CARD_OK))["status"] == "succeeded"
    assert family_balance(dupont) == Decimal("0.00")


def test_declined_card_then_its_payment_failed_webhook(webhooks, parent_client, dupont):
    attempt = open_payment_page(parent_client)
    answer = confirm(parent_client, attempt, webhooks.card(CARD_DECLINED))
    assert answer["status"] == "failed"
    result = page_text(parent_client, answer["result_url"])
    assert "Paiement refusé" in result
    assert "Votre banque a refusé la carte." in result

    assert wait_for(handled("payment_intent.payment_failed"))
    attempt.refresh_from_db()
    assert attempt.status == Status.FAILED
    assert attempt.payment_intent_id.startswith("pi_")
    assert StripeEvent.objects.get().outcome == f"attempt {attempt.pk} failed"
    assert not card_payments(dupont).exists()
    assert family_balance(dupont) == Decimal("36.07")


def test_double_click_and_an_amount_from_the_browser_charge_the_balance_once(
    webhooks, parent_client, dupont
):
    attempt = open_payment_page(parent_client)
    card = webhooks.card(CARD_OK)
    first = confirm(parent_client, attempt, card, amount="1.00")
    second = confirm(parent_client, attempt, webhooks.card(CARD_OK), amount=1)
    assert (
        first
        == second
        == {
            "status": "succeeded",
            "result_url": reverse("billing:payment-result", args=[attempt.pk]),
        }
    )
    (intent,) = webhooks.payment_intents()
    assert (intent["amount"], intent["currency"]) == (3607, "eur")
    assert intent["metadata"] == {"family_id": str(dupont.pk), "attempt_id": str(attempt.pk)}
    assert wait_for(handled("payment_intent.succeeded"))
    assert card_payments(dupont).get().amount == Decimal("36.07")
    assert family_balance(dupont) == Decimal("0.00")
