"""What a family may upload: PDF, JPEG or PNG scans, a size limit, honest content.

The same checks as the content library's uploads (type, size, content matching the
extension), for the formats a scanned or photographed document comes in.
"""

from pathlib import PurePath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

SIGNATURES = {
    "pdf": (b"%PDF-",),
    "jpg": (b"\xff\xd8\xff",),
    "jpeg": (b"\xff\xd8\xff",),
    "png": (b"\x89PNG\r\n\x1a\n",),
}
ACCEPT_ATTRIBUTE = ".pdf,.jpg,.jpeg,.png"


def validate_family_upload(uploaded_file):
    extension = PurePath(uploaded_file.name or "").suffix.lower().lstrip(".")
    if extension not in SIGNATURES:
        raise ValidationError(
            _("This type of file is not accepted. Accepted types: PDF, JPEG, PNG."),
            code="invalid_extension",
        )
    limit = settings.WAGTAILDOCS_MAX_UPLOAD_SIZE
    if uploaded_file.size > limit:
        raise ValidationError(
            _("This file is too big (%(size)s). Maximum size: %(limit)s."),
            code="file_too_large",
            params={"size": filesizeformat(uploaded_file.size), "limit": filesizeformat(limit)},
        )
    uploaded_file.seek(0)
    head = uploaded_file.read(8)
    uploaded_file.seek(0)
    if not head.startswith(SIGNATURES[extension]):
        raise ValidationError(
            _(
                "The content of this file does not match its extension “.%(extension)s”. "
                "Save it again in that format, or give it the right extension."
            ),
            code="content_mismatch",
            params={"extension": extension},
        )
