"""Session limits: idle time (shorter for staff), 12 hours from login, and no caching."""

import time

from django.urls import reverse

import pytest

from tests.factories.parents import TEST_PASSWORD

pytestmark = pytest.mark.django_db

HOME = reverse("parents:home")
LOGIN = reverse("parents:login")
EXPIRED = "Votre session a expiré. Veuillez vous reconnecter."


def age_session(client, **seconds_ago):
    """Move the session's clocks back, as if that much time had passed."""
    session = client.session
    now = int(time.time())
    for key, seconds in seconds_ago.items():
        session[key] = now - seconds
    session.save()


def test_logging_in_records_the_login_time(client, guardian):
    before = int(time.time())
    client.post(LOGIN, {"username": "parent.test", "password": TEST_PASSWORD})
    assert before <= client.session["login_at"] <= int(time.time())


def test_a_parent_active_within_the_idle_limit_stays_logged_in(parent_client, settings):
    age_session(parent_client, last_activity=settings.SESSION_IDLE_TIMEOUT_PARENTS - 60)
    assert parent_client.get(HOME).status_code == 200


def test_a_parent_idle_too_long_is_sent_back_to_login(parent_client, settings):
    age_session(parent_client, last_activity=settings.SESSION_IDLE_TIMEOUT_PARENTS + 1)
    response = parent_client.get(HOME)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={HOME}"
    assert EXPIRED in parent_client.get(response["Location"]).content.decode()
    assert "_auth_user_id" not in parent_client.session


def test_parents_are_not_held_to_the_staff_idle_limit(parent_client, settings):
    assert settings.SESSION_IDLE_TIMEOUT_STAFF == 30 * 60
    assert settings.SESSION_IDLE_TIMEOUT_PARENTS > settings.SESSION_IDLE_TIMEOUT_STAFF
    age_session(parent_client, last_activity=settings.SESSION_IDLE_TIMEOUT_STAFF + 60)
    assert parent_client.get(HOME).status_code == 200


def test_activity_pushes_the_idle_limit_back(parent_client, settings):
    age_session(parent_client, last_activity=settings.SESSION_IDLE_TIMEOUT_PARENTS - 60)
    parent_client.get(HOME)
    assert parent_client.session["last_activity"] >= int(time.time()) - 5


def test_no_session_outlives_twelve_hours_from_login_even_when_active(parent_client, settings):
    assert settings.SESSION_ABSOLUTE_TIMEOUT == 12 * 60 * 60
    age_session(parent_client, login_at=12 * 60 * 60 - 60, last_activity=5)
    assert parent_client.get(HOME).status_code == 200
    age_session(parent_client, login_at=12 * 60 * 60 + 1, last_activity=5)
    response = parent_client.get(HOME)
    assert response["Location"] == f"{LOGIN}?next={HOME}"


def test_staff_idle_for_thirty_minutes_leave_the_admin(client, director, verified_client):
    staff = verified_client(director)
    age_session(staff, last_activity=29 * 60)
    assert staff.get("/admin/").status_code == 200
    age_session(staff, last_activity=30 * 60 + 1)
    response = staff.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert "_auth_user_id" not in staff.session


@pytest.mark.parametrize(
    "url_name", ["parents:home", "parents:user-space", "reservations:bookings"]
)
def test_private_pages_are_never_cached(parent_client, url_name):
    response = parent_client.get(reverse(url_name))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("url_name", ["parents:login", "parents:password-reset"])
def test_login_and_reset_forms_are_never_cached(client, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def session_writes(client, url):
    """The UPDATEs of the session row one request makes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "session" in q["sql"]]


def test_pages_seen_within_a_minute_do_not_write_the_session(parent_client):
    parent_client.get(HOME)  # records the first activity
    before = parent_client.session["last_activity"]
    assert session_writes(parent_client, HOME) == []
    assert parent_client.session["last_activity"] == before


def test_activity_is_recorded_again_once_a_minute_has_passed(parent_client):
    age_session(parent_client, last_activity=61)
    assert len(session_writes(parent_client, HOME)) == 1
    assert parent_client.session["last_activity"] >= int(time.time()) - 5


def test_a_session_never_outlives_its_idle_limit_for_lack_of_writes(parent_client, settings):
    """Activity is written at most once a minute, so the limit errs early, never late."""
    age_session(parent_client, last_activity=settings.SESSION_IDLE_TIMEOUT_PARENTS + 1)
    assert parent_client.get(HOME).status_code == 302
