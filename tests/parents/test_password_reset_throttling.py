"""Forgotten-password forms: throttled per address and per IP; the admin one serves staff only."""

from django.core import mail
from django.urls import reverse

import pytest

from parents.models import RateLimitHit

pytestmark = pytest.mark.django_db

FAMILY_RESET = reverse("parents:password-reset")
ADMIN_RESET = "/admin/password_reset/"


def ask(client, email, url=FAMILY_RESET, ip="10.0.0.1"):
    return client.post(url, {"email": email}, REMOTE_ADDR=ip)


def test_one_address_gets_at_most_three_emails_an_hour(client, guardian, settings):
    assert settings.PASSWORD_RESET_EMAIL_LIMIT == 3
    responses = [ask(client, guardian.email, ip=f"10.0.1.{n}") for n in range(10)]
    # Every request gets the usual answer; only three e-mails leave.
    assert {r.status_code for r in responses} == {302}
    assert {r["Location"] for r in responses} == {reverse("parents:password-reset-done")}
    assert len(mail.outbox) == 3


def test_one_ip_is_refused_after_ten_requests(client, guardian, settings):
    assert settings.PASSWORD_RESET_IP_LIMIT == 10
    for number in range(10):
        assert ask(client, f"someone{number}@example.org").status_code == 302
    response = ask(client, guardian.email)
    assert response.status_code == 429
    assert "Trop de demandes depuis votre réseau" in response.content.decode()
    assert mail.outbox == []
    # Another network is not affected.
    assert ask(client, guardian.email, ip="10.0.2.1").status_code == 302
    assert len(mail.outbox) == 1


def test_the_window_frees_up(client, guardian, settings):
    from datetime import timedelta

    from django.utils import timezone

    for _ in range(3):
        ask(client, guardian.email)
    RateLimitHit.objects.update(created_at=timezone.now() - timedelta(hours=1, seconds=1))
    ask(client, guardian.email)
    assert len(mail.outbox) == 4


def test_addresses_are_not_stored_in_clear(client, guardian):
    ask(client, guardian.email)
    assert not RateLimitHit.objects.filter(key__icontains="example").exists()


def test_admin_reset_sends_nothing_to_a_parent(client, guardian):
    response = ask(client, guardian.email, url=ADMIN_RESET)
    assert response.status_code == 302
    assert mail.outbox == []


def test_admin_reset_serves_staff(client, director):
    response = ask(client, director.email, url=ADMIN_RESET)
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [director.email]
    assert "/admin/password_reset/confirm/" in mail.outbox[0].body


def test_admin_reset_is_throttled_too(client, director):
    for _ in range(5):
        ask(client, director.email, url=ADMIN_RESET)
    assert len(mail.outbox) == 3
    for number in range(5):
        ask(client, f"x{number}@example.org", url=ADMIN_RESET)
    response = ask(client, director.email, url=ADMIN_RESET)
    assert response.status_code == 429
