"""The family calendar: every child of the family on one page, booked in one submission."""

from django.contrib.auth.models import Group
from django.urls import reverse

import pytest

from parents.roles import DIRECTION_GROUP, setup_roles
from reservations import services
from reservations.models import Booking, WaitingListEntry
from tests.factories.parents import ChildFactory, FamilyFactory, UserFactory

from .conftest import messages_of, page_text
from .factories import slot, unit, wednesdays
from .test_views import Setup, label

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(structure):
    return Setup(structure)


def calendar_url(period):
    return reverse("reservations:family-calendar", args=(period.pk,))


def child_block(response, day, child):
    """The HTML of one child's part of one day card: up to the next child or the card's end."""
    content = response.content.decode()
    start = content.index(f'id="day-{day.pk}-child-{child.pk}"')
    ends = [content.find(mark, start + 1) for mark in (f'id="day-{day.pk}-child-', "</li>")]
    return content[start : min(end for end in ends if end > 0)]


def test_the_bookings_page_opens_one_calendar_for_the_family(parent_client, setup, lea, hugo):
    response = parent_client.get(reverse("reservations:bookings"))
    text = page_text(response)
    # In the family's order of children (eldest first).
    names = [child.first_name for child in lea.family.children.all()]
    assert sorted(names) == ["Hugo", "Léa"]
    assert ", ".join(f"{name} : 0 jour réservé" for name in names) in text
    assert f'href="{calendar_url(setup.period)}"' in response.content.decode()


def test_every_child_is_on_each_day_of_the_calendar(parent_client, setup, lea, hugo):
    target = slot(setup.journee, setup.open)
    services.book(lea, target)
    response = parent_client.get(calendar_url(setup.period))
    assert response.status_code == 200
    assert page_text(response).startswith("Mercredis de l'année") or (
        "Mercredis de l'année" in page_text(response)
    )
    lea_block = child_block(response, target.day, lea)
    assert "Réservé : Journée avec repas" in lea_block
    hugo_block = child_block(response, target.day, hugo)
    assert f'name="book-{hugo.pk}" value="{target.pk}"' in hugo_block
    full = slot(setup.journee, setup.full)
    assert f'name="wait-{lea.pk}" value="{full.pk}"' in child_block(response, full.day, lea)


def test_two_children_are_booked_in_one_submission(
    parent_client, setup, lea, hugo, django_capture_on_commit_callbacks
):
    journee = slot(setup.journee, setup.open)
    matin = slot(setup.matin, setup.wednesdays[8])
    url = calendar_url(setup.period)
    with django_capture_on_commit_callbacks(execute=True):
        response = parent_client.post(
            url,
            {
                f"book-{lea.pk}": [journee.pk],
                f"book-{hugo.pk}": [
                    journee.pk,
                ],
            },
            follow=True,
        )
    assert response.redirect_chain == [(url, 302)]
    assert Booking.objects.get(child=lea, status="booked").slot == journee
    assert Booking.objects.get(child=hugo, status="booked").slot == journee
    assert messages_of(response) == [
        f"Réservé : Léa, {label(setup.open)} — Journée avec repas",
        f"Réservé : Hugo, {label(setup.open)} — Journée avec repas",
    ]
    # Then one child's booking is cancelled and the other books a morning, together again.
    lea_booking = Booking.objects.get(child=lea)
    response = parent_client.post(
        url, {"cancel": [lea_booking.pk], f"book-{hugo.pk}": [matin.pk]}, follow=True
    )
    lea_booking.refresh_from_db()
    assert lea_booking.status == Booking.Status.CANCELLED
    assert Booking.objects.filter(child=hugo, status="booked").count() == 2


