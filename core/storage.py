"""Private file storage: files served only by views that check who asks (never under MEDIA_URL).

The private storage is a folder (`PRIVATE_STORAGE_ROOT`) or, when `S3_BUCKET` is set, the
`private/` prefix of an S3-compatible bucket whose objects carry no public ACL. Either way a
file reaches a browser only through `private_file_response`, called by a view once it has
checked who asks.
"""

from django.conf import settings
from django.core.files.storage import storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import FileResponse, HttpResponseRedirect
from django.utils.cache import add_never_cache_headers
from django.utils.functional import LazyObject, empty


class PrivateStorage(LazyObject):
    """Files readable only through views that check the family (never under MEDIA_URL)."""

    def _setup(self):
        self._wrapped = storages["private"]


private_storage = PrivateStorage()


def get_private_storage():
    """Storage of the PDF fields. A callable, so migrations name it instead of freezing one
    environment's folder into them.
    """
    return private_storage


@receiver(setting_changed)
def _forget_private_storage(*, setting, **kwargs):
    # Django resets its own storages when STORAGES changes (tests); ours follows.
    if setting == "STORAGES":
        private_storage._wrapped = empty


def can_presign(storage):
    """Whether the storage hands out pre-signed URLs (an S3 bucket), not a local folder."""
    return bool(getattr(storage, "querystring_auth", False)) and hasattr(storage, "bucket_name")


def private_file_response(field_file, *, filename, content_type, as_attachment=True):
    """The answer to a download the view has already allowed.

    With PRIVATE_FILES_DELIVERY = "redirect" and a bucket, a redirect to a pre-signed URL
    valid PRIVATE_FILES_URL_SECONDS seconds: the bucket sends the bytes, and neither the
    redirect nor the object may be kept by a cache (the URL is a bearer token while it lasts).
    Otherwise the application streams the file itself.
    """
    storage = field_file.storage
    if settings.PRIVATE_FILES_DELIVERY == "redirect" and can_presign(storage):
        disposition = "attachment" if as_attachment else "inline"
        url = storage.url(
            field_file.name,
            parameters={
                "ResponseContentType": content_type,
                "ResponseContentDisposition": f'{disposition}; filename="{filename}"',
                "ResponseCacheControl": "no-store",
            },
            expire=settings.PRIVATE_FILES_URL_SECONDS,
        )
        response = HttpResponseRedirect(url)
    else:
        response = FileResponse(
            field_file.open("rb"),
            as_attachment=as_attachment,
            filename=filename,
            content_type=content_type,
        )
    add_never_cache_headers(response)
    return response
