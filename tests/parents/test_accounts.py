"""Account lifecycle: invitation, first password, forgotten password, address change, user space."""

import re
from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from wagtail.log_actions import registry as log_action_registry
from wagtail.models import ModelLogEntry

import pytest

from parents.models import User
from parents.services import (
    EMAIL_CHANGE_ACTION,
    INVITE_ACTION,
    invite_guardian,
    update_guardian_email,
)
from parents.tokens import InvitationTokenGenerator, invitation_token_generator
from tests.factories.parents import TEST_PASSWORD, FamilyFactory, GuardianFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "ciel-orange-piano-29"
OTHER_PASSWORD = "riviere-lente-sous-la-lune"
PASSPHRASE = (
    "le chat de la voisine dort au soleil sur le muret du jardin, "
    "pendant que la pluie menace au loin !!!"
)
INVITATION_LINK = re.compile(r"http://testserver(/espace-famille/invitation/[\w-]+/[\w-]+/)")
RESET_LINK = re.compile(r"http://testserver(/espace-famille/mot-de-passe-oublie/[\w-]+/[\w-]+/)")
INVALID_LINK = "Ce lien n'est plus valide"


@pytest.fixture
def new_guardian(family):
    """A guardian the director has just entered: an address, no login yet."""
    return GuardianFactory(
        family=family,
        user=None,
        first_name="Élodie",
        last_name="Dupont-Martin",
        email="elodie@example.org",
    )


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run the callbacks a real commit would run: emails leave only then."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def invite(on_commit, director):
    def _invite(guardian):
        with on_commit():
            invite_guardian(guardian, by=director)
        guardian.refresh_from_db()
        return guardian.user

    return _invite


def link_in(message, pattern=INVITATION_LINK):
    match = pattern.search(message.body)
    assert match, message.body
    return match.group(1)


def all_email_text():
    parts = []
    for message in mail.outbox:
        parts.append(message.subject)
        parts.append(message.body)
        parts.extend(content for content, _mimetype in message.alternatives)
    return "\n".join(parts)


def set_password(client, link, password, follow=True):
    response = client.get(link)
    assert response.status_code == 302
    form_url = response["Location"]
    return client.post(
        form_url, {"new_password1": password, "new_password2": password}, follow=follow
    )


def logs_in(client, username, password):
    response = client.post(reverse("parents:login"), {"username": username, "password": password})
    logged_in = response.status_code == 302 and "_auth_user_id" in client.session
    client.post(reverse("parents:logout"))
    return logged_in


class ShiftedInvitationTokens(InvitationTokenGenerator):
    """Makes tokens as if they had been issued `age` ago."""

    def __init__(self, age):
        super().__init__()
        self.age = age

    def _now(self):
        return super()._now() - self.age


class ShiftedResetTokens(PasswordResetTokenGenerator):
    def __init__(self, age):
        super().__init__()
        self.age = age

    def _now(self):
        return super()._now() - self.age


def uid(user):
    return urlsafe_base64_encode(force_bytes(user.pk))


# Invitation ----------------------------------------------------------------------------------


def test_invitation_creates_the_login_and_sends_one_email_after_commit(
    new_guardian, director, on_commit
):
    with on_commit():
        invite_guardian(new_guardian, by=director)
        # Nothing leaves before the transaction commits.
        assert mail.outbox == []

    new_guardian.refresh_from_db()
    user = new_guardian.user
    assert user.username == "elodie.dupont-martin"
    assert user.email == "elodie@example.org"
    assert (user.first_name, user.last_name) == ("Élodie", "Dupont-Martin")
    assert not user.has_usable_password()
    assert new_guardian.invited_at is not None

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["elodie@example.org"]
    assert message.reply_to == [new_guardian.family.structure.email]
    assert message.subject == "Vos identifiants de l'espace famille — Commune de Brax"
    assert "Bonjour Mme Dupont-Martin," in message.body
    assert "Votre identifiant : elodie.dupont-martin" in message.body
    assert "Ce lien ne fonctionne qu'une seule fois, jusqu'au" in message.body
    assert "Commune de Brax — LE&C Grand Sud" in message.body
    assert new_guardian.family.structure.email in message.body
    link = link_in(message)
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="http://testserver{link}"' in html
    assert "<strong>elodie.dupont-martin</strong>" in html

    entry = ModelLogEntry.objects.get(action=INVITE_ACTION)
    assert entry.object_id == str(new_guardian.pk)
    assert entry.user_id == director.pk
    assert str(log_action_registry.get_action_label(INVITE_ACTION)) == "Envoi des identifiants"


