"""Online card payment of the balance: payment attempts and Stripe events.

Invariants kept here:

- An attempt's amount is the family's whole balance, computed while the family row is
  locked. Only where the structure lets parents choose it (`OnlinePaymentSettings.free_amount`,
  off by default) may it be less: an amount the parent typed, checked here against the
  structure's minimum and the balance when the attempt opens and again just before the card
  is charged (`check_chosen_amount`). Nothing else the browser sends changes it.
- A family has at most one open attempt (database constraint); an attempt has at most one
  PaymentIntent, created with the idempotency key stored on the attempt.
- An attempt's status only moves forward (`STATUS_RANK`): a success is never undone, a
  late "payment failed" never hides a payment.
- Money is written only by `billing.ledger.services` (`record_payment`, `reverse_payment`), which
  are idempotent on the PaymentIntent id and on the refund id: the confirm call, the result
  page, the webhook and `stripe_reconcile` may all report one success, one `Payment` results.
- Every decision is taken on a PaymentIntent read from Stripe, never on what a webhook
  body or the browser claims.
"""

import logging
import secrets
from dataclasses import dataclass
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wagtail.log_actions import log

from core.money import CENT, ZERO, format_euros, quantize
from parents.models import Family

from ..ledger.services import (
    BillingError,
    family_balance,
    lock_family,
    record_payment,
    reverse_payment,
    site_language,
)
from ..models import (
    OnlinePaymentSettings,
    Payment,
    PaymentAttempt,
    PaymentMethod,
    PaymentReversal,
    StripeEvent,
)
from . import gateway

logger = logging.getLogger(__name__)

# Payment dates are French calendar days, whatever the server's time zone.
PARIS = ZoneInfo("Europe/Paris")

Status = PaymentAttempt.Status

STATUS_RANK = {
    Status.PENDING: 0,
    Status.REQUIRES_ACTION: 1,
    Status.PROCESSING: 2,
    Status.FAILED: 3,
    Status.CANCELED: 3,
    Status.SUCCEEDED: 4,
    Status.NEEDS_REVIEW: 4,
}
PAID_STATUSES = (Status.SUCCEEDED, Status.NEEDS_REVIEW)

CURRENCY = "eur"
METADATA_FAMILY = "family_id"
METADATA_ATTEMPT = "attempt_id"


class PaymentNotAllowed(BillingError):
    """Online payment refused for this family now; the message says why, for the parent."""


# --- What the account page offers -----------------------------------------------------------


@dataclass
class OnlinePaymentOffer:
    available: bool
    minimum: Decimal
    minimum_display: str
    reason: str = ""


def online_payment_offer(family, balance=None):
    """Whether the family may pay its balance online now, and if not, why (a sentence)."""
    if balance is None:
        balance = family_balance(family)
    minimum = family.structure.online_payment_minimum
    shown = format_euros(minimum)
    reason = ""
    if not gateway.is_configured():
        reason = _("Online payment is not available at the moment.")
    elif balance == ZERO:
        reason = _("There is no balance due, so there is nothing to pay online.")
    elif balance < ZERO:
        reason = _("Your account is in credit, so there is nothing to pay online.")
    elif balance < minimum:
        reason = _(
            "Online payment is available from a balance due of %(minimum)s; "
            "your balance is below that amount."
        ) % {"minimum": shown}
    return OnlinePaymentOffer(not reason, minimum, shown, reason)


# --- An amount of the parent's choice (optional, per structure) -----------------------------


def free_amount_allowed(structure):
    """Whether the structure lets parents choose the amount they pay online (off by default:
    the user manual says it cannot be chosen)."""
    return OnlinePaymentSettings.objects.filter(structure=structure, free_amount=True).exists()


