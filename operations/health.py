"""Health checks for the proxy, the service manager and monitoring: no private data in them.

`alive` answers as long as the process serves requests; `ready` also checks what a request
needs: the database, the file storage, the cache and the task queue.
"""

import logging
import uuid

from django.apps import apps
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection

logger = logging.getLogger(__name__)


def check_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_storage():
    """Write and delete a probe where invoices go (the folder or the bucket)."""
    storage = storages["private"]
    name = storage.save(f"health/probe-{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    storage.delete(name)


def check_cache():
    key = f"health:probe:{uuid.uuid4().hex}"
    cache.set(key, "ok", 10)
    if cache.get(key) != "ok":
        raise RuntimeError("the cache did not keep a value")
    cache.delete(key)


def check_task_queue():
    """The database queue the workers read, when the deployment uses one."""
    if apps.is_installed("django_tasks_db"):
        from django_tasks_db.models import DBTaskResult

        DBTaskResult.objects.exists()


CHECKS = {
    "database": check_database,
    "storage": check_storage,
    "cache": check_cache,
    "tasks": check_task_queue,
}


def failing_components():
    """Names of the components that did not answer; the reasons go to the log only."""
    failing = []
    for name, check in CHECKS.items():
        try:
            check()
        except Exception:  # noqa: BLE001 - any failure makes the instance not ready
            logger.warning("Health check failed: %s", name, exc_info=True)
            failing.append(name)
    return failing
