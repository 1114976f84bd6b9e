from typing import Any

from django.http import HttpRequest

from clinic.navigation import menu_for


def navigation(request: HttpRequest) -> dict[str, Any]:
    return {
        "menu": menu_for(request.user),  # type: ignore[arg-type]
        "show_admin_link": request.user.is_authenticated and request.user.is_staff,
    }
