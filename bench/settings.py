"""Benchmark settings: the test settings (fast hasher, no email) on a real database file or
server given by BENCH_DATABASE_URL, with PDFs stored in a folder of their own.
"""

import os
from pathlib import Path

import dj_database_url

from config.settings.base import without_jit
from config.settings.test import *  # noqa: F403
from config.settings.test import BASE_DIR, STORAGES

DATABASES = {"default": without_jit(dj_database_url.parse(os.environ["BENCH_DATABASE_URL"]))}
# Each benchmark may give its own folder, so that one cleaning up never removes another's files.
PRIVATE_STORAGE_ROOT = Path(
    os.environ.get("BENCH_PRIVATE_ROOT", BASE_DIR / "var" / "bench-private")
)
STORAGES = {
    **STORAGES,
    "private": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": PRIVATE_STORAGE_ROOT, "base_url": None},
    },
}
