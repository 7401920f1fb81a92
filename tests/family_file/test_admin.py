import io

from django.urls import reverse

from wagtail.models import ModelLogEntry

import pytest
from pypdf import PdfReader

from family_file import services
from family_file.models import (
    FamilyQuotient,
    GuardianDetails,
    PendingChange,
    SheetConsultation,
    SupportingDocument,
)
from parents.addresses import guardian_addresses
from tests.factories.family_file import DocumentRequirementFactory, pdf_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def sheet_change(child, guardian):
    services.submit_health_sheet(
        child, {"allergy_food": "Kiwi", "pai": True}, certified=True, by=guardian.user
    )
    return PendingChange.objects.get(child=child)


@pytest.fixture
def document(family, insurance, guardian):
    return services.upload_document(family, insurance, pdf_upload(), by=guardian.user)


@pytest.fixture
def caf(structure):
    return DocumentRequirementFactory(structure=structure, kind="quotient", name="Attestation CAF")


def test_every_family_file_admin_page_opens(director_client, family, child, sheet_change, document):
    for url in (
        reverse("family_files:index") + "?all=1",
        reverse("family_files:family", args=(family.pk,)),
        reverse("family_files:health", args=(child.pk,)),
        reverse("family_file_changes:index"),
        reverse("family_file_changes:review", args=(sheet_change.pk,)),
        reverse("family_file_documents:index"),
        reverse("family_file_documents:review", args=(document.pk,)),
        reverse("family_file_requirements:index"),
        reverse("family_file_requirements:add"),
        reverse("family_file_rules:index"),
        reverse("family_file_rules:add"),
        reverse("family_file_settings:index"),
        reverse("family_file_quotients:index"),
        reverse("family_file_quotients:add"),
    ):
        assert director_client.get(url).status_code == 200, url


def test_incomplete_families_are_listed(director_client, family, insurance):
    page = director_client.get(reverse("family_files:index")).content.decode()
    assert "DUPONT" in page
    assert "manquante" in page


def test_director_accepts_a_health_sheet_change_from_the_queue(
    director_client, sheet_change, child
):
    queue = director_client.get(reverse("family_file_changes:index")).content.decode()
    assert reverse("family_file_changes:review", args=(sheet_change.pk,)) in queue
    review = director_client.get(reverse("family_file_changes:review", args=(sheet_change.pk,)))
    assert "Kiwi" in review.content.decode()
    response = director_client.post(
        reverse("family_file_changes:review", args=(sheet_change.pk,)),
        {"decision": "accept", "message": ""},
    )
    assert response.status_code == 302
    sheet_change.refresh_from_db()
    assert sheet_change.status == "accepted"
    assert services.health_sheet(child).data["allergy_food"] == "Kiwi"


def test_refusing_without_a_reason_is_refused(director_client, sheet_change):
    response = director_client.post(
        reverse("family_file_changes:review", args=(sheet_change.pk,)),
        {"decision": "refuse", "message": ""},
    )
    assert response.status_code == 200
    assert "motif du refus" in response.content.decode()
    sheet_change.refresh_from_db()
    assert sheet_change.status == "pending"


def test_accepting_a_caf_letter_records_the_quotient(director_client, family, caf, guardian):
    document = services.upload_document(family, caf, pdf_upload(), by=guardian.user)
    url = reverse("family_file_documents:review", args=(document.pk,))
    response = director_client.post(url, {"decision": "accept"})
    assert response.status_code == 200  # quotient and date are required for a CAF letter
    response = director_client.post(
        url,
        {
            "decision": "accept",
            "quotient": "712.50",
            "effective_date": "2026-09-01",
            "valid_until": "2027-08-31",
        },
    )
    assert response.status_code == 302
    row = FamilyQuotient.objects.get(family=family)
    assert str(row.quotient) == "712.50"
    assert row.document == document
    assert services.quotient_on(family, row.effective_date) == row.quotient


def test_refused_document_carries_its_reason(director_client, document):
    director_client.post(
        reverse("family_file_documents:review", args=(document.pk,)),
        {"decision": "refuse", "reason": "Illisible"},
    )
    document.refresh_from_db()
    assert document.status == "refused"
    assert document.refusal_reason == "Illisible"


def test_expired_document_shows_as_expired(family, insurance, guardian, director):
    from datetime import timedelta

    from django.utils import timezone

    document = services.upload_document(family, insurance, pdf_upload(), by=guardian.user)
    services.accept_document(
        document, by=director, valid_until=timezone.localdate() - timedelta(days=1)
    )
    rows = services.document_rows(family)
    assert [row.status for row in rows] == ["expired"]


