"""The family's side: the list of certificates, "Détail du calcul" and the PDF."""

import html
import re
from datetime import date

from django.urls import reverse
from django.utils import timezone

import pytest

from billing.certificates.services import (
    convert_to_payment_attestation,
    issue_attestations,
    publish_attestations,
)
from billing.models import Certificate, Payment, PaymentMethod
from parents.models import Family
from tests.factories.parents import ChildFactory, GuardianFactory, UserFactory

from .conftest import squash
from .test_certificates import care, invoice, meal, pay

pytestmark = pytest.mark.django_db


@pytest.fixture
def leo(family):
    return ChildFactory(family=family, first_name="Léo", birth_date=date(2020, 5, 12))


@pytest.fixture
def published(family, guardian, leo):
    """2025: care and meals of March, paid in April by cheque, partly by the CAF."""
    invoice(
        family,
        date(2025, 3, 31),
        care(leo, "12.50", date(2025, 3, 5), date(2025, 3, 26), quantity="4"),
        meal(leo, "3.60", date(2025, 3, 5), date(2025, 3, 26), quantity="4"),
    )
    pay(
        family,
        "14.40",
        date(2025, 4, 2),
        payer_kind=Payment.PayerKind.THIRD_PARTY,
        third_party_name="CAF",
    )
    pay(family, "50.00", date(2025, 4, 9), PaymentMethod.CHEQUE, cheque_number="9038108")
    issue_attestations(2025, families=Family.objects.filter(pk=family.pk))
    publish_attestations(family.structure, 2025, today=date(2026, 4, 2), notify=False)
    return Certificate.objects.get(family=family)


def text(response):
    return squash(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())))


def test_the_list_shows_each_published_certificate_with_its_links(parent_client, published):
    response = parent_client.get(reverse("billing:certificates"))

    assert response.status_code == 200
    content = text(response)
    assert "Année 2025" in content
    assert "Attestation de frais de garde (crédit d'impôt)" in content
    assert f"N° {published.number}" in content
    # The CAF's 14,40 settled 50,00 of care and 14,40 of meals pro rata: 1 440 cents ×
    # 50 / 64,40 = 1 118,01 and × 14,40 / 64,40 = 321,99, the odd cent to the larger
    # remainder: 11,18 + 3,22. The family's 50,00 paid the rest: 38,82 care, 11,18 meals.
    assert "38,82 €" in content
    assert reverse("billing:certificate-detail", args=[published.pk]) in response.content.decode()
    assert reverse("billing:certificate-pdf", args=[published.pk]) in response.content.decode()


def test_drafts_are_not_listed_and_not_reachable(parent_client, family, leo):
    invoice(family, date(2025, 3, 31), care(leo, "10.00", date(2025, 3, 5)))
    pay(family, "10.00", date(2025, 4, 2))
    issue_attestations(2025, families=Family.objects.filter(pk=family.pk))
    draft = Certificate.objects.get()

    content = text(parent_client.get(reverse("billing:certificates")))

    assert draft.number not in content
    assert (
        parent_client.get(reverse("billing:certificate-detail", args=[draft.pk])).status_code == 404
    )
    assert parent_client.get(reverse("billing:certificate-pdf", args=[draft.pk])).status_code == 404


def test_before_the_publication_date_the_page_says_when(parent_client, structure):
    today = timezone.localdate()
    if (today.month, today.day) == (12, 31):
        pytest.skip("No later day of the year to publish on.")
    tomorrow = date.fromordinal(today.toordinal() + 1)
    structure.certificate_publication_month = tomorrow.month
    structure.certificate_publication_day = tomorrow.day
    structure.save()

    content = text(parent_client.get(reverse("billing:certificates")))

    months = [
        "janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
        "septembre", "octobre", "novembre", "décembre",
    ]  # fmt: skip
    day = "1er" if tomorrow.day == 1 else tomorrow.day
    expected = f"{day} {months[tomorrow.month - 1]} {tomorrow.year}"
    assert (
        f"Les attestations des paiements de {today.year - 1} seront disponibles à partir du "
        f"{expected}." in content
    )


def test_the_detail_explains_each_amount_in_plain_french(parent_client, published):
    response = parent_client.get(reverse("billing:certificate-detail", args=[published.pk]))

    assert response.status_code == 200
    content = text(response)
    assert "Détail du calcul" in content
    assert "Léo DUPONT, né(e) le 12/05/2020" in content
    assert "Frais de garde payés en 2025 38,82 €" in content
    assert "Non compté — Les repas et goûters ne sont pas des frais de garde. 11,18 €" in content
    assert "Réglé directement par des tiers (non compté) 14,40 €" in content
    assert "Règlement Chèques 9038108" in content
    assert "Facture " in content and "« Journée » (garde)" in content
    assert "du 05/03/2025 au 26/03/2025" in content
    assert "ce n'est pas un paiement de la famille" in content


