"""What may be uploaded as a document: a short list of types, a size limit, honest content.

An extension is only a claim. Each accepted type is recognised by its first bytes (and, for
the zip-based office formats, by the part that names the document type), so a renamed
executable, a macro-enabled workbook or an HTML page saved as ".pdf" is refused.
"""

import zipfile
from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

# Office Open XML: the content type of the main part, as [Content_Types].xml declares it.
OOXML_MAIN_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
}
# OpenDocument: the exact content of the uncompressed "mimetype" entry.
OPENDOCUMENT_TYPES = {
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
}
SIGNATURES = {
    "pdf": (b"%PDF-",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
}
ZIP_SIGNATURE = b"PK\x03\x04"
ALLOWED_EXTENSIONS = ("pdf", "docx", "odt", "xlsx", "ods", "jpg", "jpeg", "png")
ALLOWED_TYPES_LABEL = "PDF, DOCX, ODT, XLSX, ODS, JPEG, PNG"
# The parts read from an archive are small; anything larger is not what it claims to be.
MAX_MANIFEST_SIZE = 1024 * 1024


def extension_of(name):
    return PurePath(name or "").suffix.lower().lstrip(".")


def validate_document_upload(uploaded_file):
    """Refuse a file whose type is not accepted, that is too big, or whose content lies."""
    extension = extension_of(uploaded_file.name)
    if extension not in ALLOWED_EXTENSIONS:
        raise ValidationError(
            _("This type of file cannot be published. Accepted types: %(types)s."),
            code="invalid_extension",
            params={"types": ALLOWED_TYPES_LABEL},
        )
    limit = getattr(settings, "WAGTAILDOCS_MAX_UPLOAD_SIZE", None)
    if limit is not None and uploaded_file.size > limit:
        raise ValidationError(
            _("This file is too big (%(size)s). Maximum size: %(limit)s."),
            code="file_too_large",
            params={"size": filesizeformat(uploaded_file.size), "limit": filesizeformat(limit)},
        )
    if not content_matches_extension(uploaded_file, extension):
        raise ValidationError(
            _(
                "The content of this file does not match its extension “.%(extension)s”. "
                "Save it again in that format, or give it the right extension."
            ),
            code="content_mismatch",
            params={"extension": extension},
        )


def content_matches_extension(uploaded_file, extension):
    uploaded_file.seek(0)
    try:
        head = uploaded_file.read(8)
        if extension in SIGNATURES:
            return head.startswith(SIGNATURES[extension])
        if not head.startswith(ZIP_SIGNATURE):
            return False
        uploaded_file.seek(0)
        return _zip_declares(uploaded_file, extension)
    finally:
        uploaded_file.seek(0)


def _zip_declares(uploaded_file, extension):
    try:
        with zipfile.ZipFile(uploaded_file) as archive:
            if extension in OPENDOCUMENT_TYPES:
                return _small_entry(archive, "mimetype") == OPENDOCUMENT_TYPES[extension].encode()
            manifest = _small_entry(archive, "[Content_Types].xml")
            return manifest is not None and OOXML_MAIN_TYPES[extension].encode() in manifest
    except (zipfile.BadZipFile, OSError, EOFError):
        return False


def _small_entry(archive, name):
    try:
        info = archive.getinfo(name)
    except KeyError:
        return None
    if info.file_size > MAX_MANIFEST_SIZE:
        return None
    return archive.read(info).strip()
