"""Encryption at rest of the debtors' IBANs, with the `cryptography` package's Fernet.

`IBAN_ENCRYPTION_KEYS` lists Fernet keys, newest first: the first encrypts, all decrypt
(MultiFernet), so a key is rotated by putting a new one first, re-encrypting the stored
values (`manage.py rotate_iban_key`), then removing the old key.
"""

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class EncryptionNotConfigured(ImproperlyConfigured):
    pass


def _fernet():
    keys = [key for key in settings.IBAN_ENCRYPTION_KEYS if key]
    if not keys:
        raise EncryptionNotConfigured("IBAN_ENCRYPTION_KEYS is empty.")
    return MultiFernet([Fernet(key.encode() if isinstance(key, str) else key) for key in keys])


def is_configured():
    try:
        _fernet()
    except (EncryptionNotConfigured, ValueError):
        return False
    return True


def encrypt(value):
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token):
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise EncryptionNotConfigured(
            "An IBAN cannot be decrypted with the keys of IBAN_ENCRYPTION_KEYS."
        ) from exc


class EncryptedCharField(models.TextField):
    """A text column holding a Fernet token; Python code only ever sees the clear value.

    Decryption happens when the row is read, so a wrong key fails loudly, never silently.
    The column is never searchable or sortable: look rows up by other fields.
    """

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
