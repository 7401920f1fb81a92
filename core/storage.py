"""Private file storage: files served only by views that check who asks (never under MEDIA_URL)."""

from django.core.files.storage import storages
from django.utils.functional import LazyObject


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
