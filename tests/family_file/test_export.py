"""'Mes données': one ZIP with a readable JSON, the documents and the health sheets."""

import io
import json
import zipfile

from django.urls import reverse

import pytest

from family_file import services
from parents.data_export import Contribution, register_contributor
from tests.factories.family_file import PDF_BYTES, pdf_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def filled(family, child, guardian, insurance, rules, structure, director):
    from family_file.models import FamilyFileSettings

    FamilyFileSettings.objects.create(structure=structure, fields_to_validate=[])
    services.submit_health_sheet(
        child, {"allergy_food": "Arachides"}, certified=True, by=guardian.user
    )
    services.upload_document(family, insurance, pdf_upload("assurance.pdf"), by=guardian.user)
    services.accept_rules(family, rules, by=guardian.user)
    services.record_quotient(family, 640, child.birth_date, by=director)


def download(client):
    response = client.get(reverse("parents:my-data"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Cache-Control"].startswith("max-age=0")
    return zipfile.ZipFile(io.BytesIO(response.content))


def test_my_data_holds_everything_on_the_family(parent_client, filled, child):
    archive = download(parent_client)
    names = archive.namelist()
    data = json.loads(archive.read("donnees.json"))
    assert data["famille"]["nom"] == "DUPONT"
    assert data["responsables"][0]["identifiant"] == "parent.test"
    section = data["family_file"]
    assert section["enfants"][0]["fiche_sanitaire"]["Allergies alimentaires"] == "Arachides"
    assert section["reglement_interieur"][0]["version"] == "Septembre 2026"
    assert section["quotients_familiaux"][0]["quotient"] == "640.00"
    assert any(n.startswith("pieces-justificatives/") for n in names)
    document = next(n for n in names if n.startswith("pieces-justificatives/"))
    assert archive.read(document) == PDF_BYTES
    sheet = f"fiches-sanitaires/fiche-sanitaire-{child.first_name}.pdf"
    assert archive.read(sheet).startswith(b"%PDF")


def test_other_apps_contribute_their_documents(parent_client, family):
    def invoices(exported_family):
        assert exported_family == family
        return Contribution(
            data=[{"numero": "F2026/0001"}], files=[("factures/F2026-0001.pdf", b"%PDF-1.7")]
        )

    register_contributor("test_invoices", invoices)
    try:
        archive = download(parent_client)
    finally:
        from parents import data_export

        data_export._contributors.pop("test_invoices")
    assert json.loads(archive.read("donnees.json"))["test_invoices"] == [{"numero": "F2026/0001"}]
    assert archive.read("factures/F2026-0001.pdf") == b"%PDF-1.7"


def test_another_family_data_is_not_in_my_zip(parent_client, filled, other_guardian):
    from django.test import Client

    client = Client()
    client.force_login(other_guardian.user)
    archive = download(client)
    content = json.dumps(json.loads(archive.read("donnees.json")))
    assert "DUPONT" not in content
    assert "Arachides" not in content
    assert not [n for n in archive.namelist() if n != "donnees.json"]