def check_chosen_amount(family, amount, balance):
    """The amount a parent typed, as it will be charged; `PaymentNotAllowed` (with the
    sentence to show) unless the structure allows a chosen amount and it lies between the
    structure's minimum for online payment and the balance due, in whole cents.

    The minimum is `Structure.online_payment_minimum`, the balance from which online payment
    is offered at all (15 € by default, never under Stripe's 0,50 €). Never more than the
    balance: an online payment does not put an account in credit.
    """
    if not free_amount_allowed(family.structure):
        raise PaymentNotAllowed(
            _("The amount of an online payment cannot be chosen: it is the whole balance due.")
        )
    try:
        amount = Decimal(amount)
    except (ArithmeticError, TypeError, ValueError):
        amount = None
    if amount is None or not amount.is_finite() or amount != amount.quantize(CENT):
        # Rounding would charge another amount than the one typed: refused instead.
        raise PaymentNotAllowed(
            _("Enter the amount in euros with at most two decimals, for example 36,07.")
        )
    amount = quantize(amount)
    minimum = family.structure.online_payment_minimum
    if amount <= ZERO:
        raise PaymentNotAllowed(_("The amount must be greater than zero."))
    if amount > balance:
        raise PaymentNotAllowed(
            _("The amount cannot be more than your balance due (%(balance)s).")
            % {"balance": format_euros(balance)}
        )
    if amount < minimum:
        raise PaymentNotAllowed(
            _("The amount must be at least %(minimum)s.") % {"minimum": format_euros(minimum)}
        )
    return amount


# --- Attempts -------------------------------------------------------------------------------


def _cents(amount):
    return int(quantize(amount) * 100)


def _advance(attempt, status, *, code="", message=""):
    """Move the attempt to `status` if that is a step forward; save what changed."""
    if status is None or STATUS_RANK[status] <= STATUS_RANK[attempt.status]:
        attempt.save()
        return False
    attempt.status = status
    if status in (Status.FAILED, Status.CANCELED):
        attempt.failure_code = (code or "")[:100]
        attempt.failure_message = (message or "")[:500]
    attempt.save()
    return True


def start_payment_attempt(family, guardian=None, amount=None):
    """The open attempt for the family's whole balance, or for `amount` when the parent chose
    one: the existing attempt when it is for the same amount and balance and still waits for
    a card, otherwise a new one (the previous one is abandoned, and its PaymentIntent, if any,
    cancelled at Stripe first).

    Raises `PaymentNotAllowed` when the balance is under the structure's minimum, zero or
    in credit, and for a chosen amount the structure does not allow (`check_chosen_amount`);
    nothing is created then. A processing attempt is returned as it is: no second payment
    meanwhile.
    """
    if not gateway.is_configured():
        raise PaymentNotAllowed(_("Online payment is not available at the moment."))
    with transaction.atomic():
        family = lock_family(family)
        balance = family_balance(family)
        if amount is not None:
            # Checked before anything is touched: a refused amount leaves the open attempt be.
            amount = check_chosen_amount(family, amount, balance)
        current = PaymentAttempt.objects.select_for_update().open().filter(family=family).first()
        if current is not None:
            if current.status == Status.PROCESSING:
                return current
            if (
                current.status == Status.PENDING
                and current.balance_due == balance
                and current.amount == (balance if amount is None else amount)
            ):
                return current
            # The balance or the amount changed, or a 3-D Secure step was left unfinished:
            # that PaymentIntent must not be paid later, so it is cancelled before a new one.
            _abandon(current, family)
            if current.status in PAID_STATUSES:
                balance = family_balance(family)
            elif current.status == Status.PROCESSING:
                return current
        # A refusal from here on is raised after the commit, so that what the abandon above
        # learnt from Stripe (a payment, a cancellation) is kept.
        refusal = _refusal(family, balance, amount)
        if refusal is None:
            attempt = PaymentAttempt.objects.create(
                structure=family.structure,
                family=family,
                guardian=guardian,
                amount=balance if amount is None else amount,
                balance_due=balance,
                currency=CURRENCY,
                idempotency_key=f"portail-attempt-{secrets.token_hex(16)}",
            )
            log(
                instance=attempt,
                action="wagtail.create",
                user=guardian.user if guardian else None,
                data={"amount": str(attempt.amount), "balance": str(balance)},
            )
    if refusal is not None:
        raise refusal
    return attempt


def _refusal(family, balance, amount):
    """Why no attempt may be opened for this balance (and chosen amount), or None."""
    offer = online_payment_offer(family, balance)
    if not offer.available:
        return PaymentNotAllowed(offer.reason)
    if amount is not None:
        try:
            check_chosen_amount(family, amount, balance)
        except PaymentNotAllowed as exc:
            return exc
    return None


