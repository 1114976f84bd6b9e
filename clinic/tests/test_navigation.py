"""The navigation bar: what a role sees, grouped as the bar shows it."""

from __future__ import annotations

from django.test import Client

from clinic.navigation import EMERGENCY, SCHEDULING, MenuEntry, MenuGroup, menu_for, menu_tree
from staff import roles
from tests.factories import UserFactory


def test_grouped_entries_share_one_drop_down_in_menu_order() -> None:
    a = MenuEntry("A", "home", "x.y", "bi-a")
    b = MenuEntry("B", "home", "x.y", "bi-b", group="G")
    c = MenuEntry("C", "home", "x.y", "bi-c")
    d = MenuEntry("D", "home", "x.y", "bi-d", group="G")
    assert menu_tree([a, b, c, d]) == [a, MenuGroup("G", [b, d]), c]


def test_reception_gets_the_scheduling_pages_in_one_drop_down(db: None) -> None:
    user = UserFactory(role=roles.RECEPTION)
    tree = menu_tree(menu_for(user))
    groups = [item for item in tree if isinstance(item, MenuGroup)]
    assert [entry.url for entry in groups[0].entries] == [
        "/scheduling/book/",
        "/scheduling/board/",
        "/scheduling/agenda/",
        "/scheduling/day/",
        "/scheduling/waiting-list/",
    ]
    client = Client()
    client.force_login(user)
    page = client.get("/").content.decode()
    # Scheduling, and the emergency door where reception registers walk-ins.
    assert [group.label for group in groups] == [SCHEDULING, EMERGENCY]
    assert [entry.url for entry in groups[1].entries] == ["/triage/", "/triage/arrive/"]
    assert page.count('data-testid="menu-group"') == 2
    assert 'href="/scheduling/book/"' in page


def test_a_role_without_scheduling_gets_no_empty_drop_down(db: None) -> None:
    client = Client()
    client.force_login(UserFactory(role=roles.BILLING))
    assert 'data-testid="menu-group"' not in client.get("/").content.decode()
