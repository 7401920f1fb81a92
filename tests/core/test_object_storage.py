"""Private files and Wagtail documents in a real S3 bucket (SeaweedFS on the loopback)."""

import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date

from django.core.files.base import ContentFile
from django.core.management import call_command
from django.urls import reverse

import pytest

from core.storage import private_storage
from tests.factories.billing import issued_invoice, line
from tests.factories.content import make_collection, make_document

pytestmark = pytest.mark.django_db


def anonymous_status(url):
    try:
        with urllib.request.urlopen(url) as response:  # noqa: S310 - loopback test server
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.fixture
def invoice(bucket, family):
    return issued_invoice(family, line("12.50"), issue_date=date(2026, 3, 2), render_pdf=True)


def test_an_issued_invoice_lands_in_the_bucket_and_is_not_public(seaweedfs, bucket, invoice):
    key = f"private/{invoice.pdf.name}"
    assert key in seaweedfs.keys(bucket)
    assert key.startswith("private/invoices/")
    # The object has no public ACL: an anonymous GET is refused.
    assert anonymous_status(f"{seaweedfs.endpoint}/{bucket}/{key}") == 403


def test_only_the_owner_downloads_the_invoice_through_the_view(
    client, guardian, other_guardian, director, verified_client, invoice
):
    url = reverse("billing:invoice-pdf", args=[invoice.pk])
    client.force_login(guardian.user)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert "no-store" in response["Cache-Control"]
    client.force_login(other_guardian.user)
    assert client.get(url).status_code == 404
    assert verified_client(director).get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code == 302


def test_redirect_delivery_hands_out_a_short_lived_url(
    client, guardian, other_guardian, invoice, settings, seaweedfs
):
    settings.PRIVATE_FILES_DELIVERY = "redirect"
    settings.PRIVATE_FILES_URL_SECONDS = 1
    url = reverse("billing:invoice-pdf", args=[invoice.pk])
    client.force_login(other_guardian.user)
    assert client.get(url).status_code == 404
    client.force_login(guardian.user)
    response = client.get(url)
    assert response.status_code == 302
    assert "no-store" in response["Cache-Control"]
    signed = response["Location"]
    assert signed.startswith(seaweedfs.endpoint)
    with urllib.request.urlopen(signed) as pdf:  # noqa: S310 - loopback test server
        assert pdf.read().startswith(b"%PDF")
        assert pdf.headers["Cache-Control"] == "no-store"
        assert "attachment" in pdf.headers["Content-Disposition"]
    time.sleep(2.5)
    assert anonymous_status(signed) == 403


def test_a_wagtail_document_lands_in_the_bucket(seaweedfs, bucket, structure):
    document = make_document("Règlement", make_collection("Imprimés", structure))
    assert f"media/{document.file.name}" in seaweedfs.keys(bucket)
    key = urllib.parse.quote(f"media/{document.file.name}")
    assert anonymous_status(f"{seaweedfs.endpoint}/{bucket}/{key}") == 403


def test_copy_files_to_bucket_is_idempotent_and_resumable(
    seaweedfs, bucket, settings, tmp_path, capsys
):
    private_root = tmp_path / "private-local"
    media_root = tmp_path / "media-local"
    (private_root / "invoices").mkdir(parents=True)
    (media_root / "documents").mkdir(parents=True)
    (private_root / "invoices" / "FA-1.pdf").write_bytes(b"%PDF-1 first")
    (private_root / "invoices" / "FA-2.pdf").write_bytes(b"%PDF-1 second")
    (media_root / "documents" / "reglement.pdf").write_bytes(b"%PDF-1 rules")
    settings.PRIVATE_STORAGE_ROOT = private_root
    settings.MEDIA_ROOT = media_root
    # An earlier, interrupted run had copied one file already.
    private_storage.save("invoices/FA-1.pdf", ContentFile(b"%PDF-1 first"))

    call_command("copy_files_to_bucket")
    assert "2 copied, 1 already there" in capsys.readouterr().out
    assert seaweedfs.keys(bucket) == [
        "media/documents/reglement.pdf",
        "private/invoices/FA-1.pdf",
        "private/invoices/FA-2.pdf",
    ]
    body = seaweedfs.client().get_object(Bucket=bucket, Key="private/invoices/FA-2.pdf")["Body"]
    assert body.read() == b"%PDF-1 second"

    call_command("copy_files_to_bucket")
    assert "0 copied, 3 already there" in capsys.readouterr().out


def test_copy_files_to_bucket_refuses_without_a_bucket(settings, capsys):
    from django.core.management.base import CommandError

    settings.S3_BUCKET = ""
    with pytest.raises(CommandError, match="S3_BUCKET"):
        call_command("copy_files_to_bucket")
