"""Issuing, versioning, publishing and rendering the yearly certificates."""

import io
from datetime import date
from decimal import Decimal

from django.core import mail

from wagtail.models import ModelLogEntry

import pytest
from pypdf import PdfReader

from billing.certificates.services import (
    CertificateError,
    convert_to_payment_attestation,
    issue_attestations,
    notify_due_attestations,
    publish_attestations,
    review_attestation,
)
from billing.ledger.services import reverse_payment
from billing.models import Certificate, PaymentMethod
from family_file import services as family_file_services
from parents.models import Family
from tests.factories.parents import ChildFactory, FamilyFactory, GuardianFactory

from .test_certificates import care, invoice, meal, pay

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def brax(structure):
    structure.declaration_reference = "0310123CL000125"
    structure.certificate_signatory_name = "Paul MARTEL"
    structure.certificate_signatory_role = "Directeur"
    structure.certificate_place = "Brax"
    structure.save()
    return structure


@pytest.fixture
def martin(brax):
    family = FamilyFactory(structure=brax, name="MARTIN", reference="MAR001")
    GuardianFactory(family=family, first_name="Sophie", email="sophie@example.org")
    return family


@pytest.fixture
def leo(martin):
    return ChildFactory(family=martin, first_name="Léo", birth_date=date(2020, 5, 12))


@pytest.fixture
def chloe(martin):
    return ChildFactory(family=martin, first_name="Chloé", birth_date=date(2016, 9, 23))


@pytest.fixture
def history(martin, leo, chloe):
    """March 2025: care and meals for both children, paid in CESU (30,00) and by cheque."""
    invoice(
        martin,
        date(2025, 3, 31),
        care(leo, "12.50", date(2025, 3, 5), date(2025, 3, 26), quantity="4"),
        meal(leo, "3.60", date(2025, 3, 5), date(2025, 3, 26), quantity="4"),
        care(chloe, "14.00", date(2025, 3, 5), date(2025, 3, 26), quantity="2"),
    )
    pay(martin, "30.00", date(2025, 4, 8), PaymentMethod.CESU, reference="CESU 1187")
    pay(martin, "62.40", date(2025, 4, 9), PaymentMethod.CHEQUE)
    return martin


def pdf_text(certificate):
    with certificate.pdf.open("rb") as handle:
        reader = PdfReader(io.BytesIO(handle.read()))
    return " ".join(" ".join(page.extract_text().split()) for page in reader.pages), reader


def by_kind(family, year=2025):
    return {c.kind: c for c in Certificate.objects.filter(family=family, year=year).current()}


def test_generation_makes_one_certificate_per_kind_with_its_pdf(history, leo, chloe):
    summary = issue_attestations(2025, families=Family.objects.all())

    assert (summary.generated, summary.unchanged, summary.flagged) == (2, 0, 0)
    certificates = by_kind(history)
    tax = certificates[Certificate.Kind.TAX_CREDIT]
    payment = certificates[Certificate.Kind.PAYMENT]
    # March: 4 × 12,50 + 4 × 3,60 + 2 × 14,00 = 50 + 14,40 + 28 = 92,40, fully paid (30 + 62,40).
    assert (tax.care_amount, tax.excluded_amount, tax.children_names) == (
        D("50.00"),
        D("14.40"),
        "Léo MARTIN",
    )
    assert (payment.care_amount, payment.children_names) == (D("28.00"), "Chloé MARTIN")
    # The CESU payment settled the invoice pro rata: 30 × 50 / 92,40 = 16,23 for Léo's care.
    assert tax.cesu_amount == D("16.23")
    assert {tax.number, payment.number} == {"AT2025-BRAX-00001", "AT2025-BRAX-00002"}
    assert tax.status == Certificate.Status.DRAFT

    text, reader = pdf_text(tax)
    assert "Attestation de frais de garde — année 2025 (article 200 quater B du CGI)" in text
    assert f"Attestation n° {tax.number}" in text
    assert "Léo MARTIN, né(e) le 12/05/2020" in text
    assert "Frais de garde payés en 2025 : 50,00 €" in text
    assert "dont réglé en CESU préfinancé : 16,23 €" in text
    assert "Sommes effectivement acquittées au cours de l'année 2025, hors frais de repas." in text
    assert "SIRET" in text and "0310123CL000125" in text
    assert "Fait à Brax" in text and "Paul MARTEL, Directeur" in text
    assert reader.metadata.title.startswith("Attestation de frais de garde")
    assert "pdfuaid" in reader.xmp_metadata.rdf_root.toxml()

    text, _reader = pdf_text(payment)
    assert "Attestation de paiement — année 2025" in text
    assert "Chloé MARTIN" in text and "28,00 €" in text
    lowered = text.lower()
    assert "crédit d'impôt" not in lowered and "200 quater" not in lowered


