"""A family's admin page links to its statement, its bookings and its family file."""

from html import unescape

from django.urls import reverse

import pytest

from tests.factories.parents import UserFactory

pytestmark = pytest.mark.django_db


def links(family):
    return {
        "Relevé de compte": reverse("billing_statements:statement", args=[family.pk]),
        "Réservations": reverse("reservation_on_behalf:family", args=[family.pk]),
        "Dossier famille": reverse("family_files:family", args=[family.pk]),
    }


def test_the_family_page_links_to_its_statement_and_bookings(director, verified_client, family):
    client = verified_client(director)

    for view in ("edit", "inspect"):
        response = client.get(reverse(f"families:{view}", args=[family.pk]))
        content = unescape(response.content.decode())
        assert "Voir aussi" in content
        for label, url in links(family).items():
            assert f'<a href="{url}">{label}</a>' in content, (view, label)
    for url in links(family).values():
        assert client.get(url).status_code == 200, url


def test_links_follow_permissions(verified_client, structure, family):
    from django.contrib.auth.models import Group, Permission

    # Staff who may see families but neither the ledger nor bookings get no dead links.
    user = UserFactory(username="accueil.test")
    group = Group.objects.create(name="Accueil")
    group.permissions.add(
        Permission.objects.get(codename="access_admin"),
        Permission.objects.get(content_type__app_label="parents", codename="view_family"),
        Permission.objects.get(content_type__app_label="parents", codename="change_family"),
    )
    user.groups.add(group)
    user.structures.add(structure)
    content = verified_client(user).get(reverse("families:edit", args=[family.pk])).content
    content = unescape(content.decode())
    assert reverse("billing_statements:statement", args=[family.pk]) not in content
    assert reverse("reservation_on_behalf:family", args=[family.pk]) not in content


def test_another_structures_director_sees_neither_page_nor_links(
    director, verified_client, other_guardian
):
    client = verified_client(director)
    other = other_guardian.family

    assert client.get(reverse("families:edit", args=[other.pk])).status_code in (302, 404)
    for url in links(other).values():
        assert client.get(url).status_code in (302, 403, 404), url
