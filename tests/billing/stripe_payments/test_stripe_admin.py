"""Directors see the online payment attempts of their structures, read only."""

from decimal import Decimal
from html import unescape

from django.contrib.auth.models import Group, Permission
from django.urls import NoReverseMatch, reverse

import pytest

from billing.models import PaymentAttempt
from billing.online_payment.viewsets import payment_attempt_permissions
from parents.roles import DIRECTION_GROUP
from tests.factories.parents import FamilyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def director_client(director, verified_client):
    group = Group.objects.get(name=DIRECTION_GROUP)
    group.permissions.add(
        *[
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
            for app_label, codename in payment_attempt_permissions()
        ]
    )
    return verified_client(director)


def attempt(family, amount, status, **fields):
    return PaymentAttempt.objects.create(
        structure=family.structure,
        family=family,
        amount=Decimal(amount),
        balance_due=Decimal(amount),
        status=status,
        idempotency_key=f"key-{family.pk}-{amount}-{status}",
        **fields,
    )


def test_director_sees_attempts_and_their_status(director_client, family, other_structure):
    declined = attempt(
        family,
        "36.07",
        PaymentAttempt.Status.FAILED,
        payment_intent_id="pi_declined",
        failure_code="card_declined",
        failure_message="Your card was declined.",
    )
    attempt(family, "36.07", PaymentAttempt.Status.PENDING)
    elsewhere = FamilyFactory(structure=other_structure, name="AILLEURS")
    hidden = attempt(elsewhere, "99.00", PaymentAttempt.Status.SUCCEEDED)

    response = director_client.get(reverse("payment_attempts:index"))
    assert response.status_code == 200
    page = unescape(response.content.decode())
    assert "pi_declined" in page
    assert "36,07 €" in page
    assert "refusé" in page
    assert "en attente de la carte" in page
    assert "AILLEURS" not in page

    inspect = director_client.get(reverse("payment_attempts:inspect", args=[declined.pk]))
    assert inspect.status_code == 200
    assert "Your card was declined." in unescape(inspect.content.decode())
    # What the family owed when the attempt opened, beside what it asked for.
    assert "olde dû à l'ouverture" in unescape(inspect.content.decode())
    assert (
        director_client.get(reverse("payment_attempts:inspect", args=[hidden.pk])).status_code
        == 404
    )


def test_attempts_cannot_be_created_changed_or_deleted_in_the_admin():
    for name in ("add", "edit", "delete"):
        with pytest.raises(NoReverseMatch):
            reverse(f"payment_attempts:{name}", args=[] if name == "add" else [1])


def test_staff_without_the_permission_do_not_see_attempts(verified_client, director, family):
    attempt(family, "36.07", PaymentAttempt.Status.PENDING)
    Group.objects.get(name=DIRECTION_GROUP).permissions.remove(
        *Permission.objects.filter(
            content_type__app_label="billing", codename="view_paymentattempt"
        )
    )
    response = verified_client(director).get(reverse("payment_attempts:index"))
    assert response.status_code == 302
