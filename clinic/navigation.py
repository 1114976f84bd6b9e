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
    group: str | Promise | None = None  # entries of one group share a drop-down

    @property
    def url(self) -> str:
        return reverse(self.url_name)


SCHEDULING = _("Scheduling")
EMERGENCY = _("Emergency")
EXAMS = _("Exams")
BEDS = _("Beds")

MENU = [
    MenuEntry(_("Patients"), "patients:search", "patients.view_patient", "bi-people"),
    MenuEntry(_("New patient"), "patients:create", "patients.add_patient", "bi-person-plus"),
    MenuEntry(_("Book"), "scheduling:book", "scheduling.add_appointment", "bi-calendar-plus", SCHEDULING),
    MenuEntry(_("Reception board"), "scheduling:board", "scheduling.change_appointment", "bi-people-fill", SCHEDULING),
    MenuEntry(_("Agenda"), "scheduling:agenda", "scheduling.view_appointment", "bi-calendar-week", SCHEDULING),
    MenuEntry(_("Clinic calendar"), "scheduling:clinic-day", "scheduling.view_appointment", "bi-calendar3", SCHEDULING),
    MenuEntry(
        _("Waiting list"),
        "scheduling:waiting-list",
        "scheduling.view_waitinglistentry",
        "bi-hourglass-split",
        SCHEDULING,
    ),
    MenuEntry(_("Triage queue"), "triage:queue", "triage.view_visit", "bi-heart-pulse", EMERGENCY),
    MenuEntry(_("Walk-in arrival"), "triage:arrive", "triage.add_visit", "bi-door-open", EMERGENCY),
    MenuEntry(
        _("My emergency queue"),
        "triage:doctor-queue",
        "scheduling.change_consultation",
        "bi-person-lines-fill",
        EMERGENCY,
    ),
    MenuEntry(_("Exam worklist"), "exams:worklist", "exams.enter_result", "bi-clipboard2-pulse", EXAMS),
    MenuEntry(_("Exam orders"), "exams:orders", "exams.view_examorder", "bi-card-checklist", EXAMS),
    MenuEntry(_("Ward board"), "beds:board", "beds.view_bed", "bi-grid-3x3-gap", BEDS),
    MenuEntry(_("Admission requests"), "beds:requests", "beds.view_admission", "bi-box-arrow-in-right", BEDS),
    MenuEntry(_("Wards and beds setup"), "beds:setup", "beds.change_ward", "bi-tools", BEDS),
    MenuEntry(_("Rota"), "staff:rota", "staff.view_shift", "bi-person-badge"),
    MenuEntry(_("Outbox"), "messaging:outbox", "messaging.view_message", "bi-send"),
    MenuEntry(_("Occupancy report"), "reports:occupancy", "reports.view_occupancy_report", "bi-bar-chart"),
    MenuEntry(_("Clinics"), "clinic:list", "clinic.view_clinic", "bi-hospital"),
]


def menu_for(user: User) -> list[MenuEntry]:
    if not user.is_authenticated:
        return []
    return [entry for entry in MENU if user.has_perm(entry.permission)]


@dataclass(frozen=True)
class MenuGroup:
    label: str | Promise
    entries: list[MenuEntry]


def menu_tree(entries: list[MenuEntry]) -> list[MenuEntry | MenuGroup]:
    """The entries as the navigation bar shows them: grouped ones in one drop-down, in menu order."""
    tree: list[MenuEntry | MenuGroup] = []
    groups: dict[str, MenuGroup] = {}
    for entry in entries:
        if entry.group is None:
            tree.append(entry)
        elif str(entry.group) in groups:
            groups[str(entry.group)].entries.append(entry)
        else:
            groups[str(entry.group)] = MenuGroup(entry.group, [entry])
            tree.append(groups[str(entry.group)])
    return tree
