"""Per-structure settings read from the shared cache, forgotten as soon as they change."""

import pytest

from billing.direct_debit.models import DirectDebitSettings
from billing.direct_debit.services import direct_debit_settings
from core.structure_cache import settings_for
from family_file.models import FamilyFileSettings

pytestmark = pytest.mark.django_db


def test_read_once_then_from_the_cache(structure, shared_cache, django_assert_num_queries):
    FamilyFileSettings.objects.create(structure=structure, bookings_need_complete_file=True)
    with django_assert_num_queries(1):
        assert settings_for(FamilyFileSettings, structure).bookings_need_complete_file
    with django_assert_num_queries(0):
        found = settings_for(FamilyFileSettings, structure)
        assert found.bookings_need_complete_file
        assert found.structure == structure


def test_a_saved_or_deleted_row_is_seen_at_once(structure, shared_cache):
    assert not settings_for(FamilyFileSettings, structure).pk  # defaults, cached too
    row = FamilyFileSettings.objects.create(structure=structure, bookings_need_complete_file=True)
    assert settings_for(FamilyFileSettings, structure).bookings_need_complete_file
    row.bookings_need_complete_file = False
    row.save()
    assert not settings_for(FamilyFileSettings, structure).bookings_need_complete_file
    row.delete()
    assert settings_for(FamilyFileSettings, structure).pk is None


def test_direct_debit_switched_on_is_offered_at_once(structure, shared_cache):
    assert not direct_debit_settings(structure, read_only=True).is_ready
    DirectDebitSettings.objects.create(
        structure=structure,
        enabled=True,
        creditor_name="Commune de Brax",
        creditor_identifier="FR12ZZZ123456",
        creditor_iban="FR7630006000011234567890189",
    )
    assert direct_debit_settings(structure, read_only=True).is_ready


def test_each_structure_has_its_own(structure, other_structure, shared_cache):
    FamilyFileSettings.objects.create(structure=structure, bookings_need_complete_file=True)
    assert settings_for(FamilyFileSettings, structure).bookings_need_complete_file
    assert not settings_for(FamilyFileSettings, other_structure).bookings_need_complete_file
