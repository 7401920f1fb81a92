"""Settings shared by every environment. Anything deployment-specific comes from the environment."""

import os
from datetime import timedelta
from pathlib import Path

from django.utils.translation import gettext_lazy as _

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("DJANGO_CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "core",
    "parents",
    "home",
    "forms_library",
    "billing",
    "reservations",
    "family_file",
    "operations",
    "demo",
    "wagtail.api.v2",
    "wagtail.contrib.forms",
    "wagtail.contrib.frontend_cache",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "rest_framework",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "axes",
    "csp",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Form widgets' templates through TEMPLATES (FORM_RENDERER), so templates/ may override one.
    "django.forms",
]

MIDDLEWARE = [
    # First, so every log line of the request carries its id.
    "core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Before anything reads the request: a NUL byte would only end in a database error.
    "parents.middleware.RejectNulBytesMiddleware",
    # Outside the session and CSRF middleware: it must see every cookie the response sets.
    "home.middleware.PublicCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Before the timeout middleware, which tells the user why they were logged out.
    "django.contrib.messages.middleware.MessageMiddleware",
    "parents.middleware.SessionTimeoutMiddleware",
    "parents.middleware.StaffOTPRequiredMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Axes last, as its documentation asks, so it sees the final response of a login attempt.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

# Widgets render with the project's template settings: templates/wagtailadmin/widgets/ adjusts
# Wagtail's date fields.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "wagtail.contrib.settings.context_processors.settings",
                "csp.context_processors.nonce",
            ],
        },
    },
]

# SQLite in the project folder unless DATABASE_URL says otherwise (PostgreSQL in production).
# Connections are kept DATABASE_CONN_MAX_AGE seconds (production defaults to 60: opening one
# per request cost the account page 40 % of its throughput); health checks make a connection
# the server dropped meanwhile reopen instead of failing the request.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    )
}


def without_jit(database):
    """PostgreSQL without its JIT compiler: a list of 100,000 families is estimated costly
    enough to be compiled, and compiling took 0.5 to 1.2 s where running took 0.1 s
    (docs/performance.md). The site runs short queries only."""
    if database["ENGINE"] == "django.db.backends.postgresql":
        options = database.setdefault("OPTIONS", {})
        options["options"] = f"{options.get('options', '')} -c jit=off".strip()
    return database


without_jit(DATABASES["default"])

# One cache for what repeats across requests and workers: permission sets, sessions, public
# pages. Redis when REDIS_URL is set (shared by every worker, so invalidation reaches them
# all at once); otherwise each process keeps its own in memory.
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "portail")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "TIMEOUT": 60 * 60,
        }
    }
    # Sessions read from the cache, written through to the database (which outlives it).
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "TIMEOUT": 60 * 60,
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }
# Whether the cache is shared by every process: only then may it hold what another process
# must see invalidated at once (permission sets).
CACHE_IS_SHARED = bool(REDIS_URL)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "parents.User"
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses locked-out credentials before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "parents.backends.UsernameOrEmailBackend",
]
LOGIN_URL = "parents:login"
LOGIN_REDIRECT_URL = "parents:home"
LOGOUT_REDIRECT_URL = "parents:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
# NIST SP 800-63B / ANSSI: length and a block-list, no composition rules, long passphrases welcome.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "parents.validators.MaximumLengthValidator", "OPTIONS": {"max_length": 256}},
]
# Lifetime of the links sent by email, in seconds.
PASSWORD_RESET_TIMEOUT = int(os.environ.get("PASSWORD_RESET_TIMEOUT", str(60 * 60)))
INVITATION_TIMEOUT = int(os.environ.get("INVITATION_TIMEOUT", str(7 * 24 * 60 * 60)))
# "Forgotten password" e-mails allowed per address and per client IP within the window
# (seconds), on the family and the admin pages alike (parents.views.ThrottledPasswordResetMixin).
PASSWORD_RESET_EMAIL_LIMIT = int(os.environ.get("PASSWORD_RESET_EMAIL_LIMIT", "3"))
PASSWORD_RESET_IP_LIMIT = int(os.environ.get("PASSWORD_RESET_IP_LIMIT", "10"))
PASSWORD_RESET_THROTTLE_WINDOW = 60 * 60
# Wagtail's own /admin/password_reset/ sends links to staff logins only.
WAGTAILADMIN_USER_PASSWORD_RESET_FORM = "parents.forms.StaffPasswordResetForm"  # noqa: S105

