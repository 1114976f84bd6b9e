from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from clinic import crypto
from clinic.http import client_ip
from staff import signin
from staff.models import User


class StaffAccountAdapter(DefaultAccountAdapter):
    """Accounts are created by administrators, never by sign-up. Sign-in attempts pass through the
    guard of ``staff.signin`` (account lockout, address throttle, known browsers)."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def get_client_ip(self, request: HttpRequest) -> str:
        """allauth's rate limits read the caller's address as everything else does (behind the
        configured proxies), not the proxy's own."""
        address = client_ip(request)
        if not address:
            raise PermissionDenied("Unable to determine client IP address")
        return address

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        signin.attempt_check(request, credentials)
        super().pre_authenticate(request, **credentials)

    def authentication_failed(self, request: HttpRequest, **credentials: Any) -> None:
        signin.failure_record(request, credentials)

    def post_login(
        self,
        request: HttpRequest,
        user: User,  # type: ignore[override]
        *,
        email_verification: str,
        signal_kwargs: dict[str, Any] | None,
        email: str | None,
        signup: bool,
        redirect_url: str | None,
    ) -> HttpResponse:
        response = super().post_login(
            request,
            user,
            email_verification=email_verification,
            signal_kwargs=signal_kwargs,
            email=email,
            signup=signup,
            redirect_url=redirect_url,
        )
        signin.browser_remember(request, response, user)
        return response


class StaffMFAAdapter(DefaultMFAAdapter):
    """TOTP secrets are encrypted at rest with the same keys as patients' personal data."""

    def encrypt(self, text: str) -> str:
        return crypto.encrypt(text)

    def decrypt(self, encrypted_text: str) -> str:
        return crypto.decrypt(encrypted_text)
