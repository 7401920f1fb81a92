"""The Stripe webhook: signed deliveries only, each event once, Stripe's state wins.

Deliveries are posted with a Stripe-Signature computed here (HMAC-SHA256 of
"{timestamp}.{payload}"); the PaymentIntents they name live in a real localstripe, which the
handlers read back.
"""

import json
import time
from decimal import Decimal

from django.core import mail

import pytest

from billing.ledger.services import family_balance, record_payment
from billing.models import LedgerEntry, PaymentAttempt, PaymentReversal, StripeEvent
from billing.online_payment.gateway import CardDeclined, create_payment_intent
from billing.online_payment.services import confirm_payment_attempt, start_payment_attempt

from .fake_stripe import CARD_3DS, CARD_DECLINED, card_payments, event_payload

pytestmark = pytest.mark.django_db

Status = PaymentAttempt.Status


def paid_behind_our_back(localstripe, family, guardian):
    """A 3-D Secure payment completed at Stripe that nothing here has heard of yet."""
    attempt = start_payment_attempt(family, guardian)
    attempt, intent = confirm_payment_attempt(family, attempt.pk, localstripe.card(CARD_3DS))
    assert attempt.status == Status.REQUIRES_ACTION
    localstripe.authenticate(intent["id"])
    assert localstripe.payment_intent(intent["id"])["status"] == "succeeded"
    assert not card_payments(family).exists()
    return attempt, intent["id"]


def succeeded_event(localstripe, event_id, intent_id):
    """A payment_intent.succeeded event; its copy of the intent is deliberately stale."""
    intent = localstripe.payment_intent(intent_id)
    intent["status"] = "requires_action"
    return event_payload(event_id, "payment_intent.succeeded", intent)


# --- Refused deliveries: 400 and nothing stored ----------------------------------------------


def test_bad_signature_is_refused_and_nothing_is_stored(post_webhook, dupont):
    payload = event_payload("evt_forged", "payment_intent.succeeded", {"id": "pi_x"})
    assert post_webhook(payload, secret="whsec_someone_else").status_code == 400
    assert post_webhook(payload, header="t=1,v1=deadbeef").status_code == 400
    assert post_webhook(payload, header="").status_code == 400
    assert not StripeEvent.objects.exists()
    assert not LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PAYMENT).exists()


def test_stale_timestamp_is_refused(post_webhook, dupont):
    payload = event_payload("evt_old", "payment_intent.succeeded", {"id": "pi_x"})
    ten_minutes_ago = int(time.time()) - 600
    assert post_webhook(payload, timestamp=ten_minutes_ago).status_code == 400
    assert not StripeEvent.objects.exists()


def test_malformed_json_with_a_good_signature_is_refused(post_webhook):
    assert post_webhook('{"id": "evt_1", "type": ').status_code == 400
    assert post_webhook(json.dumps({"hello": "world"})).status_code == 400
    assert not StripeEvent.objects.exists()


def test_only_post_is_accepted(client):
    assert client.get("/paiement/stripe/webhook/").status_code == 405


def test_unknown_type_is_stored_and_answered_200_once(post_webhook):
    payload = event_payload("evt_customer", "customer.created", {"id": "cus_1"})
    first = post_webhook(payload)
    assert first.status_code == 200
    assert first.json()["outcome"] == "ignored"
    replay = post_webhook(payload)
    assert replay.status_code == 200
    assert replay.json()["outcome"] == "duplicate"
    event = StripeEvent.objects.get()
    assert (event.event_id, event.type, event.outcome) == (
        "evt_customer",
        "customer.created",
        "ignored",
    )


# --- Events read back from localstripe -------------------------------------------------------


