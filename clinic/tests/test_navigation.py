"""The navigation bar: what a role sees, grouped by area as the bar shows it."""

from __future__ import annotations

import re

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client

from clinic.navigation import (
    BEDS,
    EMERGENCY,
    EXAMS,
    MANAGEMENT,
    PATIENTS,
    SCHEDULING,
    MenuArea,
    MenuEntry,
    MenuGroup,
    menu_for,
    menu_tree,
)
from staff import roles
from staff.models import User
from tests.factories import UserFactory

# What each role finds in its bar, area by area (URLs in menu order). Changing a role's menu is a decision:
# the permissions come from each app's roles migration, and the server checks every view again.
BARS = {
    roles.RECEPTION: {
        PATIENTS: ["/patients/", "/patients/new/"],
        SCHEDULING: [
            "/scheduling/book/",
            "/scheduling/board/",
            "/scheduling/agenda/",
            "/scheduling/day/",
            "/scheduling/waiting-list/",
        ],
        EMERGENCY: ["/triage/", "/triage/arrive/"],
        MANAGEMENT: ["/staff/rota/", "/messages/", "/clinics/"],
    },
    roles.TRIAGE_NURSE: {
        PATIENTS: ["/patients/", "/patients/new/"],
        SCHEDULING: ["/scheduling/book/", "/scheduling/agenda/", "/scheduling/day/", "/scheduling/waiting-list/"],
        EMERGENCY: ["/triage/", "/triage/arrive/"],
        EXAMS: ["/exams/orders/"],
        BEDS: ["/beds/", "/beds/requests/"],
        MANAGEMENT: ["/staff/rota/", "/clinics/"],
    },
    roles.WARD_NURSE: {
        PATIENTS: ["/patients/"],
        SCHEDULING: ["/scheduling/agenda/", "/scheduling/day/"],
        EMERGENCY: ["/triage/"],
        EXAMS: ["/exams/orders/"],
        BEDS: ["/beds/", "/beds/requests/"],
        MANAGEMENT: ["/staff/rota/", "/clinics/"],
    },
    roles.DOCTOR: {
        PATIENTS: ["/patients/"],
        SCHEDULING: ["/scheduling/board/", "/scheduling/agenda/", "/scheduling/day/", "/scheduling/waiting-list/"],
        EMERGENCY: ["/triage/", "/triage/doctor/"],
        EXAMS: ["/exams/orders/"],
        BEDS: ["/beds/", "/beds/requests/"],
        MANAGEMENT: ["/staff/rota/", "/clinics/"],
    },
    roles.LAB: {
        PATIENTS: ["/patients/"],
        EXAMS: ["/exams/worklist/", "/exams/orders/"],
        MANAGEMENT: ["/clinics/"],
    },
    roles.BILLING: {
        PATIENTS: ["/patients/"],
        MANAGEMENT: ["/clinics/"],
    },
    roles.MANAGER: {
        SCHEDULING: ["/scheduling/agenda/", "/scheduling/day/", "/scheduling/waiting-list/"],
        EMERGENCY: ["/triage/"],
        EXAMS: ["/exams/orders/"],
        BEDS: ["/beds/", "/beds/requests/", "/beds/setup/"],
        MANAGEMENT: ["/staff/rota/", "/messages/", "/reports/occupancy/", "/clinics/"],
    },
    roles.ADMIN: {
        PATIENTS: ["/patients/"],
        SCHEDULING: ["/scheduling/agenda/", "/scheduling/day/", "/scheduling/waiting-list/"],
        EMERGENCY: ["/triage/", "/triage/arrive/"],
        EXAMS: ["/exams/orders/"],
        BEDS: ["/beds/", "/beds/requests/", "/beds/setup/"],
        MANAGEMENT: ["/staff/rota/", "/messages/", "/reports/occupancy/", "/clinics/"],
    },
}


def _bar(user: User) -> Client:
    """A client signed in as ``user`` (an administrator has her second factor enrolled)."""
    if user.has_perm("staff.require_two_factor"):
        TOTP.activate(user, generate_totp_secret())
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_an_areas_entries_share_one_group_in_menu_order() -> None:
    area, other = MenuArea("G", "bi-g"), MenuArea("G", "bi-h")  # areas are told apart by identity
    b = MenuEntry("B", "home", "x.y", "bi-b", area)
    c = MenuEntry("C", "home", "x.y", "bi-c", other)
    d = MenuEntry("D", "home", "x.y", "bi-d", area)
    tree = menu_tree([b, c, d])
    assert tree == [MenuGroup(area, [b, d]), MenuGroup(other, [c])]
    assert [group.only_entry for group in tree] == [None, c]


@pytest.mark.parametrize("role", roles.ALL_ROLES)
def test_each_role_finds_its_pages_by_area(role: str, db: None) -> None:
    user = UserFactory(role=role)
    assert {group.area: group.urls for group in menu_tree(menu_for(user))} == BARS[role]

    # Every entry is reachable from the bar: an area with several entries opens a drop-down, an area with one
    # is a link to it, labelled by the area and named by the page for screen readers.
    page = _bar(user).get("/").content.decode()
    bar = page[page.index('data-testid="menu"') : page.index('data-testid="language"')]
    for urls in BARS[role].values():
        for url in urls:
            assert f'href="{url}"' in bar
    assert bar.count('data-testid="menu-group"') == sum(len(urls) > 1 for urls in BARS[role].values())


def test_an_area_with_one_entry_is_a_link_labelled_by_the_area(db: None) -> None:
    page = _bar(UserFactory(role=roles.BILLING)).get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="menu-group"' not in page
    assert re.search(
        r'href="/clinics/" title="Clinics">.*Management<span class="visually-hidden">: Clinics</span>', page
    )


def test_the_admin_site_is_in_managements_drop_down_for_staff_only(db: None) -> None:
    page = _bar(UserFactory(role=roles.ADMIN, is_staff=True)).get("/").content.decode()
    management = page[page.index('href="/staff/rota/"') : page.index("</ul>", page.index('href="/staff/rota/"'))]
    assert 'href="/admin/"' in management
    manager_page = _bar(UserFactory(role=roles.MANAGER)).get("/").content.decode()
    assert 'href="/admin/"' not in manager_page
