from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """The name a person typed to sign in, for django-axes to count failures against.

    allauth's form calls it "login" and passes it on as "username" or "email"; what the person
    typed is what a lockout must follow, whichever way it is used.
    """
    typed = request.POST.get("login") if request is not None and request.method == "POST" else None
    if typed:
        return str(typed).strip().lower()
    credentials = credentials or {}
    value = credentials.get("username") or credentials.get("email") or credentials.get("login")
    return str(value).strip().lower() if value else None