# Sessions: an absolute limit from login, and idle limits that differ for staff and parents.
SESSION_COOKIE_AGE = 12 * 60 * 60
SESSION_ABSOLUTE_TIMEOUT = SESSION_COOKIE_AGE
SESSION_IDLE_TIMEOUT_STAFF = int(os.environ.get("SESSION_IDLE_TIMEOUT_STAFF", str(30 * 60)))
SESSION_IDLE_TIMEOUT_PARENTS = int(os.environ.get("SESSION_IDLE_TIMEOUT_PARENTS", str(2 * 60 * 60)))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True

# Login throttling (django-axes): the lock is on the pair (username, IP), so a stranger
# guessing a few times from elsewhere cannot lock a parent out of their own account; wider
# limits per IP (password spraying) and per login (guesses from many addresses) stop what
# the pair rule lets through (parents/throttling.py).
AXES_HANDLER = "parents.throttling.LoginThrottleHandler"
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_IP_FAILURE_LIMIT = int(os.environ.get("AXES_IP_FAILURE_LIMIT", "20"))
AXES_ACCOUNT_FAILURE_LIMIT = int(os.environ.get("AXES_ACCOUNT_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "parents.views.lockout"
AXES_USERNAME_FORM_FIELD = "username"
AXES_USERNAME_CALLABLE = "parents.views.axes_username"  # one counter per login, any spelling
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("AXES_IPWARE_PROXY_COUNT", "0"))
AXES_VERBOSE = False

# Second factor for staff (django-otp).
OTP_TOTP_ISSUER = os.environ.get("OTP_TOTP_ISSUER", "Portail Familles")
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("French")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
USE_THOUSAND_SEPARATOR = False
# Our own input formats for English (config/formats/en): dates typed day first.
FORMAT_MODULE_PATH = ["config.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Files only a family may read (invoices, certificates): never under MEDIA_URL.
PRIVATE_STORAGE_ROOT = Path(os.environ.get("PRIVATE_STORAGE_ROOT", BASE_DIR / "private"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_STORAGE_ROOT, "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def s3_storage_options(location):
    """django-storages options for one prefix of the bucket: private objects (no public ACL),
    read only through the application, never overwritten (a second upload gets a new name)."""
    return {
        "bucket_name": S3_BUCKET,
        "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
        "access_key": os.environ.get("S3_ACCESS_KEY_ID", ""),
        "secret_key": os.environ.get("S3_SECRET_ACCESS_KEY", ""),
        "region_name": os.environ.get("S3_REGION") or None,
        "addressing_style": os.environ.get("S3_ADDRESSING_STYLE") or None,
        "signature_version": "s3v4",
        "location": location,
        "default_acl": "private",
        "querystring_auth": True,
        "querystring_expire": PRIVATE_FILES_URL_SECONDS,
        "file_overwrite": False,
    }


# Object storage (S3-compatible) when S3_BUCKET is set: private files (invoices, credit notes,
# certificates, mandates, family documents) under private/, Wagtail documents and images under
# media/. Local folders otherwise, so `make run` needs no server.
S3_BUCKET = os.environ.get("S3_BUCKET", "")
# How a private file reaches the family or staff member after the permission check: "stream"
# (the application reads it and sends it) or "redirect" (to a pre-signed URL valid
# PRIVATE_FILES_URL_SECONDS seconds, with Cache-Control: no-store). docs/operations.md compares.
PRIVATE_FILES_DELIVERY = os.environ.get("PRIVATE_FILES_DELIVERY", "stream")
PRIVATE_FILES_URL_SECONDS = int(os.environ.get("PRIVATE_FILES_URL_SECONDS", "10"))
if S3_BUCKET:
    STORAGES = {
        **STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": s3_storage_options("media"),
        },
        "private": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": s3_storage_options("private"),
        },
    }

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = Path(os.environ.get("EMAIL_FILE_PATH", BASE_DIR / "var" / "emails"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Portail Familles <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Absolute address of the site: links in e-mails and PDFs, the admin's and the content
# API's absolute URLs, the demo's Wagtail Site. Without SITE_URL, the development server's
# own address (`PORT=8001 make run` links to port 8001).
SITE_URL = (
    os.environ.get("SITE_URL") or f"http://127.0.0.1:{os.environ.get('PORT') or '8000'}"
).rstrip("/")

# Online card payment (Stripe). Without the three keys, online payment is simply off.
# SEPA direct debit: Fernet keys (comma-separated, newest first) encrypting the IBANs of the
# mandates at rest. Empty: families cannot sign mandates (see docs/direct-debit.md).
IBAN_ENCRYPTION_KEYS = env_list("IBAN_ENCRYPTION_KEYS")

STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "")
STRIPE_PUBLISHABLE_KEY = os.environ.get("STRIPE_PUBLISHABLE_KEY", "")
STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "")
# Development only: another Stripe API server (localstripe) and the Stripe.js it serves.
STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "")
STRIPE_JS_URL = os.environ.get("STRIPE_JS_URL", "https://js.stripe.com/v3/")


def content_security_policy(stripe_js_url=""):
    """Content-Security-Policy on public and family pages; the Wagtail admin ships inline
    scripts of its own and is protected by the second factor instead.

    With online payment on, Stripe.js is the only third party: its script, the frames of its
    card field and 3-D Secure, and its API; or, in development, the origin that serves the
    stand-in Stripe.js (localstripe), which its script calls back.
    """
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-src": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
    if stripe_js_url:
        if stripe_js_url.startswith("https://js.stripe.com/"):
            # As Stripe's integration security guide lists them (no address autocomplete).
            script = ["https://js.stripe.com", "https://*.js.stripe.com"]
            frame = ["https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com"]
            connect = ["https://api.stripe.com"]
        else:
            scheme, _sep, rest = stripe_js_url.partition("://")
            origin = f"{scheme}://{rest.split('/', 1)[0]}"
            script = frame = connect = [origin]
        directives["script-src"] = ["'self'", *script]
        directives["frame-src"] = frame
        directives["connect-src"] = ["'self'", *connect]
    return {"EXCLUDE_URL_PREFIXES": ["/admin/"], "DIRECTIVES": directives}


CONTENT_SECURITY_POLICY = content_security_policy(STRIPE_JS_URL if STRIPE_PUBLISHABLE_KEY else "")

WAGTAIL_SITE_NAME = "Portail Familles"
WAGTAILADMIN_BASE_URL = SITE_URL
WAGTAIL_I18N_ENABLED = False
WAGTAIL_ENABLE_UPDATE_CHECK = False
# Admin date fields show and accept dates the French way; the server reads dd/mm/yyyy (and
# d/m/yyyy, and ISO) in both languages. Their picker no longer rewrites what it cannot read
# (templates/wagtailadmin/widgets/): a wrong date is a form error, not today's date.
WAGTAIL_DATE_FORMAT = "%d/%m/%Y"
WAGTAIL_DATETIME_FORMAT = "%d/%m/%Y %H:%M"
# No avatar from gravatar.com: the admin would tell a third party which staff e-mail
# addresses log in, and when. Wagtail shows its default avatar (or an uploaded one) instead.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAILADMIN_PERMITTED_LANGUAGES = [("fr", "Français"), ("en", "English")]
WAGTAILDOCS_SERVE_METHOD = "serve_view"
# Documents published for families (forms_library.validators also checks their content).
WAGTAILDOCS_EXTENSIONS = ["pdf", "docx", "odt", "xlsx", "ods", "jpg", "jpeg", "png"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = int(os.environ.get("DOCUMENT_MAX_UPLOAD_MB", "10")) * 1024 * 1024
WAGTAILDOCS_DOCUMENT_FORM_BASE = "forms_library.forms.DocumentForm"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
# The public content API v2 (home/api.py): rich text rendered as HTML, absolute URLs.
WAGTAILAPI_BASE_URL = SITE_URL
WAGTAILAPI_RICH_TEXT_FORMAT = "html"
WAGTAILAPI_LIMIT_MAX = 50
# Seconds shared caches may keep public pages, public documents and API responses.
PUBLIC_CACHE_MAX_AGE = int(os.environ.get("PUBLIC_CACHE_MAX_AGE", "300"))
# Seconds a family page is kept in the shared cache at most (core.page_cache: it is dropped
# as soon as data it shows changes; the limit covers writes made outside the site). 0: off.
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "600"))
# Front-end cache purged on publishing (wagtail.contrib.frontend_cache), when there is one:
# a proxy accepting PURGE requests (Varnish, nginx), and/or Cloudflare.
WAGTAILFRONTENDCACHE = {}
if os.environ.get("FRONTEND_CACHE_PURGE_URL"):
    WAGTAILFRONTENDCACHE["proxy"] = {
        "BACKEND": "wagtail.contrib.frontend_cache.backends.HTTPBackend",
        "LOCATION": os.environ["FRONTEND_CACHE_PURGE_URL"],
    }
