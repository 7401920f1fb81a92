"""purge_expired_data: health data of past seasons, families inactive for three years;
accounting records are kept."""

from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

import pytest

from family_file import services
from family_file.models import (
    AuthorisedPerson,
    HealthSheet,
    SupportingDocument,
)
from family_file.retention import purge_expired_data
from family_file.seasons import season_of
from parents.models import Family, Guardian, User
from tests.factories.family_file import DocumentRequirementFactory, pdf_upload
from tests.factories.parents import ChildFactory, FamilyFactory, GuardianFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def last_season_sheet(child, guardian, structure):
    from family_file.models import FamilyFileSettings

    FamilyFileSettings.objects.create(structure=structure, fields_to_validate=[])
    last_year = timezone.now() - timedelta(days=400)
    services.submit_health_sheet(
        child,
        {"allergy_food": "Arachides"},
        certified=True,
        by=guardian.user,
        now=last_year,
        pai_document=pdf_upload("pai.pdf"),
    )
    sheet = HealthSheet.objects.get(child=child)
    HealthSheet.objects.filter(pk=sheet.pk).update(updated_at=last_year)
    return sheet


def test_health_data_of_a_past_season_is_purged(last_season_sheet, family, guardian):
    old = DocumentRequirementFactory(
        structure=family.structure, kind="vaccinations", season=season_of() - 1, per_child=True
    )
    services.upload_document(
        family, old, pdf_upload(), by=guardian.user, child=last_season_sheet.child
    )
    pai_name = last_season_sheet.pai_document.name
    storage = last_season_sheet.pai_document.storage
    report = purge_expired_data()
    assert report.health_sheets == 1
    assert report.health_documents == 1
    sheet = HealthSheet.objects.get(pk=last_season_sheet.pk)
    assert sheet.data is None
    assert sheet.confirmed_season is None
    assert not storage.exists(pai_name)
    assert not SupportingDocument.objects.filter(requirement=old).exists()


def test_this_season_health_data_is_kept(child, guardian, structure):
    from family_file.models import FamilyFileSettings

    FamilyFileSettings.objects.create(structure=structure, fields_to_validate=[])
    services.submit_health_sheet(child, {"allergy_food": "Kiwi"}, certified=True, by=guardian.user)
    purge_expired_data()
    assert HealthSheet.objects.get(child=child).data["allergy_food"] == "Kiwi"


def test_dry_run_changes_nothing(last_season_sheet, capsys):
    call_command("purge_expired_data", "--dry-run")
    output = capsys.readouterr().out
    assert "Dry run" in output
    assert "Health sheets emptied (past seasons): 1" in output
    assert HealthSheet.objects.get(pk=last_season_sheet.pk).data == {"allergy_food": "Arachides"}


def inactive_family(structure, reference):
    family = FamilyFactory(structure=structure, reference=reference, name="ANCIENNE")
    ChildFactory(family=family)
    guardian = GuardianFactory(family=family)
    long_ago = timezone.now() - timedelta(days=365 * 4)
    Family.objects.filter(pk=family.pk).update(created_at=long_ago)
    User.objects.filter(pk=guardian.user_id).update(last_login=long_ago)
    AuthorisedPerson.objects.create(
        family=family, name="Mamie", relationship="Grand-mère", phone="1"
    )
    return family, guardian


def test_inactive_family_without_accounting_record_is_deleted(structure, family):
    old, guardian = inactive_family(structure, "OLD001")
    report = purge_expired_data()
    assert report.families_deleted == [f"OLD001 ({structure.slug})"]
    assert not Family.objects.filter(pk=old.pk).exists()
    assert not User.objects.filter(pk=guardian.user_id).exists()
    assert not AuthorisedPerson.objects.filter(family_id=old.pk).exists()
    # An active family is untouched.
    assert Family.objects.filter(pk=family.pk).exists()


def test_inactive_family_with_invoices_is_anonymised_and_invoices_kept(structure):
    from billing.models import Invoice
    from tests.factories.billing import InvoiceFactory

    old, guardian = inactive_family(structure, "OLD002")
    invoice = InvoiceFactory(family=old, structure=structure)
    report = purge_expired_data()
    assert report.families_anonymised == [f"OLD002 ({structure.slug})"]
    assert Invoice.objects.filter(pk=invoice.pk).exists()
    guardian = Guardian.objects.get(pk=guardian.pk)
    assert guardian.email == ""
    assert not guardian.user.is_active
    assert not guardian.user.has_usable_password()
    assert not AuthorisedPerson.objects.filter(family=old).exists()


def test_recent_attendance_keeps_a_family(structure):
    from tests.reservations import factories as booking_factories

    old, guardian = inactive_family(structure, "OLD003")
    period = booking_factories.wednesdays(
        structure,
        timezone.localdate() - timedelta(days=60),
        timezone.localdate() - timedelta(days=7),
    )
    booking_factories.unit(period, capacity=5)
    child = old.children.get()
    from reservations.models import Booking, Slot

    slot = Slot.objects.filter(day__period=period).first()
    Booking.objects.create(
        slot=slot, day=slot.day, child=child, family=old, status=Booking.Status.BOOKED
    )
    report = purge_expired_data()
    assert report.families_deleted == []
    assert report.families_anonymised == []
