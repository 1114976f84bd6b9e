"""The site's main menu: an entry is shown only to users holding its permission.

Later apps append their entries here; the server still checks each view on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from staff.models import User


@dataclass(frozen=True)
class MenuEntry:
    label: str | Promise
    url_name: str
    permission: str
    icon: str

    @property
    def url(self) -> str:
        return reverse(self.url_name)


MENU = [
    MenuEntry(_("Patients"), "patients:search", "patients.view_patient", "bi-people"),
    MenuEntry(_("New patient"), "patients:create", "patients.add_patient", "bi-person-plus"),
    MenuEntry(_("Clinics"), "clinic:list", "clinic.view_clinic", "bi-hospital"),
]


def menu_for(user: User) -> list[MenuEntry]:
    if not user.is_authenticated:
        return []
    return [entry for entry in MENU if user.has_perm(entry.permission)]
