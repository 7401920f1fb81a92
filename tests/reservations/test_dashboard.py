"""The bookings panels of the admin's home page: absence justifications to decide and
waiting lists; the director's structures only."""

from datetime import date

from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

import pytest

from reservations import services
from reservations.models import WaitingListEntry
from tests.billing.test_dashboard import home_text
from tests.factories.parents import ChildFactory, FamilyFactory, GuardianFactory

from .factories import brackets, slot, unit, utc, wednesdays

pytestmark = pytest.mark.django_db


def booked_day(structure, first_name):
    family = FamilyFactory(structure=structure)
    GuardianFactory(family=family, user=None, email="")
    child = ChildFactory(family=family, first_name=first_name, birth_date=date(2019, 5, 1))
    low, middle, high = brackets(structure)
    november = wednesdays(
        structure, date(2026, 11, 1), date(2026, 11, 30), opens=date(2026, 10, 1), name="Nov"
    )
    journee = unit(november, prices=dict.fromkeys((low, middle, high), ("10.00", "3.00")))
    day_slot = slot(journee, date(2026, 11, 18))
    booking = services.book(child, day_slot, now=utc(2026, 11, 1, 8))
    return child, day_slot, booking


def justify(booking):
    return services.justify_absence(
        booking,
        reason="Varicelle",
        document=ContentFile(b"%PDF-1.4", name="certificat.pdf"),
        now=utc(2026, 11, 19, 8),
    )


def wait(child, day_slot, status):
    return WaitingListEntry.objects.create(
        slot=day_slot,
        child=child,
        family=child.family,
        channel=WaitingListEntry.Channel.ONLINE,
        status=status,
        created_at=timezone.now(),
    )


def test_absences_and_waiting_lists_per_structure(
    director, verified_client, structure, other_structure
):
    lea, brax_slot, brax_booking = booked_day(structure, "Léa")
    nina, levignac_slot, levignac_booking = booked_day(other_structure, "Nina")
    justify(brax_booking)
    justify(levignac_booking)
    wait(lea, brax_slot, WaitingListEntry.Status.OFFERED)
    wait(ChildFactory(family=lea.family), brax_slot, WaitingListEntry.Status.WAITING)
    wait(ChildFactory(family=lea.family), brax_slot, WaitingListEntry.Status.WAITING)
    wait(nina, levignac_slot, WaitingListEntry.Status.OFFERED)
    client = verified_client(director)

    text = home_text(client)

    assert "Justificatifs d'absence à traiter" in text
    assert "Commune de Brax : 1 justificatif à traiter" in text
    assert "Listes d'attente" in text
    assert "Commune de Brax : 1 place proposée, en attente de réponse" in text
    assert "Commune de Brax : 2 enfants en attente" in text
    assert "Lévignac" not in text
    content = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("reservation_absences:index") in content
    assert reverse("reservation_dashboard:index") in content


def test_nothing_waiting_says_so(director, verified_client, structure):
    text = home_text(verified_client(director))

    assert "Justificatifs d'absence à traiter Rien à traiter." in text
