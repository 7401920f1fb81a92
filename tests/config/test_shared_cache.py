"""The shared cache and sessions on the real Redis (127.0.0.1:6379, database 9, own prefix)."""

import json
import os
import subprocess
import sys
import uuid

from django.contrib.sessions.models import Session
from django.core.cache import caches

import pytest
import redis

REDIS_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/9")

pytestmark = pytest.mark.django_db


def redis_answers():
    try:
        return redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError:
        return False


needs_redis = pytest.mark.skipif(not redis_answers(), reason=f"no Redis at {REDIS_URL}")


@pytest.fixture
def two_instances(settings):
    """Two cache clients of their own, as two app servers have: one per "instance"."""
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    backend = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": prefix,
    }
    settings.CACHES = {"default": backend, "first": backend, "second": dict(backend)}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    yield caches["first"], caches["second"]
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


def test_settings_choose_redis_and_cached_sessions_when_redis_url_is_set():
    script = (
        "import json; from django.conf import settings; import django; django.setup(); "
        "print(json.dumps([settings.CACHES['default']['BACKEND'], settings.SESSION_ENGINE]))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.dev", "REDIS_URL": REDIS_URL}
    output = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(output) == [
        "django.core.cache.backends.redis.RedisCache",
        "django.contrib.sessions.backends.cached_db",
    ]
    env.pop("REDIS_URL")
    output = subprocess.run(  # noqa: S603
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True
    ).stdout
    assert json.loads(output)[0] == "django.core.cache.backends.locmem.LocMemCache"


@needs_redis
def test_a_session_written_by_one_instance_is_read_by_the_other(two_instances, settings):
    from django.contrib.sessions.backends.cached_db import SessionStore

    first, second = two_instances
    settings.SESSION_CACHE_ALIAS = "first"
    session = SessionStore()
    session["_auth_user_id"] = "42"
    session.save()
    # The other instance finds it in the shared cache, without the database.
    Session.objects.all().delete()
    settings.SESSION_CACHE_ALIAS = "second"
    assert SessionStore(session.session_key).load() == {"_auth_user_id": "42"}
    assert second.get(SessionStore.cache_key_prefix + session.session_key) is not None


@needs_redis
def test_a_counter_incremented_on_one_instance_is_seen_by_the_other(two_instances):
    first, second = two_instances
    first.set("throttle:198.51.100.7", 0, 60)
    first.incr("throttle:198.51.100.7")
    second.incr("throttle:198.51.100.7")
    assert first.get("throttle:198.51.100.7") == 2
    second.delete("throttle:198.51.100.7")
    assert first.get("throttle:198.51.100.7") is None
