"""Test settings: fast hasher, in-memory email, immediate tasks, no external service."""

from .base import *  # noqa: F403
from .base import BASE_DIR, content_security_policy

DEBUG = False
SECRET_KEY = "test-only-key"  # noqa: S105
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
PRIVATE_STORAGE_ROOT = BASE_DIR / "var" / "test-private"
STORAGES = {
    **STORAGES,  # noqa: F405
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_STORAGE_ROOT, "base_url": None},
    },
}
MEDIA_ROOT = BASE_DIR / "var" / "test-media"
SITE_URL = "http://testserver"
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "WARNING"}}  # noqa: F405
# Dummy Stripe keys; nothing listens on this port, so no test reaches Stripe by accident.
# Tests that need Stripe start localstripe and point these settings at it.
STRIPE_SECRET_KEY = "sk_test_dummy"  # noqa: S105
STRIPE_PUBLISHABLE_KEY = "pk_test_dummy"
STRIPE_WEBHOOK_SECRET = "whsec_test_dummy"  # noqa: S105
STRIPE_API_BASE = "http://127.0.0.1:9"
STRIPE_JS_URL = "http://127.0.0.1:9/js.stripe.com/v3/"
CONTENT_SECURITY_POLICY = content_security_policy(STRIPE_JS_URL)
FAMILY_FILE_ENCRYPTION_KEYS = ["dGVzdC1vbmx5LWZhbWlseS1maWxlLWtleS0wMDAwMDA="]
IBAN_ENCRYPTION_KEYS = ["dGVzdC1vbmx5LWliYW4ta2V5LW51bWJlci1vbmUtMDE="]
