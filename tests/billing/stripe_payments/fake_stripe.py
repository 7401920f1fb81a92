"""A real localstripe (fake Stripe server) per test process, and webhook signing helpers.

Imported by this folder's conftest.py and by the browser test.

localstripe runs as a subprocess on a free port (one per pytest-xdist worker); each test that
asks for `localstripe` gets it emptied, the settings pointed at it, and its webhooks parked
on a closed port, so no event of one test reaches another.
"""

import hashlib
import hmac
import json
import socket
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

from django.urls import reverse

import pytest
import requests

from billing.models import Payment, PaymentMethod
from config.settings.base import content_security_policy
from tests.factories.billing import issued_invoice, line

LOCALSTRIPE = Path(sys.executable).with_name("localstripe")
WEBHOOK_ID = "tests"
# Nothing listens on the discard port: deliveries there fail at once, as to a server that is down.
CLOSED_URL = "http://127.0.0.1:9/paiement/stripe/webhook/"
# localstripe waits this long (1 s) before sending an event, plus a margin.
WEBHOOK_DELAY = 1.3
CARD_OK = "4242424242424242"
CARD_3DS = "4000002500003155"
CARD_DECLINED = "4000000000000341"


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def localstripe_server():
    port = free_port()
    process = subprocess.Popen(  # noqa: S603 - fixed arguments, the venv's own localstripe
        [str(LOCALSTRIPE), "--port", str(port), "--from-scratch"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            requests.get(f"{base}/js.stripe.com/v3/", timeout=1).raise_for_status()
            break
        except requests.RequestException:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"localstripe did not start on port {port}")
            time.sleep(0.1)
    yield base
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


class LocalStripe:
    """What a test does directly at the fake Stripe: what Stripe.js, the bank or a member of
    staff in the Stripe dashboard would do."""

    def __init__(self, base, publishable_key, webhook_secret):
        self.base = base
        self.publishable_key = publishable_key
        self.webhook_secret = webhook_secret

    def post(self, path, **data):
        response = requests.post(self.base + path, data=data, timeout=10)
        response.raise_for_status()
        return response.json() if response.content else None

    def get(self, path, **params):
        response = requests.get(
            self.base + path, params=params, auth=("sk_test_dummy", ""), timeout=10
        )
        response.raise_for_status()
        return response.json()

    def card(self, number):
        """What Stripe.js hands our page for the card typed in: here a token's card id."""
        token = self.post(
            "/v1/tokens",
            key=self.publishable_key,
            **{
                "card[number]": number,
                "card[exp_month]": "12",
                "card[exp_year]": "2034",
                "card[cvc]": "123",
            },
        )
        return token["card"]["id"]

    def authenticate(self, intent_id, *, success=True):
        """The parent's answer in the 3-D Secure window."""
        intent = self.get(f"/v1/payment_intents/{intent_id}")
        response = requests.post(
            f"{self.base}/v1/payment_intents/{intent_id}/_authenticate",
            params={"success": "true" if success else "false"},
            data={"key": self.publishable_key, "client_secret": intent["client_secret"]},
            timeout=10,
        )
        response.raise_for_status()
        return response.json()

    def refund(self, intent_id, cents=None):
        """A refund made in the Stripe dashboard."""
        data = {"payment_intent": intent_id}
        if cents is not None:
            data["amount"] = str(cents)
        response = requests.post(
            f"{self.base}/v1/refunds", data=data, auth=("sk_test_dummy", ""), timeout=10
        )
        response.raise_for_status()
        return response.json()

    def payment_intent(self, intent_id):
        return self.get(f"/v1/payment_intents/{intent_id}")

    def payment_intents(self):
        return self.get("/v1/payment_intents", limit=100)["data"]

    def events(self, type_):
        return self.get("/v1/events", type=type_, limit=100)["data"]

    def send_webhooks_to(self, url):
        if url != CLOSED_URL:
            # localstripe sends each event a second after it happens, to the URL registered
            # by then: let the previous test's last events leave for the closed port first.
            time.sleep(WEBHOOK_DELAY)
        self.post(f"/_config/webhooks/{WEBHOOK_ID}", url=url, secret=self.webhook_secret)


@pytest.fixture
def localstripe(localstripe_server, settings):
    """The fake Stripe, emptied, with the settings pointing at it."""
    requests.delete(f"{localstripe_server}/_config/data", timeout=10).raise_for_status()
    settings.STRIPE_API_BASE = localstripe_server
    settings.STRIPE_JS_URL = f"{localstripe_server}/js.stripe.com/v3/"
    settings.CONTENT_SECURITY_POLICY = content_security_policy(settings.STRIPE_JS_URL)
    fake = LocalStripe(
        localstripe_server, settings.STRIPE_PUBLISHABLE_KEY, settings.STRIPE_WEBHOOK_SECRET
    )
    fake.send_webhooks_to(CLOSED_URL)
    yield fake
    fake.send_webhooks_to(CLOSED_URL)


# --- Webhook deliveries, signed as Stripe signs them ----------------------------------------


def signature_header(payload, secret, timestamp=None):
    """Stripe-Signature: HMAC-SHA256 of "{timestamp}.{payload}" with the endpoint secret."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(
        secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256
    ).hexdigest()
    return f"t={timestamp},v1={digest}"


def event_payload(event_id, type_, obj, created=None):
    return json.dumps(
        {
            "id": event_id,
            "object": "event",
            "type": type_,
            "created": created or int(time.time()),
            "livemode": False,
            "api_version": "2025-01-27",
            "data": {"object": obj},
        }
    )


@pytest.fixture
def post_webhook(client, settings):
    """Post a payload to the webhook, signed with the endpoint secret unless told otherwise."""

    def post(payload, *, secret=None, timestamp=None, header=None):
        if header is None:
            header = signature_header(payload, secret or settings.STRIPE_WEBHOOK_SECRET, timestamp)
        extra = {"HTTP_STRIPE_SIGNATURE": header} if header else {}
        return client.post(
            reverse("stripe-webhook"), data=payload, content_type="application/json", **extra
        )

    return post


# --- Families with a balance ----------------------------------------------------------------


def owe(family, amount):
    """Give the family a balance due of `amount` (an issued invoice of one line)."""
    return issued_invoice(family, line(amount))


def card_payments(family):
    return Payment.objects.filter(family=family, method=PaymentMethod.CARD_ONLINE)


@pytest.fixture
def dupont(family, guardian):
    """The manual's family DUPONT, owing 36,07 €, with its guardian able to log in."""
    owe(family, Decimal("36.07"))
    return family