def test_succeeded_records_one_payment_even_replayed(
    localstripe, post_webhook, dupont, guardian, django_capture_on_commit_callbacks
):
    attempt, intent_id = paid_behind_our_back(localstripe, dupont, guardian)
    payload = succeeded_event(localstripe, "evt_success", intent_id)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_webhook(payload)
    assert response.status_code == 200
    assert post_webhook(payload).json()["outcome"] == "duplicate"
    # The same success in another event (the result page, a second event type) changes nothing.
    assert post_webhook(succeeded_event(localstripe, "evt_again", intent_id)).status_code == 200

    payment = card_payments(dupont).get()
    assert (payment.amount, payment.reference, payment.needs_review) == (
        Decimal("36.07"),
        intent_id,
        False,
    )
    # The processor's id is for staff (the reference), not in the label families read.
    assert payment.label == "Règlement Carte en ligne"
    assert payment.reference == intent_id
    assert family_balance(dupont) == Decimal("0.00")
    attempt.refresh_from_db()
    assert (attempt.status, attempt.payment) == (Status.SUCCEEDED, payment)
    assert StripeEvent.objects.count() == 2
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [guardian.email]
    assert mail.outbox[0].subject == "Paiement reçu : 36,07 € — Commune de Brax"
    assert "Il ne reste rien à payer." in mail.outbox[0].body


def test_failed_after_succeeded_keeps_the_payment(localstripe, post_webhook, dupont, guardian):
    attempt, intent_id = paid_behind_our_back(localstripe, dupont, guardian)
    post_webhook(succeeded_event(localstripe, "evt_ok", intent_id))
    late = localstripe.payment_intent(intent_id)
    late["status"] = "requires_payment_method"
    late["last_payment_error"] = {"code": "card_declined", "message": "Your card was declined."}
    response = post_webhook(
        event_payload("evt_late_failure", "payment_intent.payment_failed", late)
    )
    assert response.status_code == 200
    attempt.refresh_from_db()
    assert attempt.status == Status.SUCCEEDED
    assert card_payments(dupont).count() == 1
    assert family_balance(dupont) == Decimal("0.00")


def test_payment_failed_marks_the_attempt_failed(localstripe, post_webhook, dupont, guardian):
    attempt = start_payment_attempt(dupont, guardian)
    # Declined at Stripe while our answer was lost: only the event tells us.
    with pytest.raises(CardDeclined):
        create_payment_intent(
            amount_cents=3607,
            currency="eur",
            payment_method=localstripe.card(CARD_DECLINED),
            metadata={"family_id": str(dupont.pk), "attempt_id": str(attempt.pk)},
            idempotency_key=attempt.idempotency_key,
        )
    attempt.refresh_from_db()
    assert (attempt.status, attempt.payment_intent_id) == (Status.PENDING, "")
    (event,) = localstripe.events("payment_intent.payment_failed")
    response = post_webhook(json.dumps(event))
    assert response.status_code == 200
    attempt.refresh_from_db()
    assert (attempt.status, attempt.failure_code) == (Status.FAILED, "card_declined")
    assert attempt.payment_intent_id == event["data"]["object"]["id"]
    assert not card_payments(dupont).exists()
    assert family_balance(dupont) == Decimal("36.07")


def test_refunds_add_reversal_entries_once_each(localstripe, post_webhook, dupont, guardian):
    attempt, intent_id = paid_behind_our_back(localstripe, dupont, guardian)
    post_webhook(succeeded_event(localstripe, "evt_paid", intent_id))
    payment = card_payments(dupont).get()

    first = localstripe.refund(intent_id, 1000)
    charge = localstripe.get(f"/v1/charges/{first['charge']}")
    assert post_webhook(event_payload("evt_refund_1", "charge.refunded", charge)).status_code == 200
    assert family_balance(dupont) == Decimal("10.00")

    second = localstripe.refund(intent_id, 2607)
    charge = localstripe.get(f"/v1/charges/{first['charge']}")
    post_webhook(event_payload("evt_refund_2", "charge.refunded", charge))
    post_webhook(event_payload("evt_refund_2", "charge.refunded", charge))  # replay
    post_webhook(event_payload("evt_refund_2b", "charge.refunded", charge))  # same refunds

    reversals = PaymentReversal.objects.filter(payment=payment).order_by("amount")
    assert [(r.amount, r.reference, r.reason) for r in reversals] == [
        (Decimal("10.00"), first["id"], PaymentReversal.Reason.REFUND),
        (Decimal("26.07"), second["id"], PaymentReversal.Reason.REFUND),
    ]
    assert family_balance(dupont) == Decimal("36.07")
    entry = LedgerEntry.objects.filter(reversal=reversals[0]).get()
    assert entry.label == "Remboursement — Règlement Carte en ligne"


