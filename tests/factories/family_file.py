from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

import factory

from family_file.models import DocumentRequirement, RulesVersion
from family_file.seasons import season_of

PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf_upload(name="attestation.pdf", content=PDF_BYTES):
    return SimpleUploadedFile(name, content, content_type="application/pdf")


class DocumentRequirementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DocumentRequirement

    season = factory.LazyFunction(lambda: season_of())
    kind = DocumentRequirement.Kind.INSURANCE
    name = factory.Sequence(lambda n: f"Pièce {n}")
    required = True


class RulesVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RulesVersion

    version = factory.Sequence(lambda n: f"Version {n}")
    text = "<p>Les enfants sont accueillis de 7 h 30 à 18 h 30.</p>"
    published_at = factory.LazyFunction(lambda: timezone.now() - timezone.timedelta(days=1))


def some_date():
    return date(2026, 1, 15)
