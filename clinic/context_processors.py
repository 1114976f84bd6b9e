from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from clinic.navigation import MANAGEMENT, MenuEntry, menu_for, menu_tree

# Django's admin site lets in staff users (it checks ``is_staff``, not a permission).
ADMIN_SITE = MenuEntry(_("Administration"), "admin:index", "", "bi-gear", MANAGEMENT)


def navigation(request: HttpRequest) -> dict[str, Any]:
    menu = menu_for(request.user)  # type: ignore[arg-type]
    bar = [*menu, ADMIN_SITE] if request.user.is_authenticated and request.user.is_staff else menu
    return {"menu": menu, "menu_tree": menu_tree(bar)}
