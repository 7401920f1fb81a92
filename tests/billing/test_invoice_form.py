"""The invoice form of the admin: dates typed the French way, and each line's child list."""

from datetime import date

from django import forms
from django.urls import reverse
from django.utils import translation

import pytest

from billing.models import Invoice
from tests.billing.test_admin import html, invoice_form_data, line_data
from tests.factories.billing import draft_invoice, line
from tests.factories.parents import ChildFactory, FamilyFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def director_client(director, verified_client):
    return verified_client(director)


@pytest.fixture
def child(family):
    return family.children.get()


@pytest.mark.parametrize("typed", ["01/11/2026", "1/11/2026", "2026-11-01"])
def test_a_service_date_typed_the_french_way_is_kept(director_client, family, child, typed):
    data = invoice_form_data(family, [line_data(child, service_date=typed)])

    response = director_client.post(reverse("invoices:add"), data)

    assert response.status_code == 302
    assert Invoice.objects.get().lines.get().service_date == date(2026, 11, 1)


def test_an_unreadable_date_is_a_form_error_not_another_date(director_client, family, child):
    data = invoice_form_data(family, [line_data(child, service_date="31/02/2026")])

    response = director_client.post(reverse("invoices:add"), data)

    assert response.status_code == 200
    assert "Saisissez une date valide." in html(response)
    assert not Invoice.objects.exists()


def test_the_date_field_shows_and_keeps_the_french_format(director_client, family, child):
    invoice = draft_invoice(family, line("6.50", child=child, on=date(2026, 11, 1)))

    content = html(director_client.get(reverse("invoices:edit", args=[invoice.pk])))

    assert 'value="01/11/2026"' in content
    # The picker leaves what it cannot read for the server to refuse, instead of today.
    assert "validateOnBlur: false" in content
    assert '"format": "d/m/Y"' in content


@pytest.mark.parametrize("language", ["fr", "en"])
def test_dates_are_read_day_first_in_both_languages(language):
    with translation.override(language):
        field = forms.DateField()
        assert field.clean("01/11/2026") == date(2026, 11, 1)
        assert field.clean("2026-11-01") == date(2026, 11, 1)
        with pytest.raises(forms.ValidationError):
            field.clean("13/13/2026")


def test_the_child_list_offers_the_chosen_familys_children(director_client, family, child):
    other = FamilyFactory(structure=family.structure, name="MARTIN", reference="MAR001")
    other_child = ChildFactory(family=other, first_name="Jules")

    # Opened from a family (its statement): only that family's children are listed.
    content = html(director_client.get(reverse("invoices:add"), {"family": family.pk}))
    assert "Léa DUPONT (DUP001)" in content
    assert "Jules MARTIN (MAR001)" not in content

    # A draft's lines offer the draft's family's children only.
    invoice = draft_invoice(other, line("6.50", child=other_child))
    content = html(director_client.get(reverse("invoices:edit", args=[invoice.pk])))
    assert "Jules MARTIN (MAR001)" in content
    assert "Léa DUPONT (DUP001)" not in content

    # Before a family is chosen, no child is listed (every child of 100,000 families
    # weighed megabytes): the page reads the children of the family chosen in the chooser
    # from the form opened for it (static/billing/invoice_form.js).
    content = html(director_client.get(reverse("invoices:add")))
    assert "Léa DUPONT (DUP001)" not in content and "Jules MARTIN (MAR001)" not in content
    assert "billing/invoice_form" in content
    assert 'data-chooser-url="/admin/familles/choisir/"' in content


def test_a_child_of_another_family_is_refused_clearly(director_client, family):
    other = FamilyFactory(structure=family.structure, name="MARTIN", reference="MAR001")
    other_child = ChildFactory(family=other, first_name="Jules")
    data = invoice_form_data(family, [line_data(other_child)])

    response = director_client.post(reverse("invoices:add"), data)

    assert response.status_code == 200
    assert "Cet enfant n'appartient pas à la famille." in html(response)
    assert not Invoice.objects.exists()
