"""The site's main menu: an entry is shown only to users holding its permission.

Later apps append their entries here; the server still checks each view on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from staff.models import User


@dataclass(frozen=True, eq=False)
class MenuArea:
    """A drop-down of the bar: the entries of one area of work (compared by identity, not by label)."""

    label: str | Promise
    icon: str


@dataclass(frozen=True)
class MenuEntry:
    label: str | Promise
    url_name: str
    permission: str
    icon: str
    area: MenuArea  # entries of one area share a drop-down

    @property
    def url(self) -> str:
        return reverse(self.url_name)


# Few top-level entries, so that every role's bar fits one line of a laptop (1366 px) in Portuguese.
PATIENTS = MenuArea(_("Patients"), "bi-people")
SCHEDULING = MenuArea(_("Scheduling"), "bi-calendar-week")
EMERGENCY = MenuArea(_("Emergency"), "bi-heart-pulse")
EXAMS = MenuArea(_("Exams"), "bi-clipboard2-pulse")
BEDS = MenuArea(_("Beds"), "bi-grid-3x3-gap")
MANAGEMENT = MenuArea(_("Management"), "bi-building-gear")

MENU = [
    MenuEntry(_("Patients"), "patients:search", "patients.view_patient", "bi-search", PATIENTS),
    MenuEntry(_("New patient"), "patients:create", "patients.add_patient", "bi-person-plus", PATIENTS),
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
    MenuEntry(_("Rota"), "staff:rota", "staff.view_shift", "bi-person-badge", MANAGEMENT),
    MenuEntry(_("Outbox"), "messaging:outbox", "messaging.view_message", "bi-send", MANAGEMENT),
    MenuEntry(_("Occupancy report"), "reports:occupancy", "reports.view_occupancy_report", "bi-bar-chart", MANAGEMENT),
    MenuEntry(_("Clinics"), "clinic:list", "clinic.view_clinic", "bi-hospital", MANAGEMENT),
]


def menu_for(user: User) -> list[MenuEntry]:
    if not user.is_authenticated:
        return []
    return [entry for entry in MENU if user.has_perm(entry.permission)]


@dataclass(frozen=True)
class MenuGroup:
    area: MenuArea
    entries: list[MenuEntry]

    @property
    def label(self) -> str | Promise:
        return self.area.label

    @property
    def icon(self) -> str:
        return self.area.icon

    @property
    def urls(self) -> list[str]:
        return [entry.url for entry in self.entries]

    @property
    def only_entry(self) -> MenuEntry | None:
        """An area holding one entry for this user is a link to it, labelled by the area: no drop-down to open."""
        return self.entries[0] if len(self.entries) == 1 else None


def menu_tree(entries: list[MenuEntry]) -> list[MenuGroup]:
    """The entries as the navigation bar shows them: an area's entries in one group, areas in menu order."""
    groups: dict[MenuArea, MenuGroup] = {}
    for entry in entries:
        groups.setdefault(entry.area, MenuGroup(entry.area, [])).entries.append(entry)
    return list(groups.values())
