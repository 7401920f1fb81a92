"""The one door to Stripe: the only module that imports `stripe`.

Everything goes through `stripe.StripeClient` with `max_network_retries=2` (the library
retries nothing by default; retried POSTs carry the same idempotency key). Objects come
back as plain dicts, so the rest of the code never depends on the library's types, and
every failure comes back as one of the exceptions below.

`STRIPE_API_BASE` points the client at another server (localstripe in development and
tests); production settings refuse it. Only parameters that both Stripe and localstripe
accept are sent (localstripe answers 400 to any parameter it does not know).
"""

import functools
import logging
from datetime import UTC, datetime

from django.conf import settings

import stripe

logger = logging.getLogger(__name__)

STRIPE_JS_URL = "https://js.stripe.com/v3/"
MAX_NETWORK_RETRIES = 2
# Seconds a signed webhook stays acceptable (Stripe's own default): replays of an old,
# captured delivery are refused.
WEBHOOK_TOLERANCE = 300


class GatewayError(Exception):
    """Stripe could not be reached or refused the request."""

    def __init__(self, message, *, code="", payment_intent_id=""):
        super().__init__(message)
        self.message = message
        self.code = code
        self.payment_intent_id = payment_intent_id


class CardDeclined(GatewayError):
    """The card was refused while confirming; the PaymentIntent, if known, is attached."""

    def __init__(self, message, *, code="", decline_code="", payment_intent_id=""):
        super().__init__(message, code=code, payment_intent_id=payment_intent_id)
        self.decline_code = decline_code


class NotFound(GatewayError):
    """Stripe does not know this object (wrong account, or a development server restarted)."""


class InvalidWebhook(Exception):
    """A webhook delivery whose signature, timestamp or body cannot be trusted."""


def is_configured():
    return bool(
        settings.STRIPE_SECRET_KEY
        and settings.STRIPE_PUBLISHABLE_KEY
        and settings.STRIPE_WEBHOOK_SECRET
    )


@functools.lru_cache(maxsize=4)
def _client(secret_key, api_base):
    options = {"max_network_retries": MAX_NETWORK_RETRIES}
    if api_base:
        options["base_addresses"] = {"api": api_base}
    return stripe.StripeClient(secret_key, **options)


def client():
    # Keyed on the settings, so tests that point at another server get another client.
    return _client(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE)


def _as_dict(obj):
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def _call(function, *args, **kwargs):
    """Run one API call, turning the library's errors into ours."""
    try:
        return _as_dict(function(*args, **kwargs))
    except stripe.CardError as exc:
        raise _card_declined(exc) from exc
    except stripe.InvalidRequestError as exc:
        if exc.http_status == 404:
            raise NotFound(str(exc.user_message or exc), code="resource_missing") from exc
        raise GatewayError(str(exc.user_message or exc), code=exc.code or "") from exc
    except stripe.StripeError as exc:
        raise GatewayError(str(exc.user_message or exc), code=exc.code or "") from exc


def _card_declined(exc):
    error = exc.error
    intent_id = ""
    intent = getattr(error, "payment_intent", None) if error else None
    if intent:
        intent_id = intent if isinstance(intent, str) else getattr(intent, "id", "")
    elif error and getattr(error, "charge", None):
        # localstripe names only the charge; the charge names its PaymentIntent.
        try:
            charge = retrieve_charge(error.charge)
        except GatewayError:
            charge = {}
        intent_id = charge.get("payment_intent") or ""
    return CardDeclined(
        (error and error.message) or str(exc),
        code=exc.code or "card_declined",
        decline_code=(error and getattr(error, "decline_code", None)) or "",
        payment_intent_id=intent_id,
    )


def create_payment_intent(*, amount_cents, currency, payment_method, metadata, idempotency_key):
    """Create and confirm, in one call, a card PaymentIntent for `amount_cents`.

    The answer may already be final (succeeded), or ask for 3-D Secure (`requires_action`,
    finished in the browser by Stripe.js). A refused card raises `CardDeclined`.
    """
    return _call(
        client().v1.payment_intents.create,
        params={
            "amount": amount_cents,
            "currency": currency,
            "payment_method": payment_method,
            # Card only: confirming server-side then needs no return URL.
            "payment_method_types": ["card"],
            "confirm": True,
            "metadata": metadata,
        },
        options={"idempotency_key": idempotency_key},
    )


def retrieve_payment_intent(intent_id):
    return _call(client().v1.payment_intents.retrieve, intent_id)


def cancel_payment_intent(intent_id):
    return _call(client().v1.payment_intents.cancel, intent_id)


def retrieve_charge(charge_id):
    return _call(client().v1.charges.retrieve, charge_id)


def list_refunds(charge_id):
    """Every refund of a charge (a charge can be refunded in several parts)."""
    try:
        page = client().v1.refunds.list(params={"charge": charge_id, "limit": 100})
        return [_as_dict(refund) for refund in page.auto_paging_iter()]
    except stripe.StripeError as exc:
        raise GatewayError(str(exc.user_message or exc), code=exc.code or "") from exc


def succeeded_payment_intent_ids(since):
    """Ids of the PaymentIntents that succeeded since `since` (a datetime), from Stripe's
    list of events, which both Stripe (30 days back) and localstripe can filter by date.
    """
    params = {
        "type": "payment_intent.succeeded",
        "created": {"gte": int(since.timestamp())},
        "limit": 100,
    }
    try:
        page = client().v1.events.list(params=params)
        ids = []
        for event in page.auto_paging_iter():
            intent_id = _as_dict(event)["data"]["object"]["id"]
            if intent_id not in ids:
                ids.append(intent_id)
        return ids
    except stripe.StripeError as exc:
        raise GatewayError(str(exc.user_message or exc), code=exc.code or "") from exc


def charge_id_of(intent):
    """The latest charge of a PaymentIntent: an id at Stripe, an object at localstripe."""
    charge = intent.get("latest_charge")
    if isinstance(charge, dict):
        return charge.get("id", "")
    return charge or ""


def parse_webhook(payload, signature):
    """The event of a webhook delivery, once its `Stripe-Signature` (HMAC-SHA256 of
    "{timestamp}.{body}" with the endpoint secret) and its timestamp are checked.
    """
    try:
        event = client().construct_event(
            payload, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=WEBHOOK_TOLERANCE
        )
    except stripe.SignatureVerificationError as exc:
        raise InvalidWebhook(str(exc)) from exc
    except ValueError as exc:
        # Correctly signed but not JSON (or not UTF-8): nothing to act on.
        raise InvalidWebhook(f"Unreadable body: {exc}") from exc
    event = _as_dict(event)
    if not event.get("id") or not event.get("type"):
        raise InvalidWebhook("Not a Stripe event")
    return event


def timestamp_to_datetime(value):
    return datetime.fromtimestamp(int(value), tz=UTC) if value else None
