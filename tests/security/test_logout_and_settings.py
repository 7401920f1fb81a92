"""Logout ends the session on the server; production cookies and keys are hardened."""

from importlib import import_module

from django.conf import settings as django_settings
from django.urls import reverse

import pytest

from tests.config.test_settings import FERNET_KEY, run_manage

pytestmark = pytest.mark.django_db

GOOD_KEY = "x" * 20 + "production-secret-from-the-environment-" + "y" * 20


def session_exists(key):
    store = import_module(django_settings.SESSION_ENGINE).SessionStore
    return store().exists(key)


def test_get_admin_logout_changes_nothing(director, verified_client):
    client = verified_client(director)
    key = client.session.session_key
    response = client.get("/admin/logout/")
    assert response.status_code == 405
    # Neither the cookie nor the session is touched: a link or an image cannot log out.
    cookie = response.cookies.get(django_settings.SESSION_COOKIE_NAME)
    assert cookie is None or cookie.value == key
    assert session_exists(key)
    assert client.get(reverse("wagtailadmin_home")).status_code == 200


def test_post_admin_logout_ends_the_session_on_the_server(director, verified_client):
    client = verified_client(director)
    key = client.session.session_key
    response = client.post("/admin/logout/")
    assert response.status_code == 302
    assert not session_exists(key)
    # Replaying the old cookie gets the login page, not the admin.
    client.cookies[django_settings.SESSION_COOKIE_NAME] = key
    assert client.get(reverse("wagtailadmin_home")).status_code == 302


def test_family_logout_is_post_only_and_ends_the_session(parent_client):
    key = parent_client.session.session_key
    assert parent_client.get(reverse("parents:logout")).status_code == 405
    assert session_exists(key)
    parent_client.post(reverse("parents:logout"))
    assert not session_exists(key)


def test_production_refuses_a_short_secret_key():
    result = run_manage("check", SECRET_KEY="short-key", DJANGO_ALLOWED_HOSTS="portail.example.org")
    assert result.returncode != 0
    assert "at least 50 characters" in result.stderr


def test_production_language_cookie_is_secure_and_same_site():
    result = run_manage(
        "shell",
        "-c",
        "from django.conf import settings as s; "
        "print(s.LANGUAGE_COOKIE_SECURE, s.LANGUAGE_COOKIE_SAMESITE, s.LANGUAGE_COOKIE_HTTPONLY)",
        SECRET_KEY=GOOD_KEY,
        DJANGO_ALLOWED_HOSTS="portail.example.org",
        FAMILY_FILE_ENCRYPTION_KEYS=FERNET_KEY,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["True", "Lax", "True"]


def test_admin_loads_no_avatar_from_gravatar(director, verified_client):
    client = verified_client(director)
    director.email = "directeur@example.org"
    director.save()
    content = client.get(reverse("wagtailadmin_home")).content.decode()
    assert "gravatar.com" not in content
