"""Stripe configuration: production accepts only Stripe itself; the CSP opens only Stripe."""

import os
import subprocess
import sys
from pathlib import Path

from django.urls import reverse

import pytest

from config.settings.base import content_security_policy

from .fake_stripe import owe

ROOT = Path(__file__).resolve().parents[3]
PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "x" * 20 + "production-secret-from-the-environment-" + "y" * 20,
    "DJANGO_ALLOWED_HOSTS": "portail.example.org",
    # A valid Fernet key: production also requires the family file's key.
    "FAMILY_FILE_ENCRYPTION_KEYS": "cHJvZHVjdGlvbi1jaGVjay1rZXktMDAwMDAwMDAwMDA=",
}
STRIPE_ENV = {
    "STRIPE_SECRET_KEY": "sk_live_example",
    "STRIPE_PUBLISHABLE_KEY": "pk_live_example",
    "STRIPE_WEBHOOK_SECRET": "whsec_example",
}


def production(*args, **env):
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("STRIPE_")
        and key not in {"DATABASE_URL", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environment.update(PRODUCTION_ENV, **env)
    return subprocess.run(  # noqa: S603 - fixed arguments, our own manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_with_stripe_passes_the_deployment_checklist():
    result = production("check", "--deploy", "--fail-level", "WARNING", **STRIPE_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {**STRIPE_ENV, "STRIPE_JS_URL": "https://cdn.example.org/stripe.js"},
            "STRIPE_JS_URL must be https://js.stripe.com/v3/ in production.",
        ),
        (
            {**STRIPE_ENV, "STRIPE_API_BASE": "http://127.0.0.1:8420"},
            "STRIPE_API_BASE is for development only",
        ),
        (
            {"STRIPE_SECRET_KEY": "sk_live_example"},
            "The environment variable STRIPE_PUBLISHABLE_KEY must be set in production.",
        ),
    ],
)
def test_production_refuses_anything_but_stripe_itself(env, message):
    result = production("check", **env)
    assert result.returncode != 0
    assert message in result.stderr


def test_the_policy_opens_stripe_origins_and_nothing_else():
    directives = content_security_policy("https://js.stripe.com/v3/")["DIRECTIVES"]
    assert directives["script-src"] == [
        "'self'",
        "https://js.stripe.com",
        "https://*.js.stripe.com",
    ]
    assert directives["frame-src"] == [
        "https://js.stripe.com",
        "https://*.js.stripe.com",
        "https://hooks.stripe.com",
    ]
    assert directives["connect-src"] == ["'self'", "https://api.stripe.com"]
    assert directives["style-src"] == ["'self'"]
    off = content_security_policy("")["DIRECTIVES"]
    assert (off["script-src"], off["frame-src"], off["connect-src"]) == (
        ["'self'"],
        ["'none'"],
        ["'self'"],
    )


@pytest.mark.django_db
def test_the_payment_page_loads_stripe_js_that_the_policy_allows(parent_client, family):
    owe(family, "36.07")
    response = parent_client.post(reverse("billing:payment"), follow=True)
    assert '<script src="http://127.0.0.1:9/js.stripe.com/v3/"></script>' in (
        response.content.decode()
    )
    policy = response["Content-Security-Policy"]
    assert "script-src 'self' http://127.0.0.1:9" in policy
    assert "connect-src 'self' http://127.0.0.1:9" in policy
    assert "style-src 'self'" in policy
