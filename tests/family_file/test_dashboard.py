"""The family file's panel of the admin's home page: supporting documents to check in the
director's structures only."""

from django.urls import reverse

import pytest

from family_file import services
from tests.billing.test_dashboard import home_text
from tests.factories.family_file import DocumentRequirementFactory, pdf_upload

pytestmark = pytest.mark.django_db


def test_documents_to_check_per_structure(
    director, verified_client, family, guardian, insurance, other_guardian, other_structure
):
    services.upload_document(family, insurance, pdf_upload(), by=guardian.user)
    other_insurance = DocumentRequirementFactory(structure=other_structure)
    services.upload_document(
        other_guardian.family, other_insurance, pdf_upload(), by=other_guardian.user
    )
    client = verified_client(director)

    text = home_text(client)

    assert "Pièces à vérifier" in text
    assert "Commune de Brax : 1 pièce à vérifier" in text
    assert "Lévignac" not in text
    content = client.get(reverse("wagtailadmin_home")).content.decode()
    assert reverse("family_file_documents:index") in content
