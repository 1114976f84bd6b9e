"""Second factor required for the roles listed in settings.MFA_REQUIRED_GROUPS."""

from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

_ALWAYS_ALLOWED_PREFIXES = ("/accounts/", "/i18n/", "/static/")


def mfa_required(user: object) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    return user.groups.filter(name__in=settings.MFA_REQUIRED_GROUPS).exists()  # type: ignore[attr-defined]


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
