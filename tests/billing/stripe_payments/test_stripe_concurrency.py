"""Two deliveries of one event at the same moment record one payment (PostgreSQL).

The second delivery's insert of the event id waits on the first one's uncommitted row,
then fails on the unique constraint: it answers "duplicate" without touching the ledger.
SQLite serialises whole transactions, so the race only exists on PostgreSQL.
"""

import threading
from decimal import Decimal

from django.db import connection
from django.test import Client
from django.urls import reverse

import pytest

from billing.ledger.services import family_balance
from billing.models import PaymentAttempt, StripeEvent
from billing.online_payment.services import confirm_payment_attempt, start_payment_attempt

from .fake_stripe import CARD_3DS, card_payments, event_payload, signature_header

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def postgresql_only():
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent transactions need PostgreSQL")


def paid_at_stripe(localstripe, family, guardian):
    attempt = start_payment_attempt(family, guardian)
    attempt, intent = confirm_payment_attempt(family, attempt.pk, localstripe.card(CARD_3DS))
    localstripe.authenticate(intent["id"])
    return attempt, localstripe.payment_intent(intent["id"])


def deliver_together(payloads, secret):
    """Post each payload from its own thread (own database connection), all at once."""
    start = threading.Barrier(len(payloads))
    answers = []

    def deliver(payload):
        client = Client()
        start.wait()
        try:
            response = client.post(
                reverse("stripe-webhook"),
                data=payload,
                content_type="application/json",
                HTTP_STRIPE_SIGNATURE=signature_header(payload, secret),
            )
            answers.append((response.status_code, response.json()["outcome"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver, args=(payload,)) for payload in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return sorted(answers)


def test_two_simultaneous_deliveries_of_one_event_record_one_payment(
    localstripe, dupont, guardian, settings
):
    attempt, intent = paid_at_stripe(localstripe, dupont, guardian)
    payload = event_payload("evt_twice", "payment_intent.succeeded", intent)

    answers = deliver_together([payload, payload], settings.STRIPE_WEBHOOK_SECRET)

    assert answers == sorted([(200, "duplicate"), (200, f"attempt {attempt.pk} succeeded")])
    assert StripeEvent.objects.count() == 1
    assert card_payments(dupont).count() == 1
    assert family_balance(dupont) == Decimal("0.00")
    attempt.refresh_from_db()
    assert attempt.status == PaymentAttempt.Status.SUCCEEDED


def test_two_events_of_one_success_at_once_record_one_payment(
    localstripe, dupont, guardian, settings
):
    attempt, intent = paid_at_stripe(localstripe, dupont, guardian)
    payloads = [
        event_payload(event_id, "payment_intent.succeeded", intent)
        for event_id in ("evt_first", "evt_second")
    ]

    answers = deliver_together(payloads, settings.STRIPE_WEBHOOK_SECRET)

    assert answers == [(200, f"attempt {attempt.pk} succeeded")] * 2
    assert StripeEvent.objects.count() == 2
    assert card_payments(dupont).count() == 1
    assert family_balance(dupont) == Decimal("0.00")