def test_running_twice_regenerates_nothing(history):
    issue_attestations(2025, families=Family.objects.all())
    first = {c.pk: (c.number, c.pdf.name) for c in Certificate.objects.all()}

    summary = issue_attestations(2025, families=Family.objects.all())

    assert (summary.generated, summary.unchanged, summary.rendered) == (0, 2, 0)
    assert {c.pk: (c.number, c.pdf.name) for c in Certificate.objects.all()} == first


def test_a_correction_after_publication_is_a_new_version_replacing_the_old(history, leo):
    issue_attestations(2025, families=Family.objects.all())
    publish_attestations(history.structure, 2025, today=date(2026, 4, 2))
    old = by_kind(history)[Certificate.Kind.TAX_CREDIT]
    old_pdf = old.pdf.name
    # A forgotten cheque for April is recorded after publication.
    invoice(history, date(2025, 4, 30), care(leo, "12.50", date(2025, 4, 9)))
    pay(history, "12.50", date(2025, 5, 6), PaymentMethod.CHEQUE)

    summary = issue_attestations(2025, families=Family.objects.all())

    assert (summary.generated, summary.unchanged) == (1, 1)
    new = Certificate.objects.get(family=history, kind="tax_credit", version=2)
    assert new.number == f"{old.number}-V2"
    assert new.care_amount == D("62.50")
    old.refresh_from_db()
    # Until the correction is published, parents keep the published one.
    assert old.status == Certificate.Status.PUBLISHED

    publish_attestations(history.structure, 2025, today=date(2026, 5, 2))

    old.refresh_from_db()
    assert (old.status, old.superseded_by, old.pdf.name) == ("replaced", new, old_pdf)
    assert old.care_amount == D("50.00")
    new.refresh_from_db()
    assert new.status == Certificate.Status.PUBLISHED
    text, _reader = pdf_text(new)
    assert f"annule et remplace l'attestation n° {old.number}" in text


def test_publication_emails_the_guardians_once(history, django_capture_on_commit_callbacks):
    issue_attestations(2025, families=Family.objects.all())

    with django_capture_on_commit_callbacks(execute=True):
        summary = publish_attestations(history.structure, 2025, today=date(2026, 4, 2))

    assert (summary.published, summary.held) == (2, 0)
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["sophie@example.org"]
    assert message.subject == "Vos attestations annuelles 2025 — Commune de Brax"
    assert "Vos attestations annuelles pour les paiements de 2025 sont disponibles" in message.body
    assert "http://testserver/espace-famille/attestations/" in message.body
    assert notify_due_attestations(today=date(2026, 4, 3)) == 0
    assert len(mail.outbox) == 1


def test_published_before_the_publication_date_they_are_emailed_on_that_date(
    history, django_capture_on_commit_callbacks
):
    issue_attestations(2025, families=Family.objects.all())

    with django_capture_on_commit_callbacks(execute=True):
        publish_attestations(history.structure, 2025, today=date(2026, 3, 15))

    assert mail.outbox == []
    assert notify_due_attestations(today=date(2026, 3, 31)) == 0
    assert notify_due_attestations(today=date(2026, 4, 1)) == 1
    assert len(mail.outbox) == 1


def test_flagged_certificates_wait_for_review_before_publication(martin):
    edge = ChildFactory(family=martin, first_name="Tom", birth_date=date(2019, 1, 1))
    invoice(martin, date(2025, 2, 28), care(edge, "20.00", date(2025, 2, 5)))
    pay(martin, "20.00", date(2025, 3, 3))

    summary = issue_attestations(2025, families=Family.objects.all())

    assert summary.flagged == 1
    certificate = Certificate.objects.get()
    assert summary.flagged_cases == [(certificate.number, str(martin), certificate.flag_reason)]
    assert certificate.flag_reason == (
        "Tom MARTIN est né(e) le 1er janvier 2019 : 6 ans tout juste au 1er janvier. "
        "L'administration fiscale retient les enfants nés en 2019 ; à vérifier avant publication."
    )
    held = publish_attestations(martin.structure, 2025, today=date(2026, 4, 2))
    assert (held.published, held.held) == (0, 1)

    review_attestation(certificate)
    published = publish_attestations(martin.structure, 2025, today=date(2026, 4, 2))

    assert (published.published, published.held) == (1, 0)
    assert Certificate.objects.get().status == Certificate.Status.PUBLISHED


