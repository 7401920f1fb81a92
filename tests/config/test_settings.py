import os
import subprocess
import sys
from pathlib import Path

from django.urls import reverse

import pytest

ROOT = Path(__file__).resolve().parents[2]
# A valid Fernet key for the settings checks only.
FERNET_KEY = "cHJvZHVjdGlvbi1jaGVjay1rZXktMDAwMDAwMDAwMDA="


def run_manage(*args, **env):
    environment = {
        key: value
        for key, value in os.environ.items()
        # The browser tests set DJANGO_ALLOW_ASYNC_UNSAFE in this process; a deployment must not.
        if key
        not in {
            "SECRET_KEY",
            "DJANGO_ALLOWED_HOSTS",
            "DATABASE_URL",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            "FAMILY_FILE_ENCRYPTION_KEYS",
        }
    }
    environment.update(DJANGO_SETTINGS_MODULE="config.settings.production", **env)
    return subprocess.run(  # noqa: S603 - fixed arguments, our own manage.py
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_the_deployment_checklist():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY="x" * 20 + "production-secret-from-the-environment-" + "y" * 20,
        DJANGO_ALLOWED_HOSTS="portail.example.org",
        FAMILY_FILE_ENCRYPTION_KEYS=FERNET_KEY,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_the_family_file_key():
    result = run_manage(
        "check",
        SECRET_KEY="x" * 20 + "production-secret-from-the-environment-" + "y" * 20,
        DJANGO_ALLOWED_HOSTS="portail.example.org",
    )
    assert result.returncode != 0
    assert "FAMILY_FILE_ENCRYPTION_KEYS must be set" in result.stderr


def test_production_refuses_to_start_without_secret_key():
    result = run_manage("check", DJANGO_ALLOWED_HOSTS="portail.example.org")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.django_db
def test_public_and_family_pages_carry_a_strict_content_security_policy(client, guardian):
    public = client.get("/")
    assert public.status_code == 200
    policy = public["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    client.force_login(guardian.user)
    family_page = client.get(reverse("parents:home"))
    assert family_page["Content-Security-Policy"] == policy


@pytest.mark.django_db
def test_public_home_page_links_to_the_family_login(client):
    content = client.get("/").content.decode()
    assert f'href="{reverse("parents:login")}"' in content
    assert "Espace famille" in content


def site_urls(**env):
    """SITE_URL and the two Wagtail base URLs the development settings derive from `env`."""
    environment = {k: v for k, v in os.environ.items() if k not in {"SITE_URL", "PORT"}}
    environment.update(DJANGO_SETTINGS_MODULE="config.settings.dev", **env)
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.SITE_URL, s.WAGTAILADMIN_BASE_URL, s.WAGTAILAPI_BASE_URL)"
    )
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


def test_the_site_url_follows_the_development_servers_port():
    assert site_urls() == ["http://127.0.0.1:8000"] * 3
    assert site_urls(PORT="8001") == ["http://127.0.0.1:8001"] * 3
    assert (
        site_urls(PORT="8001", SITE_URL="https://portail.example.org/")
        == ["https://portail.example.org"] * 3
    )


@pytest.mark.django_db
def test_postgresql_connections_run_without_jit_compilation():
    """Compiling a query plan cost the admin lists of a large association up to a second
    (docs/performance.md): the site's connections turn PostgreSQL's JIT off."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone()[0] == "off"


def test_without_jit_leaves_other_databases_and_options_alone():
    from config.settings.base import without_jit

    sqlite = {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}
    assert without_jit(dict(sqlite)) == sqlite
    postgresql = {"ENGINE": "django.db.backends.postgresql", "OPTIONS": {"options": "-c a=b"}}
    assert without_jit(postgresql)["OPTIONS"]["options"] == "-c a=b -c jit=off"
