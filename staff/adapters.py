from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.http import HttpRequest

from clinic import crypto


class StaffAccountAdapter(DefaultAccountAdapter):
    """Accounts are created by administrators, never by sign-up."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False


class StaffMFAAdapter(DefaultMFAAdapter):
    """TOTP secrets are encrypted at rest with the same keys as patients' personal data."""

    def encrypt(self, text: str) -> str:
        return crypto.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return crypto.decrypt(encrypted_text)
