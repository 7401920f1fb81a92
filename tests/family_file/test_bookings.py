"""What bookings take from the family file: the validated quotient for the price bracket,
the health markers and sheets on the attendance list, the complete-file rule."""

import io
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

import pytest
from pypdf import PdfReader

from family_file import services
from family_file.models import FamilyFileSettings, SheetConsultation
from reservations import services as booking_services
from reservations.models import Booking, Slot
from tests.factories.family_file import DocumentRequirementFactory, pdf_upload
from tests.reservations import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def period(structure):
    today = timezone.localdate()
    period = factories.wednesdays(
        structure,
        today - timedelta(days=7),
        today + timedelta(days=60),
        opens=today - timedelta(days=30),
    )
    factories.unit(period, capacity=5)
    return period


def first_open_slot(period):
    now = timezone.now()
    return next(
        slot
        for slot in Slot.objects.filter(day__period=period, outing__isnull=True).order_by(
            "day__date"
        )
        if booking_services.deadline_of(slot) > now
    )


def test_accepted_caf_letter_sets_the_price_bracket(structure, family, guardian, director):
    brackets = factories.brackets(structure)
    caf = DocumentRequirementFactory(structure=structure, kind="quotient", name="CAF")
    document = services.upload_document(family, caf, pdf_upload(), by=guardian.user)
    day = timezone.localdate()
    quotients = lambda: list(family.quotients.order_by("-effective_date"))  # noqa: E731
    assert booking_services.bracket_for(day, quotients(), brackets) == brackets[-1]
    services.accept_document(
        document, by=director, quotient=300, effective_date=day - timedelta(days=1)
    )
    assert booking_services.bracket_for(day, quotients(), brackets) == brackets[0]
    # Not retroactive: the day before the effective date keeps the highest bracket.
    assert (
        booking_services.bracket_for(day - timedelta(days=2), quotients(), brackets)
        == (brackets[-1])
    )


def test_complete_file_rule_blocks_family_bookings_and_names_what_is_missing(
    structure, family, child, guardian, period, director
):
    FamilyFileSettings.objects.create(structure=structure, bookings_need_complete_file=True)
    DocumentRequirementFactory(structure=structure, name="Assurance")
    slot = first_open_slot(period)
    with pytest.raises(booking_services.BookingError) as refusal:
        booking_services.book(child, slot, by=guardian.user)
    assert "Assurance" in str(refusal.value)
    assert not Booking.objects.exists()
    # The centre may still book on the family's behalf.
    booking_services.book(child, slot, by=director, on_behalf=True)
    assert Booking.objects.count() == 1


def test_booking_page_lists_what_is_missing_with_links(structure, parent_client, child, period):
    FamilyFileSettings.objects.create(structure=structure, bookings_need_complete_file=True)
    page = parent_client.get(reverse("reservations:bookings")).content.decode()
    assert "Complétez votre dossier famille pour réserver" in page
    assert reverse("family_file:health", args=(child.pk,)) in page


def test_complete_file_lets_the_family_book(structure, family, child, guardian, period, rules):
    FamilyFileSettings.objects.create(
        structure=structure, bookings_need_complete_file=True, fields_to_validate=[]
    )
    services.accept_rules(family, rules, by=guardian.user)
    services.submit_health_sheet(child, {}, certified=True, by=guardian.user)
    booking_services.book(child, first_open_slot(period), by=guardian.user)
    assert Booking.objects.count() == 1


def test_attendance_list_marks_allergy_pai_treatment_and_prints_the_sheets(
    structure, family, child, guardian, period, director, director_client
):
    FamilyFileSettings.objects.create(structure=structure, fields_to_validate=[])
    services.submit_health_sheet(
        child,
        {"allergy_food": "Arachides", "pai": True, "treatment": "Ventoline"},
        certified=True,
        by=guardian.user,
    )
    slot = first_open_slot(period)
    booking_services.book(child, slot, by=director, on_behalf=True)
    url = reverse("reservation_attendance:index")
    query = f"?structure={structure.pk}&date={slot.day.date:%Y-%m-%d}"
    page = director_client.get(url + query).content.decode()
    assert "Allergie" in page and "PAI" in page and "Traitement" in page
    response = director_client.get(url + query + "&format=health")
    assert response.status_code == 200
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Arachides" in text
    assert SheetConsultation.objects.get(child=child).kind == "day_pdf"


def test_day_sheets_of_another_structure_are_not_printed(
    structure, other_structure, child, period, director, verified_client, other_director
):
    slot = first_open_slot(period)
    booking_services.book(child, slot, by=director, on_behalf=True)
    client = verified_client(other_director)
    response = client.get(
        reverse("reservation_attendance:index")
        + f"?structure={structure.pk}&date={slot.day.date:%Y-%m-%d}&format=health"
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert not SheetConsultation.objects.exists()
