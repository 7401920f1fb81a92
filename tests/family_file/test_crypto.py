"""Health values are not readable in the database nor on disk; keys rotate."""

from django.core.management import call_command
from django.db import connection

import pytest
from cryptography.fernet import Fernet

from family_file import services
from family_file.crypto import DecryptionError, encrypted_storage
from family_file.models import HealthSheet, PendingChange, SupportingDocument
from tests.factories.family_file import PDF_BYTES, pdf_upload

pytestmark = pytest.mark.django_db


def raw(table, column, pk):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


@pytest.fixture
def sheet(child, guardian, structure):
    from family_file.models import FamilyFileSettings

    FamilyFileSettings.objects.create(structure=structure, fields_to_validate=[])
    services.submit_health_sheet(
        child,
        {"allergy_food": "Arachides", "treatment": "Ventoline", "pai": True},
        certified=True,
        by=guardian.user,
        pai_document=pdf_upload("pai.pdf"),
    )
    return HealthSheet.objects.get(child=child)


def test_health_values_are_not_readable_in_the_database(sheet):
    column = raw("family_file_healthsheet", "data", sheet.pk)
    assert column.startswith("gAAAAA")
    for value in ("Arachides", "Ventoline", "allergy_food", "pai"):
        assert value not in column
    assert HealthSheet.objects.get(pk=sheet.pk).data["allergy_food"] == "Arachides"


def test_pending_health_changes_are_encrypted_too(child, guardian):
    services.submit_health_sheet(child, {"allergy_food": "Kiwi"}, certified=True, by=guardian.user)
    change = PendingChange.objects.get()
    for column in ("before", "after"):
        assert "Kiwi" not in (raw("family_file_pendingchange", column, change.pk) or "")


def test_documents_are_encrypted_on_disk(sheet, family, insurance, guardian):
    document = services.upload_document(family, insurance, pdf_upload(), by=guardian.user)
    stored = encrypted_storage.raw_bytes(document.file.name)
    assert not stored.startswith(b"%PDF")
    assert PDF_BYTES not in stored
    assert sheet.pai_document.name.endswith(".pdf")
    assert encrypted_storage.raw_bytes(sheet.pai_document.name)[:4] != b"%PDF"
    with SupportingDocument.objects.get().file.open("rb") as handle:
        assert handle.read() == PDF_BYTES


def test_key_rotation_re_encrypts_rows_and_files(sheet, settings, family, insurance, guardian):
    document = services.upload_document(family, insurance, pdf_upload(), by=guardian.user)
    old_key = settings.FAMILY_FILE_ENCRYPTION_KEYS[0]
    new_key = Fernet.generate_key().decode()
    settings.FAMILY_FILE_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("rotate_family_file_key", stdout=None)
    # The old key can now go: everything still reads.
    settings.FAMILY_FILE_ENCRYPTION_KEYS = [new_key]
    assert HealthSheet.objects.get(pk=sheet.pk).data["treatment"] == "Ventoline"
    with SupportingDocument.objects.get(pk=document.pk).file.open("rb") as handle:
        assert handle.read() == PDF_BYTES
    with HealthSheet.objects.get(pk=sheet.pk).pai_document.open("rb") as handle:
        assert handle.read() == PDF_BYTES


def test_a_missing_key_fails_loudly_instead_of_showing_ciphertext(sheet, settings):
    settings.FAMILY_FILE_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(DecryptionError):
        HealthSheet.objects.get(pk=sheet.pk)