def _abandon(attempt, family):
    if attempt.payment_intent_id:
        try:
            intent = gateway.cancel_payment_intent(attempt.payment_intent_id)
        except gateway.NotFound:
            intent = None
        except gateway.GatewayError:
            # Cancelling fails when the intent moved on (paid, processing): read it.
            intent = gateway.retrieve_payment_intent(attempt.payment_intent_id)
        if intent is not None:
            _apply_intent(attempt, intent, family)
    if attempt.is_open and attempt.status != Status.PROCESSING:
        _advance(attempt, Status.CANCELED, code="superseded")


def confirm_payment_attempt(family, attempt_id, payment_method):
    """Create and confirm the attempt's PaymentIntent with the card Stripe.js tokenised.

    Returns (attempt, intent or None). A second call for the same attempt (double click)
    creates nothing: it reads the existing PaymentIntent back. If the balance changed since
    the page opened, the attempt is abandoned and nothing is charged.
    Raises `PaymentAttempt.DoesNotExist` for another family's attempt.
    """
    with transaction.atomic():
        family = lock_family(family)
        attempt = PaymentAttempt.objects.select_for_update().get(pk=attempt_id, family=family)
        if attempt.payment_intent_id:
            intent = gateway.retrieve_payment_intent(attempt.payment_intent_id)
            _apply_intent(attempt, intent, family)
            return attempt, intent
        if not attempt.is_open:
            return attempt, None
        balance = family_balance(family)
        if balance != attempt.balance_due:
            _advance(attempt, Status.CANCELED, code="balance_changed")
            return attempt, None
        if not _amount_still_allowed(attempt, family, balance):
            _advance(attempt, Status.CANCELED, code="amount_not_allowed")
            return attempt, None
        try:
            intent = gateway.create_payment_intent(
                amount_cents=_cents(attempt.amount),
                currency=attempt.currency,
                payment_method=payment_method,
                metadata={METADATA_FAMILY: str(family.pk), METADATA_ATTEMPT: str(attempt.pk)},
                idempotency_key=attempt.idempotency_key,
            )
        except gateway.CardDeclined as exc:
            attempt.payment_intent_id = exc.payment_intent_id
            _advance(attempt, Status.FAILED, code=exc.decline_code or exc.code, message=exc.message)
            return attempt, None
        except gateway.GatewayError as exc:
            # Outcome unknown: the attempt is closed so that no second PaymentIntent is made
            # for it. Had Stripe charged the card after all, the webhook or stripe_reconcile
            # finds this attempt through the PaymentIntent's metadata and records the money.
            logger.warning("PaymentIntent creation failed for attempt %s: %s", attempt.pk, exc)
            _advance(attempt, Status.CANCELED, code="gateway_error", message=exc.message)
            return attempt, None
        attempt.payment_intent_id = intent["id"]
        _apply_intent(attempt, intent, family)
        return attempt, intent


def _amount_still_allowed(attempt, family, balance):
    """Whether a part of the balance may still be charged: the amount is checked again on the
    server just before Stripe is asked, as the structure's option or minimum may have changed
    since the page opened. The whole balance needs no choice."""
    if attempt.amount == balance:
        return True
    try:
        check_chosen_amount(family, attempt.amount, balance)
    except PaymentNotAllowed:
        return False
    return True


def _apply_intent(attempt, intent, family):
    """Align a locked attempt with a PaymentIntent read from Stripe."""
    if not attempt.payment_intent_id:
        attempt.payment_intent_id = intent["id"]
    status = intent.get("status")
    if status == "succeeded":
        _record_success(attempt, intent, family)
        return
    target, code, message = None, "", ""
    if status in ("processing", "requires_capture"):
        target = Status.PROCESSING
    elif status in ("requires_action", "requires_confirmation"):
        target = Status.REQUIRES_ACTION
    elif status == "requires_payment_method":
        error = intent.get("last_payment_error")
        if error:
            target = Status.FAILED
            code = error.get("decline_code") or error.get("code") or ""
            message = error.get("message") or ""
    elif status == "canceled":
        target, code = Status.CANCELED, intent.get("cancellation_reason") or "canceled"
    _advance(attempt, target, code=code, message=message)


