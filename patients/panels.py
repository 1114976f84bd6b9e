"""The patient chart is made of panels that each app serves; the chart page loads them.

An app registers a panel in its AppConfig.ready(); patients/ never imports the apps above it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise

from staff.models import User


@dataclass(frozen=True)
class Panel:
    key: str
    title: str | Promise
    url_name: str  # takes the patient's pk
    permission: str
    order: int

    def url(self, patient_pk: int) -> str:
        return reverse(self.url_name, args=[patient_pk])


_PANELS: dict[str, Panel] = {}


def register(panel: Panel) -> None:
    _PANELS[panel.key] = panel


def panels_for(user: User) -> list[Panel]:
    return sorted((p for p in _PANELS.values() if user.has_perm(p.permission)), key=lambda p: p.order)
