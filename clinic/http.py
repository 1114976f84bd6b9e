from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.http import HttpRequest

if TYPE_CHECKING:
    from staff.models import User


class AuthenticatedRequest(HttpRequest):
    """The request a view behind ``login_required`` receives: its user is a member of staff."""

    user: User  # type: ignore[assignment]


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address; behind N trusted proxies, the N-th address from the right of X-Forwarded-For."""
    proxies = int(settings.TRUSTED_PROXY_COUNT)
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def user_agent(request: HttpRequest) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:255]
