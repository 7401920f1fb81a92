"""Publishing a year's certificates goes through a confirmation page; the current year,
not over yet, needs an explicit extra confirmation."""

from datetime import date

from django.test import Client
from django.utils import timezone

import pytest

from billing.certificates.services import issue_attestations
from billing.models import Certificate
from tests.factories.parents import ChildFactory, FamilyFactory, GuardianFactory

from .test_certificates import care, invoice, pay
from .test_certificates_admin import YEAR, admin_client, staff, text, url  # noqa: F401

pytestmark = pytest.mark.django_db


def certificates_for(structure, year, count=2):
    for number in range(count):
        family = FamilyFactory(structure=structure, reference=f"F{year}{number}")
        GuardianFactory(family=family, user=None, email="")
        child = ChildFactory(family=family, birth_date=date(2020, 5, 12))
        invoice(family, date(year, 1, 1), care(child, "25.00", date(year, 1, 1)))
        pay(family, "25.00", date(year, 1, 1))
    issue_attestations(year, structure=structure)


def statuses():
    return set(Certificate.objects.values_list("status", flat=True))


def test_the_button_opens_a_confirmation_page(admin_client, structure):  # noqa: F811
    certificates_for(structure, YEAR)
    dashboard = admin_client.get(url("index"), {"structure": structure.pk, "year": YEAR})
    assert 'method="get" action="' + url("publish") in dashboard.content.decode()

    page = text(admin_client.get(url("publish"), {"structure": structure.pk, "year": YEAR}))

    assert f"Vous allez publier 2 attestations {YEAR} de Commune de Brax." in page
    assert "Confirmer : publier 2 attestations" in page
    assert "n'est pas terminée" not in page
    assert statuses() == {"draft"}


def test_publishing_needs_the_confirmation(admin_client, structure):  # noqa: F811
    certificates_for(structure, YEAR)
    data = {"structure": structure.pk, "year": YEAR}

    response = admin_client.post(url("publish"), data)
    assert response.status_code == 200
    assert statuses() == {"draft"}

    response = admin_client.post(url("publish"), {**data, "confirm": "on"})
    assert response.status_code == 302
    assert statuses() == {"published"}


def test_the_current_year_warns_and_needs_an_extra_confirmation(
    admin_client,  # noqa: F811
    structure,
):
    year = timezone.localdate().year
    certificates_for(structure, year)
    data = {"structure": structure.pk, "year": year}

    page = text(admin_client.get(url("publish"), data))
    assert f"{year} n'est pas terminée." in page
    assert "Je sais que cette année n'est pas terminée" in page

    response = admin_client.post(url("publish"), {**data, "confirm": "on"})
    assert response.status_code == 200
    assert "cochez cette case pour publier" in text(response)
    assert statuses() == {"draft"}

    response = admin_client.post(url("publish"), {**data, "confirm": "on", "year_not_over": "on"})
    assert response.status_code == 302
    assert statuses() == {"published"}


def test_nothing_to_publish_says_so(admin_client, structure):  # noqa: F811
    page = text(admin_client.get(url("publish"), {"structure": structure.pk, "year": YEAR}))
    assert "Aucune attestation n'est prête à publier" in page


def test_anonymous_and_another_structures_director(admin_client, other_structure):  # noqa: F811
    certificates_for(other_structure, YEAR)
    data = {"structure": other_structure.pk, "year": YEAR}

    assert admin_client.get(url("publish"), data).status_code == 404
    assert admin_client.post(url("publish"), {**data, "confirm": "on"}).status_code == 404
    anonymous = Client()
    assert anonymous.get(url("publish"), data).status_code == 302
    assert anonymous.post(url("publish"), {**data, "confirm": "on"}).status_code == 302
    assert statuses() == {"draft"}
