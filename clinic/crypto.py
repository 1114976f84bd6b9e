"""Encryption at rest of personal data, and keyed hashes for exact look-ups of it.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256) through a MultiFernet built from
``settings.FIELD_ENCRYPTION_KEYS``: the first key encrypts, every key decrypts, so keys rotate by
putting a new key first and running ``manage.py rotate_encryption_keys``.

An encrypted column cannot be searched, so each searchable value also has a blind index: an
HMAC-SHA256 of its normalised form under ``settings.BLIND_INDEX_KEY``. Equal values give equal
hashes, which is what exact look-ups and unique constraints need, and nothing else is learnt.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver

_PREFIX = "fernet:"


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.FIELD_ENCRYPTION_KEYS])


@receiver(setting_changed)
def _forget_keys(*, setting: str, **kwargs: Any) -> None:
    if setting in {"FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY"}:
        _fernet.cache_clear()


class DecryptionError(Exception):
    """A stored value could not be decrypted with any configured key."""


def encrypt(value: str) -> str:
    return _PREFIX + _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    if not token.startswith(_PREFIX):
        raise DecryptionError("value is not an encrypted token")
    try:
        return _fernet().decrypt(token[len(_PREFIX) :].encode()).decode()
    except InvalidToken as error:
        raise DecryptionError("no configured key decrypts this value") from error


def reencrypt(token: str) -> str:
    """The same value encrypted under the current primary key."""
    if not token.startswith(_PREFIX):
        raise DecryptionError("value is not an encrypted token")
    try:
        rotated = _fernet().rotate(token[len(_PREFIX) :].encode())
    except InvalidToken as error:
        raise DecryptionError("no configured key decrypts this value") from error
    return _PREFIX + rotated.decode()


def blind_index(value: str) -> str:
    """Keyed hash of an already normalised value; empty input gives an empty index."""
    if not value:
        return ""
    return hmac.new(settings.BLIND_INDEX_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """A text column stored encrypted; Python code sees the plain value.

    Empty strings are stored as empty strings so that "not given" stays cheap to test. An
    encrypted field cannot be filtered or ordered on: give it a blind index field instead.
    """

    description = "Text encrypted at rest"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(str(value))