def test_a_refusal_is_shown_next_to_the_child_it_concerns(
    parent_client, setup, lea, hugo, structure
):
    # One place left on that day: the first child takes it, the second is refused.
    target = slot(setup.journee, setup.open)
    services.book(ChildFactory(family=FamilyFactory(structure=structure)), target)
    url = calendar_url(setup.period)
    response = parent_client.post(
        url, {f"book-{lea.pk}": [target.pk], f"book-{hugo.pk}": [target.pk]}, follow=True
    )
    assert response.redirect_chain == [(url + "#refusals", 302)]
    assert Booking.objects.filter(child=lea, status="booked").count() == 1
    assert not Booking.objects.filter(child=hugo).exists()
    refusal = f"Journée avec repas du {label(setup.open)} est complet."
    assert messages_of(response) == [f"Réservé : Léa, {label(setup.open)} — Journée avec repas"]
    assert refusal in child_block(response, target.day, hugo)
    assert refusal not in child_block(response, target.day, lea)
    summary = page_text(response).split("Certains choix n'ont pas pu être enregistrés :")[1]
    assert summary.strip().startswith(f"Hugo — {refusal}")
    assert f'href="#day-{target.day.pk}-child-{hugo.pk}"' in response.content.decode()
    # Shown once: the next visit is a clean calendar.
    assert refusal not in page_text(parent_client.get(url))


def test_an_age_group_applies_to_each_child(parent_client, setup, lea, hugo):
    """The services check each child: a waiting list joined for one child, a booking for the
    other, in one submission."""
    full = slot(setup.journee, setup.full)
    free = slot(setup.journee, setup.open)
    parent_client.post(
        calendar_url(setup.period), {f"wait-{lea.pk}": [full.pk], f"book-{hugo.pk}": [free.pk]}
    )
    assert WaitingListEntry.objects.get(child=lea).slot == full
    assert Booking.objects.get(child=hugo).slot == free


def test_another_familys_child_in_the_submission_is_refused(
    parent_client, setup, lea, jules, other_guardian
):
    target = slot(setup.journee, setup.open)
    url = calendar_url(setup.period)
    response = parent_client.post(
        url, {f"book-{lea.pk}": [target.pk], f"book-{jules.pk}": [target.pk]}
    )
    assert response.status_code == 404
    assert not Booking.objects.filter(child=lea).exists()
    theirs = services.book(jules, target)
    assert parent_client.post(url, {"cancel": [theirs.pk]}).status_code == 404
    # Malformed child or slot ids are a bad request.
    assert parent_client.post(url, {"book-x": [target.pk]}).status_code == 400
    assert parent_client.post(url, {f"book-{lea.pk}": ["x"]}).status_code == 400
    # A slot of another structure's period does not exist for this family.
    elsewhere = wednesdays(
        other_guardian.family.structure, setup.period.first_day, setup.period.last_day
    )
    foreign_slot = slot(unit(elsewhere), setup.open)
    assert parent_client.post(url, {f"book-{lea.pk}": [foreign_slot.pk]}).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Booking.Status.BOOKED
    assert not Booking.objects.filter(child=lea).exists()


def test_three_actors_cannot_reach_the_calendar(
    client, setup, lea, other_guardian, other_structure
):
    url = calendar_url(setup.period)
    target = slot(setup.journee, setup.open)
    # Anonymous: sent to the login page.
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("parents:login"))
    assert client.post(url, {f"book-{lea.pk}": [target.pk]}).status_code == 302
    # Another family, of another structure: this period does not exist for it.
    client.force_login(other_guardian.user)
    assert client.get(url).status_code == 404
    assert client.post(url, {f"book-{lea.pk}": [target.pk]}).status_code == 404
    # A director of another structure: the family area does not exist for staff.
    setup_roles()
    director = UserFactory(username="directeur.levignac")
    director.groups.add(Group.objects.get(name=DIRECTION_GROUP))
    director.structures.add(other_structure)
    client.force_login(director)
    assert client.get(url).status_code == 404
    assert client.post(url, {f"book-{lea.pk}": [target.pk]}).status_code == 404
    assert not Booking.objects.filter(child=lea).exists()


def test_a_family_without_children_is_told_to_contact_the_centre(parent_client, setup, family):
    family.children.all().delete()
    text = page_text(parent_client.get(calendar_url(setup.period)))
    assert "Aucun enfant n'est encore inscrit pour votre famille : contactez le centre." in text
    assert "Valider mes choix" not in text
