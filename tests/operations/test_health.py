import json

from django.urls import reverse

import pytest

pytestmark = pytest.mark.django_db


def test_alive_answers_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/sante/vivant/")
    assert response.status_code == 200
    assert json.loads(response.content) == {"status": "ok"}
    assert "no-store" in response["Cache-Control"]
    assert "Set-Cookie" not in response


def test_ready_checks_every_component(client, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "private"},
        },
    }
    response = client.get(reverse("operations:ready"))
    assert response.status_code == 200
    assert json.loads(response.content) == {
        "status": "ok",
        "checks": {"database": "ok", "storage": "ok", "cache": "ok", "tasks": "ok"},
    }
    assert "no-store" in response["Cache-Control"]
    # The probe file is gone.
    assert not any(p.is_file() for p in (tmp_path / "private").rglob("*"))


def test_ready_is_503_naming_the_failing_components(client, settings, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the storage expects a folder")
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": blocked / "private"},
        },
    }
    # A Redis nobody listens on.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
        }
    }
    response = client.get(reverse("operations:ready"))
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["status"] == "unavailable"
    assert body["checks"] == {
        "database": "ok",
        "storage": "failed",
        "cache": "failed",
        "tasks": "ok",
    }
    # Names only: no path, no address, no exception text.
    assert "not-a-folder" not in response.content.decode()
    assert "6379" not in response.content.decode() and "127.0.0.1" not in response.content.decode()


def test_ready_is_503_when_the_database_fails(client, monkeypatch):
    from operations import health

    def broken():
        raise OSError("connection refused")

    monkeypatch.setitem(health.CHECKS, "database", broken)
    response = client.get(reverse("operations:ready"))
    assert response.status_code == 503
    assert json.loads(response.content)["checks"]["database"] == "failed"


def test_only_get(client):
    assert client.post("/sante/vivant/").status_code == 405
