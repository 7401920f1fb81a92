"""Wider login limits: one IP across logins (spraying), one login across IPs."""

import re

from django.core import mail
from django.urls import reverse

import pytest

from tests.factories.parents import TEST_PASSWORD, GuardianFactory, UserFactory
from tests.parents.test_throttling import LOCKED, attempt, fail, is_logged_in

pytestmark = pytest.mark.django_db


def test_password_spraying_from_one_ip_is_locked(client, guardian, settings):
    assert settings.AXES_IP_FAILURE_LIMIT == 20
    # 3 guesses against each of many logins: the pair rule (5) never triggers.
    statuses = []
    for number in range(40):
        for _ in range(3):
            statuses.append(attempt(client, f"user{number}", "Password123!").status_code)
    assert statuses[:19] == [200] * 19
    assert set(statuses[20:]) == {429}
    # Even the right password of a real parent is refused from that address now...
    response = attempt(client, "parent.test", TEST_PASSWORD)
    assert response.status_code == 429
    assert LOCKED in response.content.decode()
    assert not is_logged_in(client)
    # ...but the parent logs in from their own address.
    assert attempt(client, "parent.test", TEST_PASSWORD, ip="10.9.9.9").status_code == 302


def test_guesses_against_one_login_from_many_ips_are_locked_and_the_owner_told(
    client, guardian, settings, django_capture_on_commit_callbacks
):
    assert settings.AXES_ACCOUNT_FAILURE_LIMIT == 10
    statuses = []
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(10):
            for _ in range(4):
                statuses.append(
                    attempt(client, "parent.test", "wrong", ip=f"10.1.0.{number}").status_code
                )
    assert statuses[:9] == [200] * 9
    assert set(statuses[10:]) == {429}
    # The lock holds from a fresh address, even with the right password.
    assert attempt(client, "parent.test", TEST_PASSWORD, ip="10.2.0.1").status_code == 429
    # One e-mail to the owner, in French, with a way back in.
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [guardian.email]
    assert "verrouillé" in message.subject
    assert "10 tentatives de connexion échouées" in message.body
    assert "http://testserver/espace-famille/mot-de-passe-oublie/" in message.body


def test_unknown_logins_get_the_same_answers(client, guardian, django_capture_on_commit_callbacks):
    def answers(username):
        return [
            attempt(client, username, "wrong", ip=f"10.3.{len(username)}.{number}").status_code
            for number in range(12)
        ]

    with django_capture_on_commit_callbacks(execute=True):
        assert answers("parent.test") == answers("nobody.here")
    # Only the real owner is e-mailed, and that is not visible to whoever guesses.
    assert len(mail.outbox) == 1


def test_a_new_password_lifts_the_account_lock(client, guardian):
    for number in range(10):
        attempt(client, "parent.test", "wrong", ip=f"10.4.0.{number}")
    assert attempt(client, "parent.test", TEST_PASSWORD).status_code == 429
    mail.outbox.clear()
    client.post(reverse("parents:password-reset"), {"email": guardian.email})
    link = re.search(r"http://testserver(\S+)", mail.outbox[0].body).group(1)
    form_url = client.get(link)["Location"]
    new_password = "ciel-orange-piano-29"
    client.post(form_url, {"new_password1": new_password, "new_password2": new_password})
    assert attempt(client, "parent.test", new_password).status_code == 302


def test_staff_owner_is_told_too(client, director, django_capture_on_commit_callbacks):
    director.email = "directeur@example.org"
    director.save()
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(10):
            fail(client, 1, username="directeur.test", ip=f"10.5.0.{number}", url="/admin/login/")
    assert [m.to for m in mail.outbox] == [["directeur@example.org"]]
    assert "Bonjour," in mail.outbox[0].body


def test_the_pair_rule_still_spares_the_parent_elsewhere(client, guardian):
    fail(client, 5, ip="10.6.0.1")
    assert attempt(client, "parent.test", TEST_PASSWORD, ip="10.6.0.2").status_code == 302


def test_a_shared_address_does_not_leak_between_two_logins(client, family):
    GuardianFactory(family=family, user=UserFactory(username="second.parent"))
    fail(client, 5, username="second.parent", ip="10.7.0.1")
    assert attempt(client, "second.parent", TEST_PASSWORD, ip="10.7.0.2").status_code == 302
