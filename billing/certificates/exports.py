"""The yearly certificates' part of "Mes données": those the family can see, with PDFs."""

from django.utils import timezone

from parents.data_export import Contribution

from .models import Certificate


def certificates_export(family):
    data, files = [], []
    certificates = (
        Certificate.objects.for_family(family)
        .visible_to_parents(timezone.localdate())
        .order_by("year", "pk")
    )
    for certificate in certificates:
        data.append(
            {
                "numero": certificate.number,
                "annee": certificate.year,
                "type": str(certificate.get_document_kind_display()),
                "statut": str(certificate.get_status_display()),
            }
        )
        if certificate.pdf and certificate.pdf.storage.exists(certificate.pdf.name):
            with certificate.pdf.open("rb") as handle:
                name = certificate.number.replace("/", "-")
                files.append((f"attestations/{name}.pdf", handle.read()))
    return Contribution(data=data, files=files)