def _record_success(attempt, intent, family):
    """Record the money of a succeeded PaymentIntent, once, whatever it is.

    What does not match what we asked for (currency, amount, or a balance that moved since
    the attempt was opened) is still recorded as received, and flagged for staff.
    """
    cents = intent.get("amount_received") or intent.get("amount") or 0
    received = quantize(Decimal(cents) / 100)
    payment = Payment.objects.filter(
        method=PaymentMethod.CARD_ONLINE, reference=intent["id"]
    ).first()
    if payment is None:
        problems = _mismatches(attempt, intent, received, family_balance(family))
        charged = gateway.succeeded_at(intent)
        payment = record_payment(
            family,
            received,
            PaymentMethod.CARD_ONLINE,
            # The day the card was charged (in Paris), even when a late webhook or
            # stripe_reconcile records it: the yearly certificates count payments by date,
            # and a 3-D Secure step may end after midnight on 31 December.
            on_date=timezone.localdate(charged, PARIS) if charged else None,
            reference=intent["id"],
            payer=attempt.guardian if attempt is not None else None,
            needs_review=bool(problems),
            note=" ".join(problems),
        )
        if problems:
            logger.warning("Card payment %s needs review: %s", intent["id"], problems)
        payment_id = payment.pk
        # robust: a mail server down must not turn a recorded payment into an error page.
        transaction.on_commit(lambda: send_payment_receipt(payment_id), robust=True)
    if attempt is not None:
        attempt.payment = payment
        attempt.amount_received = received
        currency = (intent.get("currency") or "").lower()
        attempt.status = (
            Status.SUCCEEDED
            if received == attempt.amount and currency in ("", attempt.currency)
            else Status.NEEDS_REVIEW
        )
        attempt.save()
    return payment


def _mismatches(attempt, intent, received, balance):
    """What differs between a success and its attempt, in the site's language, for staff."""
    currency = (intent.get("currency") or "").lower()
    problems = []
    with site_language():
        if attempt is None:
            problems.append(_("No online payment attempt matches this card payment."))
        elif currency != attempt.currency:
            problems.append(
                _("Paid in %(currency)s instead of %(expected)s.")
                % {"currency": currency.upper(), "expected": attempt.currency.upper()}
            )
        elif received != attempt.amount:
            problems.append(
                _("%(received)s received instead of %(expected)s.")
                % {"received": format_euros(received), "expected": format_euros(attempt.amount)}
            )
        if attempt is not None and balance != attempt.balance_due:
            problems.append(
                _("The balance was %(balance)s when the payment arrived, not %(expected)s.")
                % {
                    "balance": format_euros(balance),
                    "expected": format_euros(attempt.balance_due),
                }
            )
    return [str(problem) for problem in problems]


def _attempt_for_intent(intent):
    attempt = PaymentAttempt.objects.filter(payment_intent_id=intent["id"]).first()
    if attempt is not None:
        return attempt
    metadata = intent.get("metadata") or {}
    attempt_id, family_id = metadata.get(METADATA_ATTEMPT), metadata.get(METADATA_FAMILY)
    if not (str(attempt_id or "").isdigit() and str(family_id or "").isdigit()):
        return None
    return PaymentAttempt.objects.filter(
        pk=int(attempt_id), family_id=int(family_id), payment_intent_id=""
    ).first()


def _family_for_intent(intent):
    family_id = (intent.get("metadata") or {}).get(METADATA_FAMILY)
    if not str(family_id or "").isdigit():
        return None
    return Family.objects.filter(pk=int(family_id)).first()


def sync_attempt_from_intent(intent):
    """Bring our records in line with a PaymentIntent read from Stripe. Idempotent.

    Returns the attempt it belongs to, or None for a PaymentIntent that is not ours. A
    success that names one of our families but no attempt is still recorded (for review).
    """
    attempt = _attempt_for_intent(intent)
    family = attempt.family if attempt is not None else _family_for_intent(intent)
    if family is None:
        logger.info("PaymentIntent %s belongs to no family of the portal", intent.get("id"))
        return None
    with transaction.atomic():
        family = lock_family(family)
        if attempt is None:
            if intent.get("status") == "succeeded":
                _record_success(None, intent, family)
            return None
        attempt = PaymentAttempt.objects.select_for_update().get(pk=attempt.pk)
        _apply_intent(attempt, intent, family)
        return attempt


