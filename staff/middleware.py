"""Second factor required for administrators (see ``mfa_required``)."""

from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

_ALWAYS_ALLOWED_PREFIXES = ("/accounts/", "/i18n/", "/static/", "/favicon.ico")


def mfa_required(user: object) -> bool:
    """Superusers, people who can enter Django admin, and roles given ``staff.require_two_factor``.

    Reads the permission cache the views fill anyway, so it costs no query of its own.
    """
    if not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or user.is_staff or user.has_perm("staff.require_two_factor"))  # type: ignore[attr-defined]


class RequireAdminMFAMiddleware:
    """Sends an administrator without a TOTP authenticator to set one up before anything else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            mfa_required(user)
            and not request.path.startswith(_ALWAYS_ALLOWED_PREFIXES)
            and not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
        ):
            messages.warning(request, _("Your role requires two-factor authentication. Set it up to continue."))
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
