"""Encryption at rest of health data and family documents, with keys from the environment.

`cryptography`'s MultiFernet does the work: the first key of FAMILY_FILE_ENCRYPTION_KEYS
encrypts, every listed key decrypts, so a key is rotated without downtime (docs/family-file.md).
A value that no key decrypts raises instead of being shown as ciphertext: a missing key must
be noticed, never silently turn health data into gibberish on a sheet an animator relies on.
"""

import json

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.functional import cached_property

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

# Every encrypted value starts with this, so tests and the rotation command can tell
# ciphertext from a value written before encryption was switched on.
FERNET_PREFIX = "gAAAAA"


class DecryptionError(Exception):
    """No configured key decrypts this value: a key was removed too early."""


def fernet():
    keys = settings.FAMILY_FILE_ENCRYPTION_KEYS
    if not keys:
        raise ImproperlyConfigured("FAMILY_FILE_ENCRYPTION_KEYS is empty.")
    try:
        return MultiFernet([Fernet(key.encode() if isinstance(key, str) else key) for key in keys])
    except ValueError as error:
        raise ImproperlyConfigured(
            "FAMILY_FILE_ENCRYPTION_KEYS holds a value that is not a Fernet key."
        ) from error


def encrypt_bytes(data):
    return fernet().encrypt(data)


def decrypt_bytes(token):
    try:
        return fernet().decrypt(token)
    except InvalidToken as error:
        raise DecryptionError(
            "No key of FAMILY_FILE_ENCRYPTION_KEYS decrypts this value."
        ) from error


def rotate_bytes(token):
    """Re-encrypt a token with the first key (MultiFernet.rotate)."""
    try:
        return fernet().rotate(token)
    except InvalidToken as error:
        raise DecryptionError(
            "No key of FAMILY_FILE_ENCRYPTION_KEYS decrypts this value."
        ) from error


class EncryptedJSONField(models.TextField):
    """A JSON value stored as one Fernet token: the database holds no readable health value.

    Not searchable nor filterable by design; read rules never need to look inside.
    """

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return None
        return json.loads(decrypt_bytes(value.encode()).decode())

    def to_python(self, value):
        if isinstance(value, str) and value.startswith(FERNET_PREFIX):
            return json.loads(decrypt_bytes(value.encode()).decode())
        return value

    def get_prep_value(self, value):
        if value is None:
            return None
        data = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str).encode()
        return encrypt_bytes(data).decode()

    def value_to_string(self, obj):
        return json.dumps(self.value_from_object(obj), default=str)


class EncryptingStorageMixin:
    """Private files encrypted with the same keys; `open()` gives back the clear bytes.

    Files are never served under a URL: views read them and answer with a FileResponse
    after checking who asks (a pre-signed bucket URL would hand out ciphertext).
    """

    def _save(self, name, content):
        content.seek(0)
        return super()._save(name, ContentFile(encrypt_bytes(content.read())))

    def _open(self, name, mode="rb"):
        with super()._open(name, "rb") as handle:
            return ContentFile(decrypt_bytes(handle.read()), name=name)

    def raw_bytes(self, name):
        """The stored bytes (tests, key rotation)."""
        with super()._open(name, "rb") as handle:
            return handle.read()

    def rewrite(self, name, data):
        """Replace a file's stored bytes in place (key rotation)."""
        super()._save(name, ContentFile(data))

    def url(self, name):
        raise NotImplementedError("Family documents have no URL.")


class EncryptedFileSystemStorage(EncryptingStorageMixin, FileSystemStorage):
    """Encrypted family files under PRIVATE_STORAGE_ROOT/family_file (the default)."""

    @cached_property
    def base_location(self):
        return settings.PRIVATE_STORAGE_ROOT / "family_file"

    @cached_property
    def location(self):
        return str(self.base_location)

    @cached_property
    def base_url(self):
        return None

    def rewrite(self, name, data):
        # A folder's _save never replaces a file: write over it.
        with open(self.path(name), "wb") as handle:
            handle.write(data)


def make_encrypted_storage():
    """The folder, or the bucket's private/family_file/ prefix when S3_BUCKET is set."""
    private = settings.STORAGES["private"]
    if not private["BACKEND"].endswith("S3Storage"):
        return EncryptedFileSystemStorage()
    from storages.backends.s3 import S3Storage

    class EncryptedS3Storage(EncryptingStorageMixin, S3Storage):
        pass

    options = {**private["OPTIONS"]}
    options["location"] = f"{options['location']}/family_file"
    return EncryptedS3Storage(**options)


encrypted_storage = make_encrypted_storage()


def get_encrypted_storage():
    """A callable, so migrations name it instead of freezing one environment's folder."""
    return encrypted_storage
