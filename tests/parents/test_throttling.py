"""Login throttling (django-axes): locks a (login, IP) pair, never a login everywhere."""

import re
from datetime import timedelta

from django.core import mail
from django.urls import reverse
from django.utils import timezone

import pytest
from axes.models import AccessAttempt

from tests.factories.parents import TEST_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = reverse("parents:login")
ADMIN_LOGIN = "/admin/login/"
IP = "10.0.0.1"
OTHER_IP = "10.0.0.2"
LOCKED = "Trop de tentatives de connexion échouées pour cet identifiant."


def attempt(client, username, password, ip=IP, url=LOGIN):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)


def fail(client, times, username="parent.test", ip=IP, url=LOGIN):
    for _ in range(times):
        response = attempt(client, username, "wrong-password", ip=ip, url=url)
        assert response.status_code in (200, 429)


def is_logged_in(client):
    return "_auth_user_id" in client.session


def test_five_failures_lock_the_pair_even_with_the_right_password(client, guardian, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    fail(client, 4)
    # Four failures: the form still answers normally.
    response = attempt(client, "parent.test", "wrong-password")
    assert response.status_code == 429

    response = attempt(client, "parent.test", TEST_PASSWORD)
    assert response.status_code == 429
    content = response.content.decode()
    assert "<h1>Trop de tentatives</h1>" in content
    assert LOCKED in content
    assert not is_logged_in(client)


def test_the_fourth_failure_still_shows_the_form(client, guardian):
    fail(client, 3)
    response = attempt(client, "parent.test", "wrong-password")
    assert response.status_code == 200
    assert "Identifiant ou mot de passe incorrect." in response.content.decode()
    assert attempt(client, "parent.test", TEST_PASSWORD).status_code == 302


def test_a_lock_from_one_address_does_not_lock_the_parent_elsewhere(client, guardian):
    fail(client, 5)
    assert attempt(client, "parent.test", TEST_PASSWORD).status_code == 429
    response = attempt(client, "parent.test", TEST_PASSWORD, ip=OTHER_IP)
    assert response.status_code == 302
    assert is_logged_in(client)


def test_a_success_resets_the_counter(client, guardian):
    fail(client, 4)
    assert attempt(client, "parent.test", TEST_PASSWORD).status_code == 302
    client.post(reverse("parents:logout"))
    fail(client, 4)
    assert attempt(client, "parent.test", TEST_PASSWORD).status_code == 302


def test_other_spellings_of_the_login_share_one_counter(client, guardian):
    # The login is found case-insensitively and by address: each spelling must not get
    # five fresh attempts of its own.
    for username in ("PARENT.TEST", "Parent.Test", " parent.test", guardian.email.upper()):
        fail(client, 1, username=username)
    fail(client, 1)
    assert attempt(client, "parent.test", TEST_PASSWORD).status_code == 429
    assert attempt(client, guardian.email, TEST_PASSWORD).status_code == 429


def test_a_success_resets_failures_made_with_another_spelling(client, guardian):
    fail(client, 4, username=guardian.email)
    assert attempt(client, "parent.test", TEST_PASSWORD).status_code == 302
    client.post(reverse("parents:logout"))
    fail(client, 4, username=guardian.email)
    assert attempt(client, guardian.email, TEST_PASSWORD).status_code == 302


def test_the_lock_ends_after_the_cool_off(client, guardian, settings):
    fail(client, 5)
    assert attempt(client, "parent.test", TEST_PASSWORD).status_code == 429
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    )
    assert attempt(client, "parent.test", TEST_PASSWORD).status_code == 302
    assert is_logged_in(client)


def test_the_lock_is_not_lifted_before_the_cool_off(client, guardian, settings):
    fail(client, 5)
    AccessAttempt.objects.update(
        attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME + timedelta(minutes=1)
    )
    assert attempt(client, "parent.test", TEST_PASSWORD).status_code == 429


def test_a_new_password_from_forgotten_password_lifts_the_lock(client, guardian):
    fail(client, 5)
    client.post(reverse("parents:password-reset"), {"email": guardian.email})
    link = re.search(r"http://testserver(\S+)", mail.outbox[0].body).group(1)
    form_url = client.get(link)["Location"]
    new_password = "ciel-orange-piano-29"
    client.post(form_url, {"new_password1": new_password, "new_password2": new_password})
    assert attempt(client, "parent.test", new_password).status_code == 302


def test_the_admin_login_is_throttled_the_same_way(client, director):
    fail(client, 5, username="directeur.test", url=ADMIN_LOGIN)
    response = attempt(client, "directeur.test", TEST_PASSWORD, url=ADMIN_LOGIN)
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert not is_logged_in(client)

    response = attempt(client, "directeur.test", TEST_PASSWORD, ip=OTHER_IP, url=ADMIN_LOGIN)
    assert response.status_code == 302
    assert is_logged_in(client)
