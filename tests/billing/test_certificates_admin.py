"""The directors' certificate pages: background generation, flagged cases, publication."""

import html
import re
from datetime import date

from django.contrib.auth.models import Group, Permission
from django.urls import reverse

import pytest

from billing.certificates.services import issue_attestations
from billing.certificates.viewsets import certificate_permissions
from billing.models import Certificate, CertificateRun
from parents.models import Family
from parents.roles import COMMUNICATION_GROUP, DIRECTION_GROUP, setup_roles
from tests.factories.parents import ChildFactory, FamilyFactory, GuardianFactory, UserFactory

from .conftest import squash
from .test_certificates import care, invoice, pay

pytestmark = pytest.mark.django_db

YEAR = 2025


@pytest.fixture
def staff(director):
    for app_label, codename in certificate_permissions():
        director.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return director


@pytest.fixture
def admin_client(verified_client, staff):
    return verified_client(staff)


@pytest.fixture
def families(structure):
    """Two families of Brax: one ordinary, one whose child was born on 1 January 2019."""
    made = []
    for reference, birth in (("MAR001", date(2020, 5, 12)), ("EDG001", date(2019, 1, 1))):
        family = FamilyFactory(structure=structure, reference=reference, name=reference[:3])
        GuardianFactory(family=family, user=None, email="")
        child = ChildFactory(family=family, first_name="Tom", birth_date=birth)
        invoice(family, date(YEAR, 6, 30), care(child, "25.00", date(YEAR, 6, 4)))
        pay(family, "25.00", date(YEAR, 7, 3))
        made.append(family)
    return made