def refresh_attempt(attempt):
    """Ask Stripe where an open attempt's PaymentIntent stands (result page, payment page).

    Stripe being unreachable leaves the attempt as it is; a PaymentIntent Stripe does not
    know (a development server restarted) closes the attempt.
    """
    if not attempt.is_open or not attempt.payment_intent_id:
        return attempt
    try:
        intent = gateway.retrieve_payment_intent(attempt.payment_intent_id)
    except gateway.NotFound:
        with transaction.atomic():
            lock_family(attempt.family)
            locked = PaymentAttempt.objects.select_for_update().get(pk=attempt.pk)
            _advance(locked, Status.CANCELED, code="missing")
        attempt.refresh_from_db()
        return attempt
    except gateway.GatewayError as exc:
        logger.warning("Could not read PaymentIntent %s: %s", attempt.payment_intent_id, exc)
        return attempt
    sync_attempt_from_intent(intent)
    attempt.refresh_from_db()
    return attempt


def payable_attempt(family):
    """The family's open attempt if it is still the one to pay (processing, or waiting for a
    card and opened against the current balance, for an amount still allowed); None
    otherwise. Reads only: a GET shows this and never creates an attempt (see
    `start_payment_attempt`, called on POST).
    """
    attempt = PaymentAttempt.objects.open().filter(family=family).first()
    if attempt is None:
        return None
    if attempt.status == Status.PROCESSING:
        return attempt
    balance = family_balance(family)
    if (
        attempt.status == Status.PENDING
        and attempt.balance_due == balance
        and _amount_still_allowed(attempt, family, balance)
    ):
        return attempt
    return None


def refresh_open_attempt(family):
    """Refresh the family's open attempt, if it has a PaymentIntent."""
    attempt = PaymentAttempt.objects.open().filter(family=family).first()
    if attempt is not None:
        refresh_attempt(attempt)


def failure_reason(attempt):
    """Why an attempt failed or was abandoned, in words for the parent."""
    reasons = {
        "card_declined": _("Your bank declined the card."),
        "generic_decline": _("Your bank declined the card."),
        "insufficient_funds": _("Your bank declined the card: insufficient funds."),
        "expired_card": _("This card has expired."),
        "incorrect_cvc": _("The security code (CVC) is incorrect."),
        "incorrect_number": _("The card number is incorrect."),
        "processing_error": _("An error occurred while processing the card."),
        "payment_intent_authentication_failure": _("The 3-D Secure authentication failed."),
        "balance_changed": _("Your balance changed before the payment: nothing was charged."),
        "amount_not_allowed": _(
            "This amount can no longer be paid online: nothing was charged. Please choose "
            "the amount again."
        ),
        "superseded": _("This payment was replaced by a new one: nothing was charged."),
        "gateway_error": _(
            "The payment service could not be reached. If your card was charged all the "
            "same, the payment will appear on your account shortly."
        ),
        "missing": _("The payment service no longer knows this payment: nothing was charged."),
    }
    if attempt.failure_code in reasons:
        return reasons[attempt.failure_code]
    if attempt.status == Status.CANCELED:
        return _("The payment was abandoned: nothing was charged.")
    return _("The payment was declined.")


# --- Receipt --------------------------------------------------------------------------------


def send_payment_receipt(payment_id):
    """Email the guardians that their online payment was received, with the new balance."""
    payment = Payment.objects.select_related("family__structure").get(pk=payment_id)
    family = payment.family
    recipients = [g.email for g in family.guardians.all() if g.email]
    if not recipients:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        balance = family_balance(family)
        context = {
            "payment": payment,
            "family": family,
            "structure": family.structure,
            "balance": balance,
            "credit": -balance,
            "account_url": settings.SITE_URL + reverse("billing:account"),
        }
        subject = render_to_string("billing/email/payment_receipt_subject.txt", context).strip()
        text = render_to_string("billing/email/payment_receipt.txt", context)
        html = render_to_string("billing/email/payment_receipt.html", context)
    message = EmailMultiAlternatives(subject, text, to=recipients)
    message.attach_alternative(html, "text/html")
    return message.send()


# --- Stripe events --------------------------------------------------------------------------


def _handle_payment_intent(event):
    intent_id = event["data"]["object"]["id"]
    try:
        # The event's copy may be stale or arrive out of order: Stripe's current state wins.
        intent = gateway.retrieve_payment_intent(intent_id)
    except gateway.NotFound:
        return "unknown PaymentIntent"
    attempt = sync_attempt_from_intent(intent)
    if attempt is None:
        return f"PaymentIntent {intent['status']}, no attempt"
    return f"attempt {attempt.pk} {attempt.status}"


