"""Account lifecycle services: the only code that invites guardians or changes their login."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.core.validators import validate_email
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from wagtail.log_actions import log

from .models import User
from .tokens import invitation_token_generator

INVITE_ACTION = "parents.invite"
EMAIL_CHANGE_ACTION = "parents.change_email"
USERNAME_MAX_LENGTH = User._meta.get_field("username").max_length


def invite_guardian(guardian, *, by=None):
    """Create the guardian's login if needed and email the identifiant and a set-password link.

    Invariants: the guardian ends up with a login whose email is the guardian's address; no
    password is ever generated or sent, only a single-use link valid
    `settings.INVITATION_TIMEOUT` seconds; exactly one email leaves, after the commit. If the
    login still points to another address, this is an address change (see
    `update_guardian_email`), with the same consequences.
    """
    email = _clean_email(guardian.email)
    if not email:
        raise ValidationError(_("This guardian has no email address."))
    with transaction.atomic():
        user = guardian.user
        if user is not None and user.email and not _same_email(user.email, email):
            return update_guardian_email(guardian, email, by=by)
        guardian.email = email
        _invite(guardian, by)
    return guardian.user


def update_guardian_email(guardian, new_email, *, by=None):
    """Change a guardian's address: old password stops working, new invitation, old address told.

    The reference is the address of the guardian's login (`user.email`), so calling this after
    every save of a guardian is safe: the same address (ignoring case) changes nothing. A
    guardian without a login is simply invited. The old address gets a notice without any link;
    changing the password hash ends every open session of that login on its next request.
    """
    new_email = _clean_email(new_email)
    with transaction.atomic():
        user = guardian.user
        if user is None:
            guardian.email = new_email
            guardian.save(update_fields=["email"])
            if new_email:
                _invite(guardian, by)
            return guardian.user

        old_email = user.email
        if _same_email(old_email, new_email):
            if guardian.email != new_email:
                guardian.email = new_email
                guardian.save(update_fields=["email"])
            return user

        guardian.email = new_email
        guardian.save(update_fields=["email"])
        user.email = new_email
        # Whoever knew the old password (possibly through the old mailbox) loses access.
        user.set_unusable_password()
        user.save(update_fields=["email", "password"])
        log(
            instance=guardian,
            action=EMAIL_CHANGE_ACTION,
            user=by,
            data={"old_email": old_email, "new_email": new_email},
        )
        if old_email:
            _send_email(
                old_email,
                "email_changed",
                {"guardian": guardian, "structure": guardian.family.structure},
            )
        if new_email:
            _invite(guardian, by)
    return user


def invitation_url(user):
    """Absolute address of a fresh set-password link for `user`."""
    path = reverse(
        "parents:invitation",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": invitation_token_generator.make_token(user),
        },
    )
    return f"{settings.SITE_URL}{path}"


def _invite(guardian, by):
    user = guardian.user
    if user is None:
        user = User(username=_unique_username(guardian))
    user.email = guardian.email
    user.first_name = guardian.first_name
    user.last_name = guardian.last_name
    if not user.password or not user.has_usable_password():
        # A fresh unusable hash also voids the links of earlier invitations.
        user.set_unusable_password()
    user.save()
    guardian.user = user
    guardian.invited_at = timezone.now()
    guardian.save(update_fields=["user", "email", "invited_at"])
    log(instance=guardian, action=INVITE_ACTION, user=by, data={"username": user.username})

    structure = guardian.family.structure
    _send_email(
        guardian.email,
        "invitation",
        {
            "guardian": guardian,
            "structure": structure,
            "username": user.username,
            "link": invitation_url(user),
            "expires_at": guardian.invited_at + timedelta(seconds=settings.INVITATION_TIMEOUT),
            "login_url": f"{settings.SITE_URL}{reverse('parents:login')}",
            "reset_url": f"{settings.SITE_URL}{reverse('parents:password-reset')}",
        },
    )


def _send_email(to, template, context):
    """Render a French email (text and HTML) now, and send it once the transaction commits."""
    structure = context.get("structure")
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string(f"parents/email/{template}_subject.txt", context)
        text = render_to_string(f"parents/email/{template}.txt", context)
        html = render_to_string(f"parents/email/{template}.html", context)
    message = EmailMultiAlternatives(
        " ".join(subject.split()),
        text,
        to=[to],
        reply_to=[structure.email] if structure and structure.email else None,
    )
    message.attach_alternative(html, "text/html")
    # robust: a mail server failure is logged; the director can send the details again.
    transaction.on_commit(message.send, robust=True)


def notify_account_locked(user, *, failures, addresses):
    """Tell a login's owner their account is locked after failed attempts from several places.

    Sent once per lock (the caller decides when the limit is crossed); says how to get back
    in at once (a new password lifts the lock) and never says where the attempts came from
    beyond their count, so the message is harmless if the mailbox is read by someone else.
    """
    if not user.email:
        return
    guardian = user.guardian_or_none
    _send_email(
        user.email,
        "account_locked",
        {
            "user": user,
            "guardian": guardian,
            "structure": guardian.family.structure if guardian else None,
            "failures": failures,
            "addresses": addresses,
            "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
            "reset_url": f"{settings.SITE_URL}{reverse('parents:password-reset')}",
        },
    )


def _unique_username(guardian):
    """A readable identifiant, "prenom.nom" in lower-case ASCII, suffixed -2, -3… if taken."""
    parts = [slugify(guardian.first_name), slugify(guardian.last_name)]
    base = ".".join(part for part in parts if part) or "parent"
    base = base[: USERNAME_MAX_LENGTH - 6]
    candidate, suffix = base, 1
    # Logins are looked up case-insensitively, so uniqueness is checked the same way.
    while User.objects.filter(username__iexact=candidate).exists():
        suffix += 1
        candidate = f"{base}-{suffix}"
    return candidate


def _clean_email(value):
    value = BaseUserManager.normalize_email((value or "").strip())
    if value:
        validate_email(value)
    return value


def _same_email(a, b):
    return (a or "").casefold() == (b or "").casefold()
