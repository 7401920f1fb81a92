"""Upload checks: accepted types only, a size limit, and content that matches the extension,
for the validator itself and for the admin's single and multiple upload forms."""

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from wagtail.documents import get_document_model

import pytest

from forms_library.validators import validate_document_upload
from tests.factories.content import (
    DOCM_MAIN,
    DOCX_MAIN,
    XLSX_MAIN,
    image_bytes,
    ods_bytes,
    odt_bytes,
    ooxml_bytes,
    pdf_bytes,
)
from tests.factories.parents import UserFactory

pytestmark = pytest.mark.django_db

Document = get_document_model()

REFUSED_TYPE = (
    "Ce type de fichier ne peut pas être publié. "
    "Types acceptés : PDF, DOCX, ODT, XLSX, ODS, JPEG, PNG."
)


def mismatch(extension):
    return (
        f"Le contenu de ce fichier ne correspond pas à son extension « .{extension} ». "
        "Enregistrez-le de nouveau dans ce format, ou donnez-lui la bonne extension."
    )


def upload(name, content):
    return SimpleUploadedFile(name, content)


@pytest.mark.parametrize(
    ("name", "content"),
    # Generated archives carry timestamps: name the cases so every worker collects the same ids.
    ids=lambda value: value if isinstance(value, str) else "content",
    argvalues=[
        ("programme.pdf", pdf_bytes()),
        ("Fiche.DOCX", ooxml_bytes(DOCX_MAIN)),
        ("tarifs.xlsx", ooxml_bytes(XLSX_MAIN, "xl/workbook.xml")),
        ("fiche.odt", odt_bytes()),
        ("tarifs.ods", ods_bytes()),
        ("photo.jpg", image_bytes("JPEG")),
        ("photo.jpeg", image_bytes("JPEG")),
        ("affiche.png", image_bytes("PNG")),
    ],
)
def test_each_accepted_type_passes_with_its_own_content(name, content):
    file = upload(name, content)
    validate_document_upload(file)
    assert file.tell() == 0  # left ready to be stored from its first byte


@pytest.mark.parametrize("name", ["setup.exe", "page.html", "dessin.svg", "archive.zip", "sans"])
def test_other_types_are_refused_with_the_list_of_accepted_ones(name):
    with pytest.raises(ValidationError) as error:
        validate_document_upload(upload(name, pdf_bytes()))
    assert error.value.messages == [REFUSED_TYPE]


@pytest.mark.parametrize(
    ("name", "content"),
    # Generated archives carry timestamps: name the cases so every worker collects the same ids.
    ids=lambda value: value if isinstance(value, str) else "content",
    argvalues=[
        ("programme.pdf", b"<html><script>alert(1)</script></html>"),
        ("photo.png", pdf_bytes()),
        ("photo.jpg", image_bytes("PNG")),
        ("fiche.docx", ooxml_bytes(DOCM_MAIN)),  # a macro-enabled document renamed
        ("tarifs.xlsx", ooxml_bytes(DOCX_MAIN)),
        ("fiche.docx", b"PK\x03\x04 but not a zip archive at all"),
        ("fiche.odt", ods_bytes()),
        ("tarifs.ods", ooxml_bytes(XLSX_MAIN, "xl/workbook.xml")),
    ],
)
def test_content_that_does_not_match_the_extension_is_refused(name, content):
    with pytest.raises(ValidationError) as error:
        validate_document_upload(upload(name, content))
    assert error.value.messages == [mismatch(name.rsplit(".", 1)[1])]


def test_files_over_the_size_limit_are_refused(settings):
    settings.WAGTAILDOCS_MAX_UPLOAD_SIZE = 100
    with pytest.raises(ValidationError) as error:
        validate_document_upload(upload("programme.pdf", pdf_bytes() + b" " * 100))
    assert error.value.messages[0].startswith("Ce fichier est trop volumineux")


@pytest.fixture
def admin_client(verified_client, collections):
    return verified_client(UserFactory(username="admin.test", is_superuser=True, is_staff=True))


def test_admin_upload_of_a_disguised_file_is_refused_and_nothing_is_stored(admin_client):
    response = admin_client.post(
        reverse("wagtaildocs:add"),
        {"title": "Programme", "file": upload("programme.pdf", b"MZ\x90\x00 an executable")},
    )
    assert response.status_code == 200
    assert mismatch("pdf") in response.content.decode()
    assert response.content.decode().count("ne correspond pas à son extension") == 1
    assert not Document.objects.exists()


def test_admin_upload_of_a_refused_type_says_which_types_are_accepted(admin_client):
    response = admin_client.post(
        reverse("wagtaildocs:add"),
        {"title": "Page", "file": upload("page.html", b"<html></html>")},
    )
    assert REFUSED_TYPE in response.content.decode()
    assert not Document.objects.exists()


def test_admin_upload_of_a_genuine_pdf_is_stored(admin_client, collections):
    response = admin_client.post(
        reverse("wagtaildocs:add"),
        {
            "title": "Programme",
            "file": upload("programme.pdf", pdf_bytes()),
            "collection": collections["brax"].pk,
        },
    )
    assert response.status_code == 302
    document = Document.objects.get()
    assert document.title == "Programme"
    assert document.file.read().startswith(b"%PDF-")


def test_multiple_upload_refuses_a_disguised_file(admin_client):
    response = admin_client.post(
        reverse("wagtaildocs:add_multiple"),
        {"files[]": upload("tarifs.xlsx", b"not a spreadsheet")},
    )
    payload = response.json()
    assert payload["success"] is False
    assert mismatch("xlsx") in payload["error_message"]
    assert not Document.objects.exists()