def test_identifiants_are_unique_whatever_the_case(family, invite):
    UserFactory(username="Marie.Durand")
    first = GuardianFactory(
        family=family, user=None, first_name="Marie", last_name="Durand", email="m1@example.org"
    )
    other_family = FamilyFactory(structure=family.structure)
    second = GuardianFactory(
        family=other_family,
        user=None,
        first_name="Marie",
        last_name="DURAND",
        email="m2@example.org",
    )
    assert invite(first).username == "marie.durand-2"
    assert invite(second).username == "marie.durand-3"


def test_a_guardian_without_address_cannot_be_invited(family):
    guardian = GuardianFactory(family=family, user=None, email="")
    with pytest.raises(ValidationError):
        invite_guardian(guardian)
    assert User.objects.filter(guardian=guardian).count() == 0
    assert mail.outbox == []


def test_invitation_end_to_end(client, new_guardian, invite):
    user = invite(new_guardian)
    link = link_in(mail.outbox[0])

    response = client.get(link)
    assert response.status_code == 302
    form_page = client.get(response["Location"])
    content = form_page.content.decode()
    assert "Choisir votre mot de passe" in content
    assert "elodie.dupont-martin" in content
    assert "Confirmation du nouveau mot de passe" in content
    assert "no-store" in form_page["Cache-Control"]

    response = client.post(
        response["Location"], {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("parents:login")
    login_page = client.get(response["Location"]).content.decode()
    assert (
        "Votre mot de passe est enregistré. Connectez-vous avec votre identifiant "
        "elodie.dupont-martin." in login_page
    )
    user.refresh_from_db()
    assert user.has_usable_password()

    assert logs_in(client, "elodie.dupont-martin", NEW_PASSWORD)
    assert logs_in(client, "elodie@example.org", NEW_PASSWORD)

    # Single use: the password and last login it was made from have changed.
    again = client.get(link)
    assert again.status_code == 200
    content = again.content.decode()
    assert INVALID_LINK in content
    assert reverse("parents:password-reset") in content
    assert "Mot de passe oublié ?" in content


def test_inviting_again_voids_the_previous_link(client, new_guardian, invite):
    invite(new_guardian)
    first_link = link_in(mail.outbox[0])
    invite(new_guardian)
    assert len(mail.outbox) == 2
    assert INVALID_LINK in client.get(first_link).content.decode()
    assert client.get(link_in(mail.outbox[1])).status_code == 302


def test_an_invitation_link_lasts_seven_days_not_more(client, settings, new_guardian, invite):
    user = invite(new_guardian)
    timeout = timedelta(seconds=settings.INVITATION_TIMEOUT)
    assert timeout == timedelta(days=7)

    six_days_old = ShiftedInvitationTokens(timedelta(days=6)).make_token(user)
    response = client.get(reverse("parents:invitation", args=[uid(user), six_days_old]))
    assert response.status_code == 302

    too_old = ShiftedInvitationTokens(timeout + timedelta(minutes=1)).make_token(user)
    response = client.get(reverse("parents:invitation", args=[uid(user), too_old]))
    assert response.status_code == 200
    assert INVALID_LINK in response.content.decode()
    assert "Nouveau mot de passe" not in response.content.decode()


def test_invitation_and_reset_tokens_are_not_interchangeable(client, guardian):
    user = guardian.user
    invitation_token = invitation_token_generator.make_token(user)
    reset_token = PasswordResetTokenGenerator().make_token(user)
    as_reset = client.get(
        reverse("parents:password-reset-confirm", args=[uid(user), invitation_token])
    )
    as_invitation = client.get(reverse("parents:invitation", args=[uid(user), reset_token]))
    assert INVALID_LINK in as_reset.content.decode()
    assert INVALID_LINK in as_invitation.content.decode()


# Forgotten password -------------------------------------------------------------------------


def test_reset_form_answers_the_same_for_known_and_unknown_addresses(client, guardian):
    url = reverse("parents:password-reset")
    known = client.post(url, {"email": guardian.email})
    unknown = client.post(url, {"email": "nobody@example.org"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("parents:password-reset-done")
    done = client.get(known["Location"]).content.decode()
    assert "Si cette adresse correspond à un compte" in done
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [guardian.email]


def test_password_reset_end_to_end(client, guardian):
    client.post(reverse("parents:password-reset"), {"email": guardian.email.upper()})
    message = mail.outbox[0]
    assert message.subject == "Choisir un nouveau mot de passe — Portail Familles"
    assert "Votre identifiant : parent.test" in message.body
    assert "Commune de Brax" in message.body
    link = link_in(message, RESET_LINK)
    assert f'href="http://testserver{link}"' in message.alternatives[0][0]

    response = set_password(client, link, NEW_PASSWORD)
    assert "Votre nouveau mot de passe est enregistré." in response.content.decode()
    assert logs_in(client, "parent.test", NEW_PASSWORD)
    assert not logs_in(client, "parent.test", TEST_PASSWORD)
    assert INVALID_LINK in client.get(link).content.decode()


def test_a_reset_link_lasts_one_hour(client, settings, guardian):
    assert settings.PASSWORD_RESET_TIMEOUT == 3600
    user = guardian.user
    recent = ShiftedResetTokens(timedelta(minutes=59)).make_token(user)
    response = client.get(reverse("parents:password-reset-confirm", args=[uid(user), recent]))
    assert response.status_code == 302

    old = ShiftedResetTokens(timedelta(minutes=61)).make_token(user)
    response = client.get(reverse("parents:password-reset-confirm", args=[uid(user), old]))
    assert INVALID_LINK in response.content.decode()


def test_an_invited_parent_whose_link_expired_gets_a_reset_link(client, new_guardian, invite):
    invite(new_guardian)
    client.post(reverse("parents:password-reset"), {"email": "Elodie@Example.org"})
    assert len(mail.outbox) == 2
    assert "Votre identifiant : elodie.dupont-martin" in mail.outbox[1].body
    set_password(client, link_in(mail.outbox[1], RESET_LINK), NEW_PASSWORD)
    assert logs_in(client, "elodie.dupont-martin", NEW_PASSWORD)


def test_reset_sends_one_email_per_active_login_of_the_address(client, family):
    shared = "foyer@example.org"
    GuardianFactory(family=family, user=UserFactory(username="marie.x", email=shared))
    GuardianFactory(family=family, user=UserFactory(username="paul.x", email=shared))
    UserFactory(username="ancien.x", email=shared, is_active=False)
    client.post(reverse("parents:password-reset"), {"email": shared})
    identifiants = sorted(
        re.search(r"Votre identifiant : (\S+)", message.body).group(1) for message in mail.outbox
    )
    assert identifiants == ["marie.x", "paul.x"]


# Address change -----------------------------------------------------------------------------


def test_changing_the_address_locks_the_old_password_and_warns_the_old_address(
    client, guardian, director, on_commit
):
    client.force_login(guardian.user)
    assert client.get(reverse("parents:home")).status_code == 200
    old_email = guardian.email

    with on_commit():
        update_guardian_email(guardian, "nouvelle@example.org", by=director)

    guardian.refresh_from_db()
    guardian.user.refresh_from_db()
    assert guardian.email == guardian.user.email == "nouvelle@example.org"
    # The open session ends on its next request.
    assert client.get(reverse("parents:home"))["Location"].startswith(reverse("parents:login"))
    assert not logs_in(client, "parent.test", TEST_PASSWORD)

    to_new = [m for m in mail.outbox if m.to == ["nouvelle@example.org"]]
    to_old = [m for m in mail.outbox if m.to == [old_email]]
    assert len(to_new) == len(to_old) == 1 and len(mail.outbox) == 2
    assert "Votre identifiant : parent.test" in to_new[0].body
    notice = to_old[0]
    assert notice.subject == (
        "L'adresse e-mail de votre espace famille a été modifiée — Commune de Brax"
    )
    assert "votre ancien mot de passe ne fonctionne plus" in notice.body
    assert "http" not in notice.body
    assert "href=" not in notice.alternatives[0][0].replace('href="mailto:', "")
    assert "parent.test" not in notice.body

    set_password(client, link_in(to_new[0]), NEW_PASSWORD)
    assert logs_in(client, "nouvelle@example.org", NEW_PASSWORD)
    entry = ModelLogEntry.objects.get(action=EMAIL_CHANGE_ACTION)
    assert entry.data == {"old_email": old_email, "new_email": "nouvelle@example.org"}
    assert entry.user_id == director.pk


def test_the_same_address_changes_nothing(client, guardian, on_commit):
    with on_commit():
        update_guardian_email(guardian, guardian.email.upper())
    assert mail.outbox == []
    assert logs_in(client, "parent.test", TEST_PASSWORD)


def test_an_address_for_a_guardian_without_login_just_invites(new_guardian, on_commit):
    new_guardian.email = ""
    new_guardian.save()
    with on_commit():
        update_guardian_email(new_guardian, "elodie.new@example.org")
    new_guardian.refresh_from_db()
    assert new_guardian.user.email == "elodie.new@example.org"
    assert [m.to for m in mail.outbox] == [["elodie.new@example.org"]]
    assert "Votre identifiant : elodie.dupont-martin" in mail.outbox[0].body


def test_inviting_after_an_address_was_saved_elsewhere_is_an_address_change(
    client, guardian, on_commit
):
    old_email = guardian.email
    guardian.email = "saisie@example.org"
    guardian.save()
    with on_commit():
        invite_guardian(guardian)
    assert sorted(m.to[0] for m in mail.outbox) == sorted([old_email, "saisie@example.org"])
    assert not logs_in(client, "parent.test", TEST_PASSWORD)


def test_no_email_ever_contains_a_password(client, guardian, new_guardian, invite, on_commit):
    invite(new_guardian)
    set_password(client, link_in(mail.outbox[-1]), NEW_PASSWORD)
    client.post(reverse("parents:password-reset"), {"email": "elodie@example.org"})
    set_password(client, link_in(mail.outbox[-1], RESET_LINK), OTHER_PASSWORD)
    with on_commit():
        update_guardian_email(guardian, "autre@example.org")
    assert len(mail.outbox) == 4
    text = all_email_text()
    for password in (NEW_PASSWORD, OTHER_PASSWORD, TEST_PASSWORD):
        assert password not in text
    assert "Mot de passe :" not in text


# Passwords and the user space ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "error"),
    [
        ("zèbre-lune-7", None),
        (PASSPHRASE, None),
        (
            "zèbre-lune-",
            "Ce mot de passe est trop court. Il doit contenir au minimum 12 caractères.",
        ),
        ("password1234", "Ce mot de passe est trop courant."),
    ],
)
def test_password_rules(password, error, guardian):
    if error is None:
        validate_password(password, guardian.user)
    else:
        with pytest.raises(ValidationError) as exc:
            validate_password(password, guardian.user)
        assert error in exc.value.messages


def test_a_long_passphrase_is_accepted_end_to_end(client, guardian):
    assert len(PASSPHRASE) == 100
    client.post(reverse("parents:password-reset"), {"email": guardian.email})
    set_password(client, link_in(mail.outbox[0], RESET_LINK), PASSPHRASE)
    assert logs_in(client, "parent.test", PASSPHRASE)


def test_user_space_shows_only_the_guardians_own_login(parent_client, guardian, other_guardian):
    response = parent_client.get(reverse("parents:user-space"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    content = response.content.decode()
    assert "<h1>Espace utilisateur</h1>" in content
    assert guardian.email in content
    assert "parent.test" in content
    assert other_guardian.email not in content
    assert "parent2.test" not in content
    assert "Pour changer d'adresse e-mail, adressez-vous au directeur" in content
    assert 'aria-current="page">Espace utilisateur<' in content


def test_user_space_refuses_a_wrong_current_password(parent_client, guardian):
    response = parent_client.post(
        reverse("parents:user-space"),
        {
            "old_password": "not-my-password",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 200
    assert "Votre ancien mot de passe est incorrect." in response.content.decode()
    guardian.user.refresh_from_db()
    assert guardian.user.check_password(TEST_PASSWORD)


def test_user_space_rejects_a_weak_new_password_in_french(parent_client, guardian):
    response = parent_client.post(
        reverse("parents:user-space"),
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "password1234",
            "new_password2": "password1234",
        },
    )
    assert "Ce mot de passe est trop courant." in response.content.decode()
    guardian.user.refresh_from_db()
    assert guardian.user.check_password(TEST_PASSWORD)


def test_user_space_changes_the_password_and_keeps_this_session(parent_client, guardian):
    elsewhere = Client()
    elsewhere.force_login(guardian.user)

    response = parent_client.post(
        reverse("parents:user-space"),
        {
            "old_password": TEST_PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
        follow=True,
    )
    assert "Votre mot de passe a été modifié." in response.content.decode()
    assert parent_client.get(reverse("parents:home")).status_code == 200
    # Another browser still logged in with the old password is logged out.
    assert elsewhere.get(reverse("parents:home")).status_code == 302

    parent_client.post(reverse("parents:logout"))
    assert logs_in(parent_client, "parent.test", NEW_PASSWORD)
    assert not logs_in(parent_client, "parent.test", TEST_PASSWORD)
