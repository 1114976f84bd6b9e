from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

if TYPE_CHECKING:
    from staff.models import User


class AuthenticatedRequest(HttpRequest):
    """The request a view behind ``login_required`` receives: its user is a member of staff."""

    user: User  # type: ignore[assignment]


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address; behind N trusted proxies, the N-th address from the right of X-Forwarded-For.

    What a proxy forwards is only taken when it is an address: a client can write anything into the
    header, and a count of proxies set too high would hand that text to the lockout and the access log.
    """
    proxies = int(settings.TRUSTED_PROXY_COUNT)
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies and _is_address(forwarded[-proxies]):
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def user_agent(request: HttpRequest) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:255]


def safe_next(request: HttpRequest, target: str) -> str | None:
    """``target`` if it is a path on this site (a "next" parameter), else None."""
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def form_errors_from(error: ValidationError, form: BaseForm) -> None:
    """Put a service's ValidationError next to the fields it names (the rest above the form)."""
    if hasattr(error, "error_dict"):
        for name, texts in error.message_dict.items():
            form.add_error(name if name in form.fields else None, texts)
    else:
        form.add_error(None, error.messages)


def url_for_pk(name: str) -> Callable[[int], str]:
    """``reverse(name, args=[pk])`` for many pks at the cost of one reverse: the URL is reversed once
    with a marker for the pk, and each pk is put in its place (a page of a hundred rows with three
    links each would otherwise resolve three hundred URLs)."""
    marker = 987654321
    head, tail = reverse(name, args=[marker]).split(str(marker))
    return lambda pk: f"{head}{pk}{tail}"