def test_opening_a_sheet_is_logged_and_shown_to_the_family(
    director_client, director, child, sheet_change, guardian
):
    from django.test import Client

    director_client.get(reverse("family_files:health", args=(child.pk,)))
    response = director_client.get(reverse("family_files:health_pdf", args=(child.pk,)))
    assert response.status_code == 200
    pdf = PdfReader(io.BytesIO(response.content))
    text = pdf.pages[0].extract_text()
    assert "Fiche sanitaire" in text
    kinds = list(SheetConsultation.objects.filter(child=child).values_list("kind", flat=True))
    assert sorted(kinds) == ["pdf", "screen"]
    parent_client = Client()
    parent_client.force_login(guardian.user)
    page = parent_client.get(reverse("family_file:health", args=(child.pk,))).content.decode()
    assert "Consultations de la fiche" in page
    assert "directeur.test" in page


def test_health_sheet_pdf_is_tagged_pdf_ua(director_client, child, sheet_change, director):
    services.accept_change(sheet_change, by=director)
    response = director_client.get(reverse("family_files:health_pdf", args=(child.pk,)))
    pdf = PdfReader(io.BytesIO(response.content))
    assert pdf.trailer["/Root"]["/MarkInfo"]["/Marked"]
    assert pdf.trailer["/Root"]["/Lang"] == "fr"
    assert "Kiwi" in pdf.pages[0].extract_text()


# --- Scope: a director of another structure, a family, anonymous -------------------------


def admin_urls(family, child, change, document):
    return [
        reverse("family_files:family", args=(family.pk,)),
        reverse("family_files:health", args=(child.pk,)),
        reverse("family_files:health_pdf", args=(child.pk,)),
        reverse("family_files:pai", args=(child.pk,)),
        reverse("family_file_changes:review", args=(change.pk,)),
        reverse("family_file_documents:review", args=(document.pk,)),
        reverse("family_file_documents:file", args=(document.pk,)),
        reverse("family_files:guardian_address", args=(family.guardians.get().pk,)),
    ]


def test_director_of_another_structure_gets_404_and_changes_nothing(
    verified_client, other_director, family, child, sheet_change, document
):
    client = verified_client(other_director)
    for url in admin_urls(family, child, sheet_change, document):
        assert client.get(url).status_code == 404, url
    client.post(
        reverse("family_file_changes:review", args=(sheet_change.pk,)), {"decision": "accept"}
    )
    client.post(
        reverse("family_file_documents:review", args=(document.pk,)), {"decision": "accept"}
    )
    client.post(
        reverse("family_files:guardian_address", args=(family.guardians.get().pk,)),
        {"address_line1": "8 chemin des Vignes", "postcode": "31880", "city": "La Salvetat"},
    )
    assert not GuardianDetails.objects.exists()
    sheet_change.refresh_from_db()
    document.refresh_from_db()
    assert sheet_change.status == "pending"
    assert document.status == "pending"
    assert not SheetConsultation.objects.exists()
    queue = client.get(reverse("family_file_changes:index")).content.decode()
    assert "DUPONT" not in queue
    assert "DUPONT" not in client.get(reverse("family_files:index") + "?all=1").content.decode()


def test_parent_and_anonymous_cannot_reach_the_admin(
    client, guardian, family, child, sheet_change, document
):
    for url in admin_urls(family, child, sheet_change, document):
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/admin/login/" in response["Location"]
    client.force_login(guardian.user)
    for url in admin_urls(family, child, sheet_change, document):
        assert client.get(url).status_code in (302, 403), url
    assert not SheetConsultation.objects.exists()
    assert SupportingDocument.objects.get().status == "pending"


def test_a_director_sets_a_guardians_own_address_at_once(
    director_client, director, family, guardian
):
    page = director_client.get(reverse("family_files:family", args=(family.pk,))).content.decode()
    url = reverse("family_files:guardian_address", args=(guardian.pk,))
    assert url in page
    form = director_client.get(url).content.decode()
    assert "si elle diffère de celle de la famille" in form

    response = director_client.post(
        url, {"address_line1": "8 chemin des Vignes", "postcode": "31880", "city": "La Salvetat"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("family_files:family", args=(family.pk,))
    # The director checks the addresses: theirs does not wait in the queue.
    assert not PendingChange.objects.exists()
    details = services.guardian_details(guardian)
    assert (details.address_line1, details.postcode, details.city) == (
        "8 chemin des Vignes",
        "31880",
        "La Salvetat",
    )
    entry = ModelLogEntry.objects.get(action="family_file.update_guardian")
    assert (entry.user, entry.data["applied"]) == (director, ["address_line1", "city", "postcode"])
    assert guardian_addresses([guardian.pk]) == {
        guardian.pk: "8 chemin des Vignes\n31880 La Salvetat"
    }
