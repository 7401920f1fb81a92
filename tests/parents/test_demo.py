"""The demo logins and children: what a visitor trying the portal meets first."""

from django.contrib.auth.password_validation import validate_password
from django.utils import timezone

import pytest

import parents.demo
from billing.demo import MARTIN_LOGIN
from parents.models import Child, User
from reservations.models.setup import age_on

pytestmark = pytest.mark.django_db


def test_every_demo_password_passes_the_sites_own_rules():
    parents.demo.load()
    users = list(
        User.objects.filter(username__in=["parent.demo", "parent2.demo", "directeur.demo"])
    )
    # parent3.demo (MARTIN) is created with billing's demo data, with these details.
    users.append(
        User(
            username=MARTIN_LOGIN,
            first_name="Sophie",
            last_name="MARTIN",
            email="parent3.demo@example.org",
        )
    )
    assert len(users) == 4
    for user in users:
        password = (
            parents.demo.DIRECTOR_PASSWORD
            if user.username == "directeur.demo"
            else parents.demo.PARENT_PASSWORD
        )
        validate_password(password, user)  # raises ValidationError if a rule fails
        if user.pk:
            assert user.check_password(password)


def test_the_demo_children_are_of_the_centres_ages_whatever_the_year():
    parents.demo.load()
    today = timezone.localdate()
    ages = {child.first_name: age_on(child, today) for child in Child.objects.all()}
    assert set(ages) == {"Léa", "Hugo", "Nina"}
    assert all(3 <= age <= 11 for age in ages.values()), ages