def _handle_charge_refunded(event):
    charge_id = event["data"]["object"]["id"]
    try:
        charge = gateway.retrieve_charge(charge_id)
    except gateway.NotFound:
        return "unknown charge"
    intent_id = charge.get("payment_intent")
    if not intent_id:
        return "charge without PaymentIntent"
    payment = Payment.objects.filter(method=PaymentMethod.CARD_ONLINE, reference=intent_id).first()
    if payment is None:
        # Refunded before we heard of the success: record the success first.
        sync_attempt_from_intent(gateway.retrieve_payment_intent(intent_id))
        payment = Payment.objects.filter(
            method=PaymentMethod.CARD_ONLINE, reference=intent_id
        ).first()
        if payment is None:
            return "refund of no recorded payment"
    recorded = 0
    for refund in sorted(gateway.list_refunds(charge_id), key=lambda r: r.get("created") or 0):
        # Stripe counts pending refunds as refunded already; failed or cancelled ones not.
        if refund.get("status") not in ("succeeded", "pending") or not refund.get("amount"):
            continue
        if PaymentReversal.objects.filter(reference=refund["id"]).exists():
            continue
        amount = quantize(Decimal(refund["amount"]) / 100)
        try:
            reverse_payment(
                payment,
                reason=PaymentReversal.Reason.REFUND,
                amount=amount,
                reference=refund["id"],
                note=_("Card refund %(refund)s") % {"refund": refund["id"]},
            )
        except BillingError as exc:
            logger.error("Refund %s of %s not recorded: %s", refund["id"], intent_id, exc)
            return f"refund {refund['id']} not recorded: {exc.messages[0]}"
        recorded += 1
    return f"{recorded} refund(s) recorded"


EVENT_HANDLERS = {
    "payment_intent.succeeded": _handle_payment_intent,
    "payment_intent.payment_failed": _handle_payment_intent,
    "payment_intent.processing": _handle_payment_intent,
    "payment_intent.requires_action": _handle_payment_intent,
    "payment_intent.canceled": _handle_payment_intent,
    "charge.refunded": _handle_charge_refunded,
}


def record_stripe_event(event):
    """Store a verified Stripe event and act on it, in one transaction.

    Idempotent on the Stripe event id: a replay, or a second delivery racing the first,
    hits the unique constraint and changes nothing ("duplicate"). Types without a handler
    are stored and answered as handled. If a handler cannot reach Stripe, everything rolls
    back, event row included, so that Stripe's next delivery tries again.
    """
    with transaction.atomic():
        try:
            with transaction.atomic():
                stored = StripeEvent.objects.create(
                    event_id=event["id"],
                    type=event["type"],
                    created=gateway.timestamp_to_datetime(event.get("created")),
                    livemode=bool(event.get("livemode")),
                    payload=event,
                )
        except IntegrityError:
            return "duplicate"
        handler = EVENT_HANDLERS.get(event["type"])
        outcome = handler(event) if handler else "ignored"
        stored.outcome = outcome[:200]
        stored.save(update_fields=["outcome"])
        return outcome


# --- Reconciliation -------------------------------------------------------------------------


def reconcile(since):
    """Find the card payments a lost webhook did not record, and record them.

    Looks at our unfinished attempts started since `since` and at the PaymentIntents that
    Stripe says succeeded since then; each is read from Stripe and synced. Idempotent.
    Returns (PaymentIntents checked, payments recorded).
    """
    intent_ids = list(
        PaymentAttempt.objects.filter(created_at__gte=since)
        .exclude(payment_intent_id="")
        .exclude(status__in=PAID_STATUSES)
        .values_list("payment_intent_id", flat=True)
    )
    for intent_id in gateway.succeeded_payment_intent_ids(since):
        if intent_id not in intent_ids:
            intent_ids.append(intent_id)
    recorded = 0
    for intent_id in intent_ids:
        try:
            intent = gateway.retrieve_payment_intent(intent_id)
        except gateway.NotFound:
            continue
        known = Payment.objects.filter(
            method=PaymentMethod.CARD_ONLINE, reference=intent_id
        ).exists()
        sync_attempt_from_intent(intent)
        if (
            not known
            and Payment.objects.filter(
                method=PaymentMethod.CARD_ONLINE, reference=intent_id
            ).exists()
        ):
            recorded += 1
    return len(intent_ids), recorded