@pytest.fixture
def edge_case(martin):
    """Tom, born on 1 January 2019: exactly 6 on 1 January 2025, his certificate is flagged."""
    tom = ChildFactory(family=martin, first_name="Tom", birth_date=date(2019, 1, 1))
    invoice(martin, date(2025, 2, 28), care(tom, "20.00", date(2025, 2, 5)))
    pay(martin, "20.00", date(2025, 3, 3))
    issue_attestations(2025, families=Family.objects.all())
    return Certificate.objects.get(family=martin)


def test_a_flagged_certificate_is_issued_as_a_payment_certificate_with_a_reason(
    edge_case, director, django_capture_on_commit_callbacks
):
    text, _reader = pdf_text(edge_case)
    assert "article 200 quater B" in text
    draft_pdf = edge_case.pdf.name

    with django_capture_on_commit_callbacks(execute=True):
        convert_to_payment_attestation(
            edge_case, "  Né le 1er janvier : sans crédit d'impôt. ", by=director
        )

    certificate = Certificate.objects.get()
    assert (certificate.kind, certificate.document_kind) == ("tax_credit", "payment")
    assert certificate.conversion_reason == "Né le 1er janvier : sans crédit d'impôt."
    assert (certificate.converted_by, certificate.reviewed_by) == (director, director)
    assert certificate.pdf.name != draft_pdf
    assert not certificate.pdf.storage.exists(draft_pdf)
    text, reader = pdf_text(certificate)
    assert "Attestation de paiement — année 2025" in text
    assert "Tom MARTIN, né(e) le 01/01/2019" in text and "20,00 €" in text
    lowered = text.lower()
    for words in ("crédit d'impôt", "credit d'impot", "200 quater", "déductible", "cgi"):
        assert words not in lowered
    assert reader.metadata.title == "Attestation de paiement — année 2025"
    entry = ModelLogEntry.objects.get(action="billing.convert_attestation")
    assert (entry.object_id, entry.user, entry.data["reason"]) == (
        str(certificate.pk),
        director,
        "Né le 1er janvier : sans crédit d'impôt.",
    )
    # The decision is the review: it is published with the others, under its new wording.
    summary = publish_attestations(certificate.structure, 2025, today=date(2026, 4, 2))
    assert (summary.published, summary.held) == (1, 0)
    # Generating again keeps it as it is.
    assert issue_attestations(2025, families=Family.objects.all()).generated == 0


def test_a_conversion_needs_a_reason_and_a_draft(edge_case, director):
    with pytest.raises(CertificateError, match="Indiquez la raison"):
        convert_to_payment_attestation(edge_case, "   ", by=director)
    review_attestation(edge_case, by=director)
    publish_attestations(edge_case.structure, 2025, today=date(2026, 4, 2))

    with pytest.raises(CertificateError) as refused:
        convert_to_payment_attestation(edge_case, "Trop tard", by=director)

    assert refused.value.messages == [
        f"L'attestation {edge_case.number} est publiée : elle ne peut plus être modifiée. "
        "Enregistrez une correction et générez une nouvelle version."
    ]
    certificate = Certificate.objects.get()
    assert (certificate.document_kind, certificate.conversion_reason) == ("tax_credit", "")
    assert not ModelLogEntry.objects.filter(action="billing.convert_attestation").exists()


def test_only_the_birthday_case_alone_can_be_converted(edge_case, martin, leo, director):
    plain = Certificate.objects.exclude(pk=edge_case.pk)
    assert not plain.exists()
    # Léo, under 6 without doubt, paid by the same payer: one certificate for both children.
    invoice(martin, date(2025, 5, 31), care(leo, "10.00", date(2025, 5, 7)))
    pay(martin, "10.00", date(2025, 6, 2))
    issue_attestations(2025, families=Family.objects.all())
    both = Certificate.objects.current().get(family=martin)

    with pytest.raises(CertificateError, match="Léo MARTIN"):
        convert_to_payment_attestation(both, "Né le 1er janvier", by=director)
    assert not Certificate.objects.get(pk=both.pk).is_converted


