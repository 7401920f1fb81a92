"""Production: every secret from the environment, HTTPS everywhere, PostgreSQL expected."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import env_bool, env_list


def require_env(name):
    value = os.environ.get(name)
    if not value:
        raise ImproperlyConfigured(f"The environment variable {name} must be set in production.")
    return value


DEBUG = False
# Persistent database connections unless DATABASE_CONN_MAX_AGE says otherwise.
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("DATABASE_CONN_MAX_AGE", "60"))  # noqa: F405
SECRET_KEY = require_env("SECRET_KEY")
# As `check --deploy` advises: a short key can be brute-forced from any signed value
# (session cookies, password-reset links), so production refuses to start with one.
if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
    raise ImproperlyConfigured(
        "SECRET_KEY must be at least 50 characters long with at least 5 distinct characters."
    )
# Health data is encrypted with these keys: no fallback, a lost key is lost data.
require_env("FAMILY_FILE_ENCRYPTION_KEYS")
FAMILY_FILE_ENCRYPTION_KEYS = env_list("FAMILY_FILE_ENCRYPTION_KEYS")
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured(
        "DJANGO_ALLOWED_HOSTS must list the site's host names in production."
    )

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("DJANGO_SECURE_SSL_REDIRECT", True)
# Health checks come from the proxy or the service manager over plain HTTP on the host.
SECURE_REDIRECT_EXEMPT = [r"^sante/"]
SECURE_HSTS_SECONDS = int(os.environ.get("DJANGO_SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
SECURE_HSTS_PRELOAD = env_bool("DJANGO_SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Cookies only over HTTPS. DJANGO_SECURE_COOKIES=false exists for measuring the site over plain
# HTTP on the loopback (bench/http.py); the "__Host-" prefix requires the Secure flag.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("DJANGO_SECURE_COOKIES", True)
if SESSION_COOKIE_SECURE:
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
# The display-language cookie follows the session cookie: HTTPS only, never sent cross-site.
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")

# Background tasks (the yearly certificates, Wagtail's own) wait in a database queue that
# `manage.py db_worker` runs; certificate PDFs are rendered by that many processes.
INSTALLED_APPS = [*INSTALLED_APPS, "django_tasks_db"]  # noqa: F405
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
CERTIFICATE_PDF_WORKERS = int(os.environ.get("CERTIFICATE_PDF_WORKERS", os.cpu_count() or 1))
# Processes rendering the PDFs of a month's invoices issued by `invoice_bookings --issue` and
# of `store_missing_invoice_pdfs` (the admin's "Invoice the month" renders in its own process).
INVOICE_PDF_WORKERS = int(os.environ.get("INVOICE_PDF_WORKERS", os.cpu_count() or 1))

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# Online payment: all three keys or none (then online payment is off), and only Stripe's own
# API and Stripe.js, which the Content-Security-Policy allows.
stripe_keys = ("STRIPE_SECRET_KEY", "STRIPE_PUBLISHABLE_KEY", "STRIPE_WEBHOOK_SECRET")
if any(os.environ.get(name) for name in stripe_keys):
    STRIPE_SECRET_KEY, STRIPE_PUBLISHABLE_KEY, STRIPE_WEBHOOK_SECRET = map(require_env, stripe_keys)
if STRIPE_API_BASE:  # noqa: F405
    raise ImproperlyConfigured("STRIPE_API_BASE is for development only: unset it in production.")
if STRIPE_JS_URL != "https://js.stripe.com/v3/":  # noqa: F405
    raise ImproperlyConfigured("STRIPE_JS_URL must be https://js.stripe.com/v3/ in production.")

# One JSON object per line on stdout, with the request id (core/logging.py): the service
# manager's journal or the container runtime collects it.
LOGGING["handlers"]["console"].update(formatter="json", stream="ext://sys.stdout")  # noqa: F405

# Error reports to Sentry (or a compatible service) when SENTRY_DSN is set; never the
# personal data of a request (cookies, user, IP), which families did not agree to send.
SENTRY_DSN = os.environ.get("SENTRY_DSN", "")
if SENTRY_DSN:
    import sentry_sdk
    from sentry_sdk.integrations.django import DjangoIntegration

    from core.logging import add_request_id_to_event

    sentry_sdk.init(
        dsn=SENTRY_DSN,
        integrations=[DjangoIntegration()],
        send_default_pii=False,
        environment=os.environ.get("SENTRY_ENVIRONMENT", "production"),
        traces_sample_rate=float(os.environ.get("SENTRY_TRACES_SAMPLE_RATE", "0")),
        before_send=add_request_id_to_event,
    )
