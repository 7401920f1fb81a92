"""Development defaults: everything embedded (SQLite, emails in a folder), nothing to configure."""

import os

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DJANGO_DEBUG", True)
# A fixed key is acceptable here only: production.py refuses to start without SECRET_KEY.
SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key-never-use-in-production")  # noqa: S105
ALLOWED_HOSTS = ["*"]
