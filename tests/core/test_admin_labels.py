"""Admin labels in proper French: each list's add button and each create page name their
model with its gender and elision, never Wagtail's generic "Nouvel(le) : Facture"."""

import re
from html import unescape

from django.urls import reverse

import pytest

from tests.factories.billing import draft_invoice, line
from tests.factories.parents import UserFactory

pytestmark = pytest.mark.django_db

# (viewset name, add button, create page title)
LABELS = [
    ("structures", "Ajouter une structure", "Nouvelle structure"),
    ("families", "Ajouter une famille", "Nouvelle famille"),
    ("guardians", "Ajouter un responsable légal", "Nouveau responsable légal"),
    ("children", "Ajouter un enfant", "Nouvel enfant"),
    ("invoices", "Ajouter une facture", "Nouvelle facture"),
    ("payments", "Ajouter un règlement", "Nouveau règlement"),
    (
        "reservation_periods",
        "Ajouter une période de réservation",
        "Nouvelle période de réservation",
    ),
    ("reservation_units", "Ajouter une unité", "Nouvelle unité"),
    ("reservation_outings", "Ajouter une sortie", "Nouvelle sortie"),
    ("reservation_brackets", "Ajouter une tranche tarifaire", "Nouvelle tranche tarifaire"),
    ("reservation_age_groups", "Ajouter un groupe d'âge", "Nouveau groupe d'âge"),
    (
        "collection_privacy",
        "Ajouter une règle de confidentialité",
        "Nouvelle règle de confidentialité",
    ),
]


@pytest.fixture
def admin_client(verified_client, structure):
    return verified_client(UserFactory(username="admin.test", is_superuser=True, is_staff=True))


def text(response):
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


@pytest.mark.parametrize(("name", "add", "new"), LABELS)
def test_lists_and_create_pages_speak_proper_french(admin_client, name, add, new):
    listing = admin_client.get(reverse(f"{name}:index"))
    assert listing.status_code == 200
    assert add in text(listing)
    assert "Ajouter un(e)" not in text(listing)

    create = admin_client.get(reverse(f"{name}:add"))
    assert create.status_code == 200
    assert re.search(
        rf"<h1[^>]*>\s*(<[^>]+>\s*)*{re.escape(new)}", unescape(create.content.decode())
    )
    assert new in text(create)
    assert "Nouvel(le)" not in text(create)


def test_list_counts_use_the_plural(director, verified_client, family):
    client = verified_client(director)
    draft_invoice(family, line("10.00"))
    draft_invoice(family, line("12.00"))

    assert "2 factures" in text(client.get(reverse("invoices:index")))
    assert "1 famille" in text(client.get(reverse("families:index")))
