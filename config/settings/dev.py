"""Development defaults: everything embedded (SQLite, emails in a folder), nothing to configure."""

import os

from .base import *  # noqa: F403
from .base import content_security_policy, env_bool, env_list

DEBUG = env_bool("DJANGO_DEBUG", True)
# A fixed key is acceptable here only: production.py refuses to start without SECRET_KEY.
SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-never-use-in-production")  # noqa: S105
ALLOWED_HOSTS = ["*"]

# Online payment against localstripe, the fake Stripe that `make run` starts on this machine
# (scripts/run-dev.sh), unless real Stripe test keys are given in the environment.
if not os.environ.get("STRIPE_SECRET_KEY"):
    STRIPE_SECRET_KEY = "sk_test_localstripe"  # noqa: S105
    STRIPE_PUBLISHABLE_KEY = "pk_test_localstripe"
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "whsec_localstripe")
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:8420")
    STRIPE_JS_URL = os.environ.get("STRIPE_JS_URL", f"{STRIPE_API_BASE}/js.stripe.com/v3/")
    CONTENT_SECURITY_POLICY = content_security_policy(STRIPE_JS_URL)

# A fixed development key for the family file; production.py requires its own.
FAMILY_FILE_ENCRYPTION_KEYS = env_list(
    "FAMILY_FILE_ENCRYPTION_KEYS", "ZGV2LW9ubHktZmFtaWx5LWZpbGUta2V5LTAwMDAwMDA="
)
# A fixed development key for the IBANs of the demo mandates; production sets its own.
IBAN_ENCRYPTION_KEYS = env_list("IBAN_ENCRYPTION_KEYS") or [
    "ZGV2LW9ubHktaWJhbi1rZXktbmV2ZXItaW4tcHJvZHU="
]
