"""Every URL of the site, as every role: the expected answers are in tests/url_table.py, and what another
clinic's id gets is in the scope table below.

A URL added to the site without a row there fails ``test_every_url_has_a_row``.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from django.core.handlers.wsgi import WSGIRequest
from django.http import QueryDict
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from staff import roles
from tests.factories import ClinicFactory
from tests.factories.world import build_world
from tests.url_table import ALL_ROLES, ANON, TABLE, THIRD_PARTY_PREFIXES

# What an id of another clinic in the URL gets (clinic/access.py): "clinic" work answers 404 to those who
# work elsewhere (managers and admins see the whole network); "network" objects (the registry, the
# user's own things, pages naming no object) and "chart" panels (one chart across the network; what
# each panel lists is tested in tests/test_scope.py) answer as at home; "filter" pages take the id as
# a filter choice, refuse it as an invalid choice and show nothing of it.
NETWORK, CHART, CLINIC, FILTER = "network", "chart", "clinic", "filter"
WHOLE_NETWORK = {roles.MANAGER, roles.ADMIN}
SCOPE: dict[str, str] = {
    **dict.fromkeys(
        [
            "home",
            "health",
            "clinic:list",
            "patients:search",
            "patients:create",
            "patients:detail",
            "patients:edit",
            "patients:status",
            "patients:panel-history",
            "patients:panel-documents",
            "patients:panel-status",
            "patients:condition-create",
            "patients:condition-resolve",
            "patients:medication-create",
            "patients:medication-stop",
            "patients:allergy-create",
            "patients:allergy-deactivate",
            "patients:document-create",
            "patients:document-download",
            "patients:icd10-search",
            "scheduling:book",
            "scheduling:book-confirm",
            "scheduling:book-patients",
            "scheduling:agenda",
            "scheduling:waiting-list",
            "scheduling:waiting-list-add",
            "messaging:outbox",
            "messaging:notifications",
            "messaging:notification-bell",
            "messaging:notifications-read-all",
            "messaging:notification-open",
            "beds:board",
            "beds:requests",
            "beds:request-create",
            "exams:worklist",
            "exams:orders",
            "exams:order-create",
            "triage:arrive",
            "triage:doctor-queue",
            "reports:occupancy",
            "public:appointment-link",
        ],
        NETWORK,
    ),
    **dict.fromkeys(
        ["scheduling:panel-appointments", "beds:panel-admissions", "exams:panel-results", "triage:panel-vitals"],
        CHART,
    ),
    **dict.fromkeys(["staff:rota", "reports:occupancy-download"], FILTER),
}


def scope_of(url_name: str) -> str:
    return SCOPE.get(url_name, CLINIC)


def _url_names(resolver: URLResolver, namespace: str = "") -> list[str]:
    names = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names += _url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.append(f"{namespace}{pattern.name}")
    return names


def test_every_url_has_a_row() -> None:
    ours = {name for name in _url_names(get_resolver()) if not name.startswith(THIRD_PARTY_PREFIXES)}
    assert ours - set(TABLE) == set(), "add these URLs to the permission table"
    assert set(TABLE) - ours == set(), "these rows name URLs that no longer exist"


@pytest.fixture
def away(objects: dict[str, Any]) -> dict[str, Any]:
    """The same objects in another clinic of the network, where none of the role users works."""
    return build_world(ClinicFactory())


def test_every_row_of_the_scope_table_names_a_url() -> None:
    assert set(SCOPE) - set(TABLE) == set()


def _marker(away: dict[str, Any]) -> list[str]:
    """Texts of the other clinic that a page refusing its ids must not show."""
    return [away["clinic"].name, away["care_unit"].name]


@pytest.mark.parametrize("role", [ANON, *ALL_ROLES])
def test_another_clinics_id_in_the_url_answers_as_the_access_rule_says(
    role: str, away: dict[str, Any], role_clients: dict[str, Client]
) -> None:
    """Every URL of the table, with the ids of another clinic's objects, as one role.

    Work of a clinic is not found (404) by those who work elsewhere, as if it did not exist; a page that
    only POSTs is posted to, and must refuse before it changes anything. A new URL naming a clinic's
    object is "clinic" by default, so forgetting the scope in its view fails here.
    """
    client = role_clients[role]
    answers, wanted = {}, {}
    for url_name, (build, expected) in sorted(TABLE.items()):
        status, scope = expected[role], scope_of(url_name)
        posting = scope == CLINIC and 405 in expected.values()
        if posting and status == 405 and role in WHOLE_NETWORK:
            continue  # they may act in every clinic: the home table covers them
        path = build(away)
        response = client.post(path) if posting else client.get(path)
        answers[url_name] = response.status_code
        if role == ANON or status == 403 or scope in (NETWORK, CHART) or role in WHOLE_NETWORK:
            wanted[url_name] = status  # refused before any object is read, or allowed anywhere
        elif scope == CLINIC:
            wanted[url_name] = 404
        else:
            wanted[url_name] = 400 if url_name == "reports:occupancy-download" else status
            page = response.content.decode(errors="replace")
            assert not any(text in page for text in _marker(away)), f"{url_name} shows {role} the other clinic"
    assert {name: (answers[name], wanted[name]) for name in answers if answers[name] != wanted[name]} == {}


@pytest.mark.parametrize("role", [ANON, *ALL_ROLES])
def test_url_answers_each_role_as_the_table_says(
    role: str, objects: dict[str, Any], role_clients: dict[str, Client]
) -> None:
    """Every URL of the table as one role (a mismatch names the URL, what it answered and what it should)."""
    answers = {name: role_clients[role].get(build(objects)).status_code for name, (build, _e) in TABLE.items()}
    mismatches = {name: (answers[name], expected[role]) for name, (_b, expected) in TABLE.items()}
    assert {name: pair for name, pair in mismatches.items() if pair[0] != pair[1]} == {}


def test_anonymous_is_sent_to_login(objects: dict[str, Any], role_clients: dict[str, Client]) -> None:
    response = role_clients[ANON].get(f"/patients/{objects['patient'].pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_forbidden_page_is_in_the_site_look(objects: dict[str, Any], role_clients: dict[str, Client]) -> None:
    response = role_clients[roles.MANAGER].get(f"/patients/{objects['patient'].pk}/")
    assert response.status_code == 403
    assert "navbar" in response.content.decode()


# Hostile parameters --------------------------------------------------------------------------------

HOSTILE = [
    "9999-12-31",
    "0001-01-01",
    "2026-02-30",
    "-1",
    "0",
    "99999999999999999999999",
    "1e308",
    "NaN",
    "abc",
    "\x00",
    "a\x00b",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "ç" * 5000,
    "x" * 20_000,
    "2026-W99",
    "25:61",
]


class _ReadKeys(QueryDict):
    """A query string that remembers which keys the view asked it for."""

    read: ClassVar[set[str]] = set()

    def __getitem__(self, key: str) -> Any:
        self.read.add(key)
        return super().__getitem__(key)

    def get(self, key: str, default: Any = None) -> Any:
        self.read.add(key)
        return super().get(key, default)

    def getlist(self, key: str, default: Any = None) -> list[Any]:
        self.read.add(key)
        return super().getlist(key, default)

    def __contains__(self, key: object) -> bool:
        self.read.add(str(key))
        return super().__contains__(key)


def _parameters_read(client: Client, path: str, monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """The GET parameters a page reads: asked with one unknown parameter, so every form on it is bound
    and reads each of its fields (an empty query string would leave them unbound, reading nothing)."""
    _ReadKeys.read = set()
    monkeypatch.setattr(WSGIRequest, "GET", property(lambda request: _ReadKeys(request.META.get("QUERY_STRING", ""))))
    separator = "&" if "?" in path else "?"
    client.get(f"{path}{separator}probe=1")
    client.get(f"{path}{separator}probe=1", HTTP_HX_REQUEST="true")
    monkeypatch.undo()
    return _ReadKeys.read - {"probe"}


def test_every_get_parameter_of_every_page_survives_hostile_values(
    objects: dict[str, Any], role_clients: dict[str, Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Far dates, huge numbers, garbage, NUL bytes and very long strings in every GET parameter a page
    reads (found by watching the page read them), as a role the page is for: a clear answer, never a 500.

    Each value goes in one parameter at a time, the others as the table's URL gives them, with and
    without htmx (which some pages answer with a partial).
    """
    failures: dict[str, list[str]] = {}
    walked = 0
    for url_name, (build, expected) in sorted(TABLE.items()):
        role = next((r for r in (*ALL_ROLES, ANON) if expected[r] == 200), None)
        if role is None:
            continue  # a page only POSTs to, or only redirects: it has no GET parameters of its own
        client, path = role_clients[role], build(objects)
        client.raise_request_exception = False  # a server error is counted, not raised
        base, _, query = path.partition("?")
        known = QueryDict(query, mutable=True)
        for key in sorted(_parameters_read(client, path, monkeypatch) | set(known)):
            for value in HOSTILE:
                params = known.copy()
                params[key] = value
                for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
                    walked += 1
                    response = client.get(base, params, **headers)
                    if response.status_code >= 500:
                        failures.setdefault(url_name, []).append(f"{key}={value[:30]!r}")
    assert walked > 1000  # the walk found the pages' parameters
    assert failures == {}
