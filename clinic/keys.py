"""Secrets from the environment, with generated development values kept under var/.

In development a missing secret is generated once into ``var/dev-keys.json`` (never committed),
so every process of the project and every later run use the same keys and encrypted data stays
readable. In production a missing secret stops the start-up with a clear error.
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from clinic.embedded import var_dir

_GENERATORS = {
    "SECRET_KEY": lambda: secrets.token_urlsafe(50),
    "BLIND_INDEX_KEY": lambda: secrets.token_urlsafe(32),
    "FIELD_ENCRYPTION_KEYS": lambda: Fernet.generate_key().decode(),
}


def _development_value(name: str) -> str:
    path = var_dir() / "dev-keys.json"
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        content = handle.read()
        values: dict[str, str] = json.loads(content) if content.strip() else {}
        if name not in values:
            values[name] = _GENERATORS[name]()
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps(values, indent=2))
        os.chmod(path, 0o600)
        return values[name]


def required_secret(name: str, *, production: bool) -> str:
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if production:
        raise ImproperlyConfigured(f"{name} must be set in production (see README, Configuration).")
    return _development_value(name)


def encryption_keys(*, production: bool) -> list[str]:
    raw = required_secret("FIELD_ENCRYPTION_KEYS", production=production)
    found = [key.strip() for key in raw.split(",") if key.strip()]
    for key in found:
        try:
            Fernet(key)
        except ValueError as error:
            raise ImproperlyConfigured(
                "FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key "
                "(generate one with `manage.py generate_encryption_key`)."
            ) from error
    return found
