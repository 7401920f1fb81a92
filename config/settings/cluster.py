"""The loopback cluster of `make cluster`: the production settings, plus localstripe.

Production refuses STRIPE_API_BASE (a stand-in Stripe has no place there); the cluster
check pays through localstripe on the loopback, so this module reads it aside, loads the
production settings, then puts it back. Never use this module for a real deployment.
"""

import os

_stripe_api_base = os.environ.pop("STRIPE_API_BASE", "")
_stripe_js_url = os.environ.pop("STRIPE_JS_URL", "")

from .production import *  # noqa: E402, F403
from .production import content_security_policy  # noqa: E402

STRIPE_API_BASE = _stripe_api_base
if _stripe_js_url:
    STRIPE_JS_URL = _stripe_js_url
    CONTENT_SECURITY_POLICY = content_security_policy(STRIPE_JS_URL)
