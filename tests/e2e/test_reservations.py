"""Bookings in a real browser, as the demo parent: book a day, cancel it, join a waiting list.

The calendar is a plain form; its script only unticks the other units of a day and counts
the changes. Every page is checked with axe-core (WCAG 2.1 A and AA).
"""

import re

from django.urls import reverse
from django.utils import timezone

import pytest
from playwright.sync_api import expect

from core.dates import format_date
from parents import demo as parents_demo
from parents.models import Child
from reservations import demo as reservations_demo
from reservations import services
from reservations.models import Booking, Slot, WaitingListEntry

from .conftest import assert_accessible, login

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def bookings_demo(transactional_db):
    parents_demo.load()
    return reservations_demo.load()


def day_label(value):
    return format_date(value, "l j F Y")


def pick_days(period, hugo):
    """A free Wednesday Hugo is not booked on, and a full one with one family waiting."""
    now = timezone.now()
    slots = list(
        Slot.objects.filter(
            day__period=period, unit__name="Journée avec repas", day__is_closed=False
        )
        .select_related("day__period")
        .order_by("day__date")
    )
    taken = services.occupancy(slots, now)
    booked = set(
        Booking.objects.filter(child=hugo, status="booked").values_list("day_id", flat=True)
    )
    open_slots = [s for s in slots if services.deadline_of(s) > now and s.day_id not in booked]
    free = next(s for s in open_slots if taken[s.pk] < s.capacity)
    full = next(
        s
        for s in open_slots
        if taken[s.pk] >= s.capacity and WaitingListEntry.objects.filter(slot=s).exists()
    )
    return free, full


def test_demo_parent_books_cancels_and_joins_a_waiting_list(
    page, live_server, bookings_demo, browser_problems
):
    wednesdays = bookings_demo["wednesdays"]
    hugo = Child.objects.get(family__reference="DUP001", first_name="Hugo")
    free, full = pick_days(wednesdays, hugo)

    login(page, live_server, "parent.demo", parents_demo.PARENT_PASSWORD)
    page.get_by_role("navigation", name="Menu de l'espace famille").get_by_role(
        "link", name="Réservations", exact=True
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Réservations")
    expect(page.get_by_text(re.compile(r"Hugo : \d+ jours? réservés?")).first).to_be_visible()
    assert_accessible(page)

    # One calendar for the family: each day lists Léa and Hugo, each with their choices.
    page.get_by_role("link", name=wednesdays.name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(wednesdays.name)
    assert_accessible(page)

    # The script keeps one unit per day and counts the ticked changes.
    morning = Slot.objects.get(day=free.day, unit__name="Matin sans repas")
    page.locator(f"#book-{hugo.pk}-{morning.pk}").check()
    page.locator(f"#book-{hugo.pk}-{free.pk}").check()
    expect(page.locator(f"#book-{hugo.pk}-{morning.pk}")).not_to_be_checked()
    expect(page.locator("[data-selection-count]")).to_have_text("1 changement sélectionné")

    page.get_by_role("button", name="Valider mes choix").click()
    booked = f"Réservé : Hugo, {day_label(free.day.date)} — Journée avec repas"
    expect(page.get_by_role("status")).to_contain_text(booked)
    booking = Booking.objects.get(child=hugo, slot=free, status="booked")
    assert booking.on_behalf is False

    page.locator(f"#cancel-{booking.pk}").check()
    page.get_by_role("button", name="Valider mes choix").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"Annulé : Hugo, {day_label(free.day.date)} — Journée avec repas"
    )
    booking.refresh_from_db()
    assert booking.status == "cancelled"

    page.locator(f"#wait-{hugo.pk}-{full.pk}").check()
    page.get_by_role("button", name="Valider mes choix").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"Inscrit en liste d'attente : Hugo, {day_label(full.day.date)} — Journée avec repas"
    )
    # The family already waiting asked the centre by phone: online requests come first.
    expect(
        page.get_by_text("Journée avec repas : complet — liste d'attente, rang 1.")
    ).to_be_visible()
    assert_accessible(page)

    page.goto(live_server.url + reverse("reservations:history"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Historique des réservations")
    expect(page.get_by_role("row").filter(has_text="Inscrit en liste d'attente")).to_have_count(1)
    assert_accessible(page)
    assert browser_problems == []