def test_a_new_version_of_a_converted_series_keeps_the_payment_wording(edge_case, martin):
    convert_to_payment_attestation(edge_case, "Décision de la direction")
    publish_attestations(martin.structure, 2025, today=date(2026, 4, 2))
    tom = martin.children.get(first_name="Tom")
    invoice(martin, date(2025, 4, 30), care(tom, "5.00", date(2025, 4, 9)))
    pay(martin, "5.00", date(2025, 5, 6))

    issue_attestations(2025, families=Family.objects.all())

    new = Certificate.objects.get(version=2)
    assert (new.document_kind, new.conversion_reason) == ("payment", "Décision de la direction")
    text, _reader = pdf_text(new)
    assert "Attestation de paiement — année 2025" in text and "200 quater" not in text


def test_separated_parents_each_get_their_certificate_at_their_own_address(martin, leo, director):
    """Sophie lives at the family's address; Marc moved out and gave his address in the
    family file, which the director accepted. Each paid part of Léo's care."""
    sophie = martin.guardians.get()
    marc = GuardianFactory(family=martin, civility="M.", first_name="Marc", user=None, email="")
    invoice(martin, date(2025, 1, 31), care(leo, "200.00", date(2025, 1, 8)))
    pay(martin, "120.00", date(2025, 2, 1), payer=sophie)
    pay(martin, "80.00", date(2025, 2, 3), payer=marc)
    moved = {"address_line1": "8 chemin des Vignes", "postcode": "31880", "city": "La Salvetat"}

    change = family_file_services.update_guardian(marc, moved, by=director).pending
    # Waiting for the director, the new address is not his yet.
    issue_attestations(2025, families=Family.objects.all())
    marcs = Certificate.objects.get(payer=marc)
    assert marcs.content["payer"]["address"] == "1 rue de la Paix\n31490 Brax"

    family_file_services.accept_change(change, by=director)
    summary = issue_attestations(2025, families=Family.objects.all())

    assert (summary.generated, summary.unchanged) == (1, 1)
    sophies = Certificate.objects.current().get(payer=sophie)
    marcs = Certificate.objects.current().get(payer=marc)
    assert (sophies.care_amount, marcs.care_amount) == (D("120.00"), D("80.00"))
    sophie_text, _reader = pdf_text(sophies)
    marc_text, _reader = pdf_text(marcs)
    assert "Payeur : Mme Sophie MARTIN — 1 rue de la Paix, 31490 Brax" in sophie_text
    assert "Payeur : M. Marc MARTIN — 8 chemin des Vignes, 31880 La Salvetat" in marc_text
    assert "Vignes" not in sophie_text and "rue de la Paix" not in marc_text


def test_a_dry_run_writes_nothing(history):
    summary = issue_attestations(2025, families=Family.objects.all(), dry_run=True)

    assert summary.generated == 2
    assert not Certificate.objects.exists()


def test_reversed_payments_withdraw_a_published_certificate_with_a_new_version(martin, leo):
    invoice(martin, date(2025, 6, 30), care(leo, "40.00", date(2025, 6, 4)))
    payment = pay(martin, "40.00", date(2025, 7, 2))
    issue_attestations(2025, families=Family.objects.all())
    publish_attestations(martin.structure, 2025, today=date(2026, 4, 2))
    reverse_payment(payment, reason="error", on_date=date(2026, 4, 20))

    summary = issue_attestations(2025, families=Family.objects.all())

    assert (summary.generated, summary.withdrawn, summary.flagged) == (1, 1, 1)
    withdrawal = Certificate.objects.get(version=2)
    assert (withdrawal.care_amount, withdrawal.flagged) == (D("0.00"), True)
    assert issue_attestations(2025, families=Family.objects.all()).generated == 0


def test_pdfs_rendered_by_two_worker_processes_are_the_same_certificates(structure):
    families = []
    for n in range(4):
        family = FamilyFactory(structure=structure, name=f"FAMILLE{n}")
        GuardianFactory(family=family, user=None, email="")
        child = ChildFactory(family=family, birth_date=date(2021, 2, 1))
        invoice(family, date(2025, 1, 31), care(child, f"{10 + n}.00", date(2025, 1, 8)))
        pay(family, f"{10 + n}.00", date(2025, 2, 3))
        families.append(family)

    summary = issue_attestations(2025, families=Family.objects.all(), workers=2, chunk_size=2)

    assert (summary.generated, summary.rendered) == (4, 4)
    for n, family in enumerate(families):
        certificate = Certificate.objects.get(family=family)
        text, _reader = pdf_text(certificate)
        assert f"Frais de garde payés en 2025 : {10 + n},00 €" in text
        assert certificate.number in text