def intent_for(localstripe, family, attempt, cents, currency="eur"):
    """A PaymentIntent that does not match its attempt, as only a bug or a person at the
    Stripe dashboard could make one."""
    metadata = {"family_id": str(family.pk)}
    if attempt is not None:
        metadata["attempt_id"] = str(attempt.pk)
    return create_payment_intent(
        amount_cents=cents,
        currency=currency,
        payment_method=localstripe.card("4242424242424242"),
        metadata=metadata,
        idempotency_key=f"odd-{cents}-{currency}",
    )


def test_amount_mismatch_is_recorded_as_received_and_flagged(
    localstripe, post_webhook, dupont, guardian
):
    attempt = start_payment_attempt(dupont, guardian)
    intent = intent_for(localstripe, dupont, attempt, 2000)
    post_webhook(event_payload("evt_mismatch", "payment_intent.succeeded", intent))
    payment = card_payments(dupont).get()
    assert (payment.amount, payment.needs_review) == (Decimal("20.00"), True)
    assert payment.note == "20,00 € reçus au lieu de 36,07 €."
    assert family_balance(dupont) == Decimal("16.07")
    attempt.refresh_from_db()
    # Short of what was asked: the attempt reads "à vérifier", never "payé".
    assert (attempt.status, attempt.amount_received) == (Status.NEEDS_REVIEW, Decimal("20.00"))
    assert attempt.get_status_display() == "à vérifier"


def test_currency_mismatch_is_recorded_and_flagged(localstripe, post_webhook, dupont, guardian):
    attempt = start_payment_attempt(dupont, guardian)
    intent = intent_for(localstripe, dupont, attempt, 3607, currency="usd")
    post_webhook(event_payload("evt_dollars", "payment_intent.succeeded", intent))
    payment = card_payments(dupont).get()
    assert (payment.amount, payment.needs_review) == (Decimal("36.07"), True)
    assert payment.note == "Payé en USD au lieu de EUR."


def test_success_of_a_family_without_attempt_is_recorded_and_flagged(
    localstripe, post_webhook, dupont
):
    intent = intent_for(localstripe, dupont, None, 500)
    post_webhook(event_payload("evt_orphan", "payment_intent.succeeded", intent))
    payment = card_payments(dupont).get()
    assert (payment.amount, payment.needs_review) == (Decimal("5.00"), True)
    assert payment.note == "Aucune tentative de paiement en ligne ne correspond à ce paiement."


def test_balance_changed_before_the_success_still_records_it_in_full(
    localstripe, post_webhook, dupont, guardian
):
    attempt = start_payment_attempt(dupont, guardian)
    attempt, intent = confirm_payment_attempt(dupont, attempt.pk, localstripe.card(CARD_3DS))
    # Meanwhile the family paid by cheque at the centre, then finished the 3-D Secure step.
    record_payment(dupont, Decimal("36.07"), "cheque", cheque_number="123")
    localstripe.authenticate(intent["id"])
    post_webhook(succeeded_event(localstripe, "evt_late", intent["id"]))
    payment = card_payments(dupont).get()
    assert (payment.amount, payment.needs_review) == (Decimal("36.07"), True)
    assert "Le solde était de 0,00 €" in payment.note
    assert family_balance(dupont) == Decimal("-36.07")


def test_an_intent_of_no_family_is_ignored(localstripe, post_webhook, dupont):
    intent = create_payment_intent(
        amount_cents=1500,
        currency="eur",
        payment_method=localstripe.card("4242424242424242"),
        metadata={},
        idempotency_key="foreign",
    )
    response = post_webhook(event_payload("evt_foreign", "payment_intent.succeeded", intent))
    assert response.status_code == 200
    assert not card_payments(dupont).exists()
    assert StripeEvent.objects.get().outcome == "PaymentIntent succeeded, no attempt"


def test_stripe_unreachable_answers_503_and_stores_nothing(post_webhook, dupont, settings):
    # The test settings point at a port where nothing listens.
    response = post_webhook(
        event_payload("evt_later", "payment_intent.succeeded", {"id": "pi_unknown"})
    )
    assert response.status_code == 503
    assert not StripeEvent.objects.exists()
