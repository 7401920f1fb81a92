"""`manage.py stripe_reconcile`: the payments a lost webhook did not record."""

import time
from datetime import timedelta
from decimal import Decimal
from io import StringIO

from django.core.management import CommandError, call_command
from django.utils import timezone

import pytest

from billing.ledger.services import family_balance
from billing.models import PaymentAttempt
from billing.online_payment.gateway import create_payment_intent
from billing.online_payment.services import confirm_payment_attempt, start_payment_attempt

from .fake_stripe import CARD_3DS, CARD_OK, card_payments

pytestmark = pytest.mark.django_db


def reconcile(*args):
    out = StringIO()
    call_command("stripe_reconcile", *args, stdout=out)
    return out.getvalue().strip()


def test_a_payment_whose_webhook_was_lost_is_recorded_once(localstripe, dupont, guardian):
    attempt = start_payment_attempt(dupont, guardian)
    attempt, intent = confirm_payment_attempt(dupont, attempt.pk, localstripe.card(CARD_3DS))
    # Paid at Stripe; the webhook went to an endpoint that was down, and the parent closed
    # the window before the result page.
    localstripe.authenticate(intent["id"])
    time.sleep(1.5)
    assert not card_payments(dupont).exists()

    since = (timezone.localdate() - timedelta(days=1)).isoformat()
    output = reconcile("--since", since)
    assert output == f"Since {since}: 1 PaymentIntent(s) checked, 1 missed payment(s) recorded."
    payment = card_payments(dupont).get()
    assert (payment.amount, payment.reference) == (Decimal("36.07"), intent["id"])
    attempt.refresh_from_db()
    assert attempt.status == PaymentAttempt.Status.SUCCEEDED
    assert family_balance(dupont) == Decimal("0.00")

    assert reconcile("--since", since).endswith("0 missed payment(s) recorded.")
    assert card_payments(dupont).count() == 1


def test_a_success_stripe_knows_but_our_attempt_missed_is_found(localstripe, dupont, guardian):
    attempt = start_payment_attempt(dupont, guardian)
    # The answer to our create call was lost: our attempt has no PaymentIntent id at all.
    create_payment_intent(
        amount_cents=3607,
        currency="eur",
        payment_method=localstripe.card(CARD_OK),
        metadata={"family_id": str(dupont.pk), "attempt_id": str(attempt.pk)},
        idempotency_key=attempt.idempotency_key,
    )
    assert reconcile().endswith("1 missed payment(s) recorded.")
    attempt.refresh_from_db()
    assert attempt.status == PaymentAttempt.Status.SUCCEEDED
    assert card_payments(dupont).get().reference == attempt.payment_intent_id


def test_nothing_before_the_date_is_touched(localstripe, dupont, guardian):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    attempt = start_payment_attempt(dupont, guardian)
    confirm_payment_attempt(dupont, attempt.pk, localstripe.card(CARD_OK))
    assert reconcile("--since", tomorrow).endswith(
        "0 PaymentIntent(s) checked, 0 missed payment(s) recorded."
    )


def test_bad_date_and_unreachable_stripe_are_errors(dupont):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        reconcile("--since", "31/12/2026")
    with pytest.raises(CommandError, match="Stripe could not be reached"):
        reconcile()
