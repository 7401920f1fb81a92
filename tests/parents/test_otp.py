import base64
import re
import time
from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils.http import urlencode

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from parents.otp_views import BLOCKED_UNTIL_SESSION_KEY
from tests.factories.parents import TEST_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ADMIN = "/admin/"
INVALID = "Ce code n’est pas valide."
THROTTLED = "Trop de tentatives en peu de temps."
BLOCKED = "Trop de codes erronés d’affilée."


def totp_code(device, steps_ahead=0):
    """The code the user's app shows now (or `steps_ahead` periods later)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():0{device.digits}d}"


def wrong_code(device):
    accepted = {totp_code(device, steps) for steps in (-1, 0, 1)}
    return next(f"{n:06d}" for n in range(1_000_000) if f"{n:06d}" not in accepted)


def with_next(url_name, next_url):
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


def unthrottle(device):
    """Let the throttling window pass, as if the user had waited."""
    device.refresh_from_db()
    device.throttling_failure_timestamp -= timedelta(hours=1)
    device.save()


@pytest.fixture
def totp_device(director):
    return TOTPDevice.objects.create(user=director, name="Téléphone", confirmed=True)


@pytest.fixture
def backup_device(director):
    device = StaticDevice.objects.create(user=director, name="Codes de secours", confirmed=True)
    device.token_set.create(token="brax0001")
    device.token_set.create(token="brax0002")
    return device


@pytest.fixture
def director_client(client, director):
    client.force_login(director)
    return client


def is_verified(client):
    return DEVICE_ID_SESSION_KEY in client.session


# 1. The middleware sends unverified staff to the second factor.


def test_director_without_device_is_sent_to_enrolment(director_client):
    response = director_client.get(ADMIN)
    assert response.status_code == 302
    assert response["Location"] == with_next("otp:setup", ADMIN)


def test_director_with_device_is_sent_to_verification_keeping_the_page_asked(
    director_client, totp_device
):
    response = director_client.get("/admin/pages/?p=2")
    assert response.status_code == 302
    assert response["Location"] == with_next("otp:verify", "/admin/pages/?p=2")


def test_superuser_without_device_is_forced_to_enrol(client):
    admin = UserFactory(username="admin.test", is_superuser=True, is_staff=True)
    client.force_login(admin)
    response = client.get(ADMIN)
    assert response["Location"] == with_next("otp:setup", ADMIN)
    assert client.get(reverse("otp:setup")).status_code == 200


def test_verified_client_fixture_opens_the_admin(verified_client, director):
    client = verified_client(director)
    response = client.get(ADMIN)
    assert response.status_code == 200
    assert "Tableau de bord" in response.content.decode()


# 2. Enrolment.


def test_enrolment_end_to_end(director_client, director):
    response = director_client.get(with_next("otp:setup", "/admin/pages/"))
    assert response.status_code == 200
    content = response.content.decode()
    device = TOTPDevice.objects.get(user=director)
    assert not device.confirmed
    assert "<svg" in content and 'role="img"' in content
    key = base64.b32encode(device.bin_key).decode()
    assert " ".join(re.findall("....", key)) in content
    assert 'autocomplete="one-time-code"' in content and 'inputmode="numeric"' in content
    assert "Configurer la vérification en deux étapes" in content
    # The QR code is drawn by the server: the only script is the site's own menu script.
    assert re.findall(r"<script[^>]*>", content) == ['<script src="/static/js/site.js" defer>']

    response = director_client.post(
        reverse("otp:setup"), {"code": totp_code(device), "next": "/admin/pages/"}
    )

    assert response.status_code == 200
    content = response.content.decode()
    assert "Vos codes de secours" in content
    assert "ils ne sont affichés qu’une seule fois" in content
    shown = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", content)
    stored = StaticToken.objects.filter(device__user=director, device__confirmed=True)
    assert len(shown) == 10
    assert sorted(shown) == sorted(stored.values_list("token", flat=True))
    assert 'href="/admin/pages/"' in content
    device.refresh_from_db()
    assert device.confirmed
    assert director_client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert "Tableau de bord" in director_client.get(ADMIN).content.decode()


def test_setup_keeps_the_same_key_within_a_session(director_client, director):
    first = director_client.get(reverse("otp:setup")).content.decode()
    second = director_client.get(reverse("otp:setup")).content.decode()
    device = TOTPDevice.objects.get(user=director)
    key = " ".join(re.findall("....", base64.b32encode(device.bin_key).decode()))
    assert key in first and key in second


def test_wrong_code_at_enrolment_changes_nothing(director_client, director):
    director_client.get(reverse("otp:setup"))
    device = TOTPDevice.objects.get(user=director)
    response = director_client.post(reverse("otp:setup"), {"code": wrong_code(device)})
    assert INVALID in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    assert not StaticDevice.objects.filter(user=director).exists()
    assert director_client.get(ADMIN)["Location"] == with_next("otp:setup", ADMIN)


def test_enrolment_refuses_a_letter_code_with_a_french_message(director_client, director):
    director_client.get(reverse("otp:setup"))
    response = director_client.post(reverse("otp:setup"), {"code": "abcdef"})
    assert "Saisissez les 6 chiffres affichés par l’application." in response.content.decode()


def test_a_code_posted_without_a_pending_enrolment_starts_over(director_client, director):
    response = director_client.post(reverse("otp:setup"), {"code": "123456"})
    assert response["Location"] == with_next("otp:setup", ADMIN)
    assert not TOTPDevice.objects.filter(user=director).exists()


def test_password_alone_cannot_enrol_a_second_device(director_client, director, totp_device):
    response = director_client.get(with_next("otp:setup", "/admin/pages/"))
    assert response["Location"] == with_next("otp:verify", "/admin/pages/")
    response = director_client.post(reverse("otp:setup"), {"code": "123456"})
    assert response["Location"].startswith(reverse("otp:verify"))
    assert list(TOTPDevice.objects.filter(user=director)) == [totp_device]


def test_verified_user_can_replace_app_and_backup_codes(
    director_client, director, totp_device, backup_device
):
    director_client.post(reverse("otp:verify"), {"code": totp_code(totp_device)})
    assert is_verified(director_client)

    director_client.get(reverse("otp:setup"))
    new = TOTPDevice.objects.get(user=director, confirmed=False)
    response = director_client.post(reverse("otp:setup"), {"code": totp_code(new)})

    assert "Vos codes de secours" in response.content.decode()
    assert list(TOTPDevice.objects.filter(user=director)) == [new]
    assert not StaticToken.objects.filter(token__in=["brax0001", "brax0002"]).exists()
    assert StaticToken.objects.filter(device__user=director).count() == 10


def test_enrolment_ignores_an_outside_next(director_client, director):
    director_client.get(reverse("otp:setup"))
    device = TOTPDevice.objects.get(user=director)
    response = director_client.post(
        reverse("otp:setup"), {"code": totp_code(device), "next": "https://evil.example/"}
    )
    content = response.content.decode()
    assert 'href="/admin/"' in content
    assert "evil.example" not in content


# 3. Verification.


def test_verify_page_is_in_french_and_accessible(director_client, totp_device):
    content = director_client.get(with_next("otp:verify", ADMIN)).content.decode()
    assert "Vérification en deux étapes" in content
    assert '<label for="id_code">Code de vérification' in content
    assert 'autocomplete="one-time-code"' in content
    assert 'action="/admin/logout/"' in content


def test_totp_code_verifies_the_session(director_client, totp_device):
    response = director_client.post(
        reverse("otp:verify"), {"code": totp_code(totp_device), "next": "/admin/pages/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/pages/"
    assert director_client.get(ADMIN).status_code == 200


def test_totp_code_with_a_space_is_accepted(director_client, totp_device):
    code = totp_code(totp_device)
    director_client.post(reverse("otp:verify"), {"code": f"{code[:3]} {code[3:]}"})
    assert director_client.get(ADMIN).status_code == 200


def test_totp_code_cannot_be_replayed(director_client, director, totp_device):
    code = totp_code(totp_device)
    director_client.post(reverse("otp:verify"), {"code": code})
    assert is_verified(director_client)

    other = Client()
    other.force_login(director)
    response = other.post(reverse("otp:verify"), {"code": code})
    assert response.status_code == 200
    assert INVALID in response.content.decode()
    assert other.get(ADMIN)["Location"] == with_next("otp:verify", ADMIN)


def test_backup_code_works_once(director_client, director, totp_device, backup_device):
    response = director_client.post(reverse("otp:verify"), {"code": "BRAX 0001"})
    assert response["Location"] == ADMIN
    assert director_client.get(ADMIN).status_code == 200
    assert list(backup_device.token_set.values_list("token", flat=True)) == ["brax0002"]

    other = Client()
    other.force_login(director)
    response = other.post(reverse("otp:verify"), {"code": "brax0001"})
    assert INVALID in response.content.decode()
    assert other.get(ADMIN).status_code == 302


def test_a_backup_code_does_not_count_against_the_app(director_client, totp_device, backup_device):
    director_client.post(reverse("otp:verify"), {"code": "nope-nope"})
    totp_device.refresh_from_db()
    backup_device.refresh_from_db()
    assert totp_device.throttling_failure_count == 0
    assert backup_device.throttling_failure_count == 1


def test_wrong_code_is_refused_with_a_french_error(director_client, totp_device):
    response = director_client.post(reverse("otp:verify"), {"code": wrong_code(totp_device)})
    assert response.status_code == 200
    assert INVALID in response.content.decode()
    assert not is_verified(director_client)
    assert director_client.get(ADMIN).status_code == 302


def test_after_a_wrong_code_even_the_right_one_waits(director_client, totp_device):
    director_client.post(reverse("otp:verify"), {"code": wrong_code(totp_device)})

    response = director_client.post(reverse("otp:verify"), {"code": totp_code(totp_device)})
    assert THROTTLED in response.content.decode()
    assert not is_verified(director_client)

    unthrottle(totp_device)
    response = director_client.post(reverse("otp:verify"), {"code": totp_code(totp_device)})
    assert response["Location"] == ADMIN
    assert is_verified(director_client)


def test_five_wrong_codes_in_a_row_block_the_session(director_client, totp_device):
    for _attempt in range(4):
        response = director_client.post(reverse("otp:verify"), {"code": wrong_code(totp_device)})
        assert BLOCKED not in response.content.decode()
        unthrottle(totp_device)
    response = director_client.post(reverse("otp:verify"), {"code": wrong_code(totp_device)})
    assert response.status_code == 429
    assert "patientez 5 minutes avant de réessayer" in response.content.decode()
    unthrottle(totp_device)

    response = director_client.post(reverse("otp:verify"), {"code": totp_code(totp_device)})
    assert response.status_code == 429
    assert BLOCKED in response.content.decode()
    assert not is_verified(director_client)

    session = director_client.session
    session[BLOCKED_UNTIL_SESSION_KEY] = time.time() - 1
    session.save()
    response = director_client.post(reverse("otp:verify"), {"code": totp_code(totp_device)})
    assert response["Location"] == ADMIN


def test_verify_ignores_an_outside_next(director_client, totp_device):
    response = director_client.post(
        reverse("otp:verify"), {"code": totp_code(totp_device), "next": "//evil.example/"}
    )
    assert response["Location"] == ADMIN


def test_verify_without_device_leads_to_enrolment(director_client):
    response = director_client.get(with_next("otp:verify", "/admin/pages/"))
    assert response["Location"] == with_next("otp:setup", "/admin/pages/")


def test_anonymous_visitors_are_sent_to_the_admin_login(client):
    for name in ("otp:setup", "otp:verify"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("wagtailadmin_login"))
    assert not TOTPDevice.objects.exists()


def test_demo_director_verifies_with_the_documented_secret_and_backup_codes(client):
    from parents import demo

    demo.load()
    client.post(
        reverse("wagtailadmin_login"),
        {"username": "directeur.demo", "password": demo.DIRECTOR_PASSWORD},
    )
    device = TOTPDevice.objects.get(user__username="directeur.demo")
    assert base64.b32encode(device.bin_key).decode() == demo.DIRECTOR_TOTP_SECRET
    client.post(reverse("otp:verify"), {"code": totp_code(device)})
    assert client.get(ADMIN).status_code == 200

    other = Client()
    other.post(
        reverse("wagtailadmin_login"),
        {"username": "directeur.demo", "password": demo.DIRECTOR_PASSWORD},
    )
    other.post(reverse("otp:verify"), {"code": demo.DIRECTOR_BACKUP_CODES[0]})
    assert other.get(ADMIN).status_code == 200


# 4. The parents' login page gives no way around the second factor.


def test_login_through_the_family_login_page_still_needs_the_second_factor(
    client, director, totp_device
):
    response = client.post(
        reverse("parents:login"), {"username": "directeur.test", "password": TEST_PASSWORD}
    )
    assert response.status_code == 302

    response = client.get(ADMIN, follow=True)
    assert response.redirect_chain == [(with_next("otp:verify", ADMIN), 302)]
    assert "Vérification en deux étapes" in response.content.decode()
    for url in ("/admin/pages/", "/admin/users/", "/admin/reports/"):
        assert client.get(url).status_code == 302


def test_login_through_the_family_login_page_without_device_leads_to_enrolment(client, director):
    client.post(reverse("parents:login"), {"username": "directeur.test", "password": TEST_PASSWORD})
    assert client.get(ADMIN)["Location"] == with_next("otp:setup", ADMIN)


# 5. Parents have no admin and no second factor.


def test_parent_cannot_reach_the_admin_nor_enrol(parent_client, guardian):
    response = parent_client.get(ADMIN)
    assert response.status_code != 200
    assert response["Location"].startswith(reverse("wagtailadmin_login"))
    assert parent_client.get(reverse("otp:setup")).status_code == 403
    assert parent_client.get(reverse("otp:verify")).status_code == 403
    assert parent_client.post(reverse("otp:setup"), {"code": "123456"}).status_code == 403
    assert not TOTPDevice.objects.filter(user=guardian.user).exists()


# 7. Wagtail's own login and logout stay reachable before the second factor.


def test_admin_login_then_second_factor(client, director, totp_device):
    assert client.get(reverse("wagtailadmin_login")).status_code == 200
    response = client.post(
        reverse("wagtailadmin_login"), {"username": "directeur.test", "password": TEST_PASSWORD}
    )
    assert response["Location"] == ADMIN
    assert client.get(ADMIN)["Location"] == with_next("otp:verify", ADMIN)


def test_admin_logout_works_unverified(director_client, totp_device):
    response = director_client.post(reverse("wagtailadmin_logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("wagtailadmin_login")
    assert director_client.get(reverse("otp:verify"))["Location"].startswith(
        reverse("wagtailadmin_login")
    )


def test_demo_communication_login_has_its_own_second_factor(client):
    from django.contrib.auth.password_validation import validate_password

    from parents import demo
    from parents.models import User
    from parents.roles import COMMUNICATION_GROUP

    demo.load()
    demo.load()  # idempotent
    user = User.objects.get(username="communication.demo")
    assert user.groups.filter(name=COMMUNICATION_GROUP).exists()
    assert list(user.structures.values_list("slug", flat=True)) == ["brax"]
    assert not user.has_perm("parents.view_family")
    # The demo password passes the site's own rules.
    validate_password(demo.COMMUNICATION_PASSWORD, user)
    client.post(
        reverse("wagtailadmin_login"),
        {"username": "communication.demo", "password": demo.COMMUNICATION_PASSWORD},
    )
    device = TOTPDevice.objects.get(user=user)
    assert base64.b32encode(device.bin_key).decode() == demo.COMMUNICATION_TOTP_SECRET
    assert demo.COMMUNICATION_TOTP_SECRET != demo.DIRECTOR_TOTP_SECRET
    client.post(reverse("otp:verify"), {"code": totp_code(device)})
    assert client.get(ADMIN).status_code == 200

    other = Client()
    other.post(
        reverse("wagtailadmin_login"),
        {"username": "communication.demo", "password": demo.COMMUNICATION_PASSWORD},
    )
    other.post(reverse("otp:verify"), {"code": demo.COMMUNICATION_BACKUP_CODES[0]})
    assert other.get(ADMIN).status_code == 200


def test_make_run_prints_the_communication_login(settings):
    from io import StringIO

    from django.core.management import call_command

    from forms_library.models import FormsLibraryPage
    from parents import demo
    from parents.models import User

    settings.DEBUG = True
    out = StringIO()
    call_command("load_demo_data", stdout=out)
    assert f"communication.demo / {demo.COMMUNICATION_PASSWORD}" in out.getvalue()
    assert f"TOTP secret (base32): {demo.COMMUNICATION_TOTP_SECRET}" in out.getvalue()
    # The demo director may publish in Brax's "Imprimés", and only there.
    director = User.objects.get(username="directeur.demo")
    for library in FormsLibraryPage.objects.all():
        expected = library.structure is not None and library.structure.slug == "brax"
        assert library.permissions_for_user(director).can_publish() is expected, library.url
