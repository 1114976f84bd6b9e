from typing import Any

from django.http import HttpRequest

from clinic.navigation import menu_for, menu_tree


def navigation(request: HttpRequest) -> dict[str, Any]:
    menu = menu_for(request.user)  # type: ignore[arg-type]
    return {
        "menu": menu,
        "menu_tree": menu_tree(menu),
        "show_admin_link": request.user.is_authenticated and request.user.is_staff,
    }