if os.environ.get("CLOUDFLARE_ZONE_ID"):
    WAGTAILFRONTENDCACHE["cloudflare"] = {
        "BACKEND": "wagtail.contrib.frontend_cache.backends.CloudflareBackend",
        "BEARER_TOKEN": os.environ.get("CLOUDFLARE_API_TOKEN", ""),
        "ZONEID": os.environ["CLOUDFLARE_ZONE_ID"],
    }
# Wagtail 8's token-authenticated API v3 (wagtail.api.v3) is deliberately neither installed nor
# routed: only the read-only public API v2 is exposed.

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "simple": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "core.logging.JsonFormatter"},
    },
    "filters": {"request_id": {"()": "core.logging.RequestIdFilter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "simple",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "ERROR"},
    },
}

# --- Family file ("Dossier famille") -----------------------------------------------------------
# Fernet keys (comma-separated, newest first) that encrypt health fields and uploaded family
# documents at rest. The first key encrypts; every key decrypts, so a key is rotated by
# putting a new one first, running `manage.py rotate_family_file_key`, then removing the old.
# Empty here on purpose: dev.py and test.py set a fixed key, production.py requires one.
FAMILY_FILE_ENCRYPTION_KEYS = env_list("FAMILY_FILE_ENCRYPTION_KEYS")
# Retention (docs/family-file.md): health data lives for the current season only (a season
# starts on 1 September by default); registration data is kept this many years after the
# family's last attendance; accounting records (invoices, credit notes, payments,
# certificates) are never purged before this many years.
SEASON_START_MONTH = int(os.environ.get("SEASON_START_MONTH", "9"))
REGISTRATION_RETENTION_YEARS = int(os.environ.get("REGISTRATION_RETENTION_YEARS", "3"))
ACCOUNTING_RETENTION_YEARS = int(os.environ.get("ACCOUNTING_RETENTION_YEARS", "10"))

# --- Routine commands (`manage.py run_scheduler`, docs/operations.md) ---------------------------
# How often each runs: "5m", "1h" (periods counted from midnight UTC), "1d" or "monthly" at a
# local time ("at"). Each slot runs once however many schedulers run. The yearly certificates
# (generate_attestations) stay a decision of the staff, in April: not scheduled.
ROUTINE_TASKS = {
    "expire_booking_offers": {"every": "5m"},
    "send_booking_reminders": {"every": "1h"},
    "stripe_reconcile": {"every": "1h"},
    "prepare_direct_debits": {"every": "1d", "at": "06:00"},
    "send_payment_reminders": {"every": "1d", "at": "08:00"},
    # Draft invoices of the month just ended; the director reviews and issues them.
    "invoice_bookings": {"every": "monthly", "at": "03:00", "args": ["{previous_month}"]},
    "purge_expired_data": {"every": "1d", "at": "02:00"},
    "clearsessions": {"every": "1d", "at": "02:30"},
}
