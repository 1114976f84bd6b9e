"""Writes about staff accounts."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from django.db import transaction

from clinic import crypto


@transaction.atomic
def totp_secrets_reencrypt() -> int:
    """Re-encrypt every stored TOTP secret under the current primary key (key rotation)."""
    count = 0
    for authenticator in Authenticator.objects.select_for_update().filter(type=Authenticator.Type.TOTP).order_by("pk"):
        authenticator.data["secret"] = crypto.reencrypt(authenticator.data["secret"])
        authenticator.save(update_fields=["data"])
        count += 1
    return count