def text(response):
    return squash(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def url(name, *args):
    return reverse(f"certificates:{name}", args=args)


def test_generation_runs_as_a_background_task_and_reports_progress(
    admin_client, structure, families, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url("generate"), {"structure": structure.pk, "year": YEAR})

    run = CertificateRun.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("run", run.pk)
    assert (run.status, run.total, run.done) == ("done", 2, 2)
    assert (run.generated, run.unchanged, run.flagged) == (2, 0, 1)
    assert run.task_id
    page = text(admin_client.get(url("run", run.pk)))
    assert "Terminée — 2 familles sur 2 (100 %)" in page
    assert "2 générées, 0 inchangées, 1 à vérifier" in page
    assert "EDG (EDG001): Tom EDG est né(e) le 1er janvier 2019" in page
    status = admin_client.get(url("run_status", run.pk)).json()
    assert (status["status"], status["percent"], status["finished"]) == ("done", 100, True)


def test_flagged_cases_are_reviewed_then_published(admin_client, structure, families, staff):
    issue_attestations(YEAR, structure=structure)
    flagged = Certificate.objects.get(flagged=True)

    page = text(admin_client.get(url("index"), {"structure": structure.pk, "year": YEAR}))
    assert "Cas à vérifier" in page and flagged.number in page
    response = admin_client.post(
        url("publish"), {"structure": structure.pk, "year": YEAR, "confirm": "on"}
    )
    assert response.status_code == 302
    assert set(Certificate.objects.values_list("number", "status")) == {
        (flagged.number, "draft"),
        (Certificate.objects.exclude(pk=flagged.pk).get().number, "published"),
    }

    admin_client.post(url("review", flagged.pk))
    flagged.refresh_from_db()
    assert flagged.reviewed_by == staff
    response = admin_client.post(
        url("publish"), {"structure": structure.pk, "year": YEAR, "confirm": "on"}, follow=True
    )

    assert set(Certificate.objects.values_list("status", flat=True)) == {"published"}
    # The same date as the page's own sentence about publication, in words.
    assert (
        f"1 attestations publiées (0 attestations corrigées remplacées) ; les familles les "
        f"voient à partir du 1er avril {YEAR + 1}." in text(response)
    )


def test_the_inspect_page_shows_the_calculation(admin_client, structure, families):
    issue_attestations(YEAR, structure=structure)
    certificate = Certificate.objects.get(family__reference="MAR001")

    page = text(admin_client.get(url("inspect", certificate.pk)))

    assert "Frais de garde payés en 2025 : 25,00 €" in page
    assert admin_client.get(url("pdf", certificate.pk))["Content-Type"] == "application/pdf"


def test_another_structure_is_out_of_reach(admin_client, other_structure):
    family = FamilyFactory(structure=other_structure)
    GuardianFactory(family=family, user=None, email="")
    child = ChildFactory(family=family, birth_date=date(2021, 3, 1))
    invoice(family, date(YEAR, 6, 30), care(child, "25.00", date(YEAR, 6, 4)))
    pay(family, "25.00", date(YEAR, 7, 3))
    issue_attestations(YEAR, families=Family.objects.filter(pk=family.pk))
    certificate = Certificate.objects.get()
    run = CertificateRun.objects.create(structure=other_structure, year=YEAR)

    for name, args in (("inspect", [certificate.pk]), ("pdf", [certificate.pk]), ("run", [run.pk])):
        assert admin_client.get(url(name, *args)).status_code == 404
    assert admin_client.post(url("review", certificate.pk)).status_code == 404
    response = admin_client.post(
        url("publish"), {"structure": other_structure.pk, "year": YEAR, "confirm": "on"}
    )
    assert response.status_code == 404
    response = admin_client.get(url("publish"), {"structure": other_structure.pk, "year": YEAR})
    assert response.status_code == 404
    response = admin_client.post(url("generate"), {"structure": other_structure.pk, "year": YEAR})
    assert response.status_code == 404
    certificate.refresh_from_db()
    assert certificate.status == "draft"
    assert CertificateRun.objects.count() == 1


def test_staff_without_the_permission_cannot_open_the_pages(verified_client, structure):
    setup_roles()
    editor = UserFactory(username="communication.test")
    editor.groups.add(Group.objects.get(name=COMMUNICATION_GROUP))
    editor.structures.add(structure)
    client = verified_client(editor)

    for name, args in (("index", []), ("run", [1]), ("inspect", [1])):
        response = client.get(url(name, *args))
        # Wagtail answers a refused admin page with a redirect to the dashboard.
        assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert "Attestations annuelles" not in text(client.get("/admin/"))


def convert_form(reason="Né le 1er janvier 2019 : la direction retient l'attestation de paiement."):
    return {"reason": reason, "confirm": "on"}


def test_a_flagged_certificate_is_issued_as_a_payment_certificate_from_its_page(
    admin_client, structure, families, staff
):
    issue_attestations(YEAR, structure=structure)
    flagged = Certificate.objects.get(flagged=True)
    assert "Émettre une attestation de paiement" in text(
        admin_client.get(url("inspect", flagged.pk))
    )
    page = text(admin_client.get(url("convert", flagged.pk)))
    assert "sans aucune mention du crédit d'impôt pour frais de garde" in page
    assert "Champ requis." not in page

    # Without a reason nor the confirmation box, nothing changes.
    response = admin_client.post(url("convert", flagged.pk), {"reason": "  "})
    assert response.status_code == 200
    assert text(response).count("Champ requis.") == 2
    flagged.refresh_from_db()
    assert not flagged.is_converted

    response = admin_client.post(url("convert", flagged.pk), convert_form(), follow=True)

    assert (
        f"L'attestation {flagged.number} sera émise comme attestation de paiement ; elle sera "
        "publiée avec les autres." in text(response)
    )
    flagged.refresh_from_db()
    assert (flagged.document_kind, flagged.converted_by, flagged.reviewed_by) == (
        "payment",
        staff,
        staff,
    )
    detail = text(admin_client.get(url("inspect", flagged.pk)))
    assert "Attestation de paiement 2025" in detail
    assert "Émise comme attestation de paiement, sans mention du crédit d'impôt, par" in detail
    assert (
        "Motif Né le 1er janvier 2019 : la direction retient l'attestation de paiement." in detail
    )
    assert "Émettre une attestation de paiement" not in detail
    admin_client.post(url("publish"), {"structure": structure.pk, "year": YEAR, "confirm": "on"})
    flagged.refresh_from_db()
    assert flagged.status == "published"


def test_a_published_certificate_cannot_be_converted(admin_client, structure, families):
    issue_attestations(YEAR, structure=structure)
    flagged = Certificate.objects.get(flagged=True)
    admin_client.post(url("review", flagged.pk))
    admin_client.post(url("publish"), {"structure": structure.pk, "year": YEAR, "confirm": "on"})

    refusal = (
        f"L'attestation {flagged.number} est publiée : elle ne peut plus être modifiée. "
        "Enregistrez une correction et générez une nouvelle version."
    )
    assert refusal in text(admin_client.get(url("convert", flagged.pk)))
    response = admin_client.post(url("convert", flagged.pk), convert_form(), follow=True)

    assert refusal in text(response)
    flagged.refresh_from_db()
    assert (flagged.document_kind, flagged.conversion_reason) == ("tax_credit", "")


def test_only_a_director_of_the_structure_can_convert(
    client, verified_client, structure, other_structure, families, guardian
):
    issue_attestations(YEAR, structure=structure)
    flagged = Certificate.objects.get(flagged=True)
    other_director = UserFactory(username="directeur.levignac")
    setup_roles()
    other_director.groups.add(Group.objects.get(name=DIRECTION_GROUP))
    other_director.structures.add(other_structure)

    # Anonymous: sent to the login page.
    for method in (client.get, client.post):
        response = method(url("convert", flagged.pk), convert_form())
        assert response.status_code == 302 and "/login/" in response["Location"]
    # A parent of another family: no admin for them.
    client.force_login(guardian.user)
    for method in (client.get, client.post):
        response = method(url("convert", flagged.pk), convert_form())
        assert response.status_code == 302 and "/login/" in response["Location"]
    client.logout()
    # The director of another structure: as if it did not exist.
    other = verified_client(other_director)
    assert other.get(url("convert", flagged.pk)).status_code == 404
    assert other.post(url("convert", flagged.pk), convert_form()).status_code == 404

    flagged.refresh_from_db()
    assert not flagged.is_converted
    assert flagged.reviewed_at is None