def test_a_meal_paid_for_next_year_is_never_said_to_count(parent_client, family, guardian, leo):
    """Meals are not childcare costs in any year: a meal paid in December for January is
    not "counted in the 2026 certificate", while the care next to it is.
    """
    invoice(family, date(2025, 11, 28), care(leo, "10.00", date(2025, 11, 5)))
    invoice(
        family,
        date(2025, 12, 15),
        care(leo, "12.50", date(2026, 1, 7)),
        meal(leo, "3.60", date(2026, 1, 7)),
    )
    pay(family, "26.10", date(2025, 12, 20), PaymentMethod.CHEQUE, cheque_number="9038109")
    issue_attestations(2025, families=Family.objects.filter(pk=family.pk))
    publish_attestations(family.structure, 2025, today=date(2026, 4, 2), notify=False)
    certificate = Certificate.objects.get(family=family)

    content = text(parent_client.get(reverse("billing:certificate-detail", args=[certificate.pk])))

    assert "Relève d'une autre année, pour Léo DUPONT" in content
    assert (
        "07/01/2026 3,60 € Non compté, quelle que soit l'année. Les repas et goûters ne sont "
        "pas des frais de garde." in content
    )
    assert "07/01/2026 12,50 € Compté dans l'attestation 2026" in content
    assert content.count("Compté dans l'attestation") == 1


def test_the_detail_names_payments_like_the_account_page(parent_client, family, guardian, leo):
    invoice(family, date(2025, 3, 31), care(leo, "30.00", date(2025, 3, 5)))
    pay(family, "20.00", date(2025, 4, 2), PaymentMethod.CARD_ONLINE, reference="pi_y3ZiwaDXJ6Pz00")
    pay(family, "10.00", date(2025, 4, 3), PaymentMethod.CESU, reference="CESU 2025-03-1187")
    issue_attestations(2025, families=Family.objects.filter(pk=family.pk))
    publish_attestations(family.structure, 2025, today=date(2026, 4, 2), notify=False)
    certificate = Certificate.objects.get(family=family)
    url = reverse("billing:certificate-detail", args=[certificate.pk])

    content = text(parent_client.get(url))

    assert "Règlement Carte en ligne 30,00 €" not in content  # amounts are per row
    assert "Règlement Carte en ligne" in content and "pi_y3ZiwaDXJ6Pz00" not in content
    assert "Règlement CESU 2025-03-1187" in content and "CESU CESU" not in content
    parent_client.cookies["django_language"] = "en"
    content = text(parent_client.get(url))
    assert "Online card payment" in content and "CESU payment 2025-03-1187" in content


def test_the_pdf_is_downloaded_from_storage(parent_client, published):
    response = parent_client.get(reverse("billing:certificate-pdf", args=[published.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="attestation-{published.number}.pdf"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF-")


def test_another_family_gets_404_for_the_list_detail_and_pdf(client, published, other_guardian):
    client.force_login(other_guardian.user)

    assert published.number not in text(client.get(reverse("billing:certificates")))
    assert client.get(reverse("billing:certificate-detail", args=[published.pk])).status_code == 404
    assert client.get(reverse("billing:certificate-pdf", args=[published.pk])).status_code == 404
    published.refresh_from_db()
    assert published.status == Certificate.Status.PUBLISHED


def test_both_guardians_of_the_family_see_its_certificates(client, published, family):
    second = GuardianFactory(family=family, first_name="Marc", user=UserFactory(username="marc"))
    client.force_login(second.user)

    assert client.get(reverse("billing:certificate-detail", args=[published.pk])).status_code == 200


def test_a_replaced_certificate_stays_listed_and_says_so(parent_client, published, family, leo):
    invoice(family, date(2025, 5, 31), care(leo, "10.00", date(2025, 5, 7)))
    pay(family, "10.00", date(2025, 6, 3))
    issue_attestations(2025, families=Family.objects.filter(pk=family.pk))
    publish_attestations(family.structure, 2025, today=date(2026, 6, 10), notify=False)
    new = Certificate.objects.get(version=2)

    content = text(parent_client.get(reverse("billing:certificates")))

    assert f"Remplacée par l'attestation n° {new.number}" in content
    assert "48,82 €" in content and "38,82 €" in content
    detail = text(parent_client.get(reverse("billing:certificate-detail", args=[published.pk])))
    assert f"elle est remplacée par l'attestation n° {new.number}" in detail


def test_a_certificate_issued_as_a_payment_certificate_is_listed_under_that_title(
    parent_client, family
):
    tom = ChildFactory(family=family, first_name="Tom", birth_date=date(2019, 1, 1))
    invoice(family, date(2025, 2, 28), care(tom, "20.00", date(2025, 2, 5)))
    pay(family, "20.00", date(2025, 3, 3))
    issue_attestations(2025, families=Family.objects.filter(pk=family.pk))
    convert_to_payment_attestation(Certificate.objects.get(), "Né le 1er janvier 2019")
    publish_attestations(family.structure, 2025, today=date(2026, 4, 2), notify=False)
    certificate = Certificate.objects.get()

    listing = text(parent_client.get(reverse("billing:certificates")))
    detail = text(parent_client.get(reverse("billing:certificate-detail", args=[certificate.pk])))

    assert f"Attestation de paiement N° {certificate.number}" in listing
    assert "crédit d'impôt)" not in listing
    assert f"Attestation de paiement 2025 — n° {certificate.number}" in detail
    # The director's reason is for the directors, not printed for the family.
    assert "Né le 1er janvier 2019" not in listing + detail
    response = parent_client.get(reverse("billing:certificate-pdf", args=[certificate.pk]))
    assert response["Content-Type"] == "application/pdf"
