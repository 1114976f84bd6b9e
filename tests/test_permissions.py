"""Every URL of the site, as every role: the expected answer is in the table below.

A URL added to the site without a row here fails ``test_every_url_has_a_row``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from clinic.models import Clinic
from patients import services
from patients.models import Allergy, Condition, Medication
from staff import roles
from staff.models import User
from tests.factories import make_patient

ANON = "anonymous"
ALL_ROLES = roles.ALL_ROLES
CLINICAL = {roles.TRIAGE_NURSE, roles.WARD_NURSE, roles.DOCTOR}
REGISTRY_ADD = {roles.RECEPTION, roles.TRIAGE_NURSE}
REGISTRY_EDIT = {*REGISTRY_ADD, roles.DOCTOR}
PATIENT_VIEW = {roles.RECEPTION, *CLINICAL, roles.LAB, roles.BILLING, roles.ADMIN}
DOCUMENTS = {roles.RECEPTION, *CLINICAL, roles.LAB}

# Namespaces and names that belong to third-party apps; they are checked by their own tests.
THIRD_PARTY_PREFIXES = ("admin:", "account_", "mfa_", "set_language", "javascript-catalog", "error-preview")


def only(allowed: set[str], ok: int = 200) -> dict[str, int]:
    """Allowed roles get ``ok``; other roles 403; anonymous users are sent to the login page."""
    return {ANON: 302, **{role: ok if role in allowed else 403 for role in ALL_ROLES}}


EVERYONE_SIGNED_IN = {ANON: 302, **dict.fromkeys(ALL_ROLES, 200)}

# url name -> (path builder, {role: expected status})
TABLE: dict[str, tuple[Callable[[dict[str, Any]], str], dict[str, int]]] = {
    "home": (lambda o: "/", EVERYONE_SIGNED_IN),
    "health": (lambda o: "/health/", {ANON: 200, **dict.fromkeys(ALL_ROLES, 200)}),
    "clinic:list": (lambda o: "/clinics/", EVERYONE_SIGNED_IN),
    "clinic:detail": (lambda o: f"/clinics/{o['clinic'].pk}/", EVERYONE_SIGNED_IN),
    "patients:search": (lambda o: "/patients/?q=silva", only(PATIENT_VIEW)),
    "patients:create": (lambda o: "/patients/new/", only(REGISTRY_ADD)),
    "patients:detail": (lambda o: f"/patients/{o['patient'].pk}/", only(PATIENT_VIEW)),
    "patients:edit": (lambda o: f"/patients/{o['patient'].pk}/edit/", only(REGISTRY_EDIT)),
    "patients:status": (lambda o: f"/patients/{o['patient'].pk}/status/", only(CLINICAL, ok=405)),
    "patients:panel-history": (lambda o: f"/patients/{o['patient'].pk}/panels/history/", only(CLINICAL)),
    "patients:panel-documents": (lambda o: f"/patients/{o['patient'].pk}/panels/documents/", only(DOCUMENTS)),
    "patients:panel-status": (lambda o: f"/patients/{o['patient'].pk}/panels/status/", only(PATIENT_VIEW)),
    "patients:condition-create": (lambda o: f"/patients/{o['patient'].pk}/conditions/new/", only(CLINICAL)),
    "patients:condition-resolve": (
        lambda o: f"/patients/{o['patient'].pk}/conditions/{o['condition'].pk}/resolve/",
        only(CLINICAL, ok=405),
    ),
    "patients:medication-create": (lambda o: f"/patients/{o['patient'].pk}/medications/new/", only(CLINICAL)),
    "patients:medication-stop": (
        lambda o: f"/patients/{o['patient'].pk}/medications/{o['medication'].pk}/stop/",
        only(CLINICAL, ok=405),
    ),
    "patients:allergy-create": (lambda o: f"/patients/{o['patient'].pk}/allergies/new/", only(CLINICAL)),
    "patients:allergy-deactivate": (
        lambda o: f"/patients/{o['patient'].pk}/allergies/{o['allergy'].pk}/deactivate/",
        only(CLINICAL, ok=405),
    ),
    "patients:document-create": (lambda o: f"/patients/{o['patient'].pk}/documents/new/", only(DOCUMENTS)),
    "patients:document-download": (lambda o: f"/patients/documents/{o['document'].pk}/download/", only(DOCUMENTS)),
}


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
def objects(db: None, clinic: Clinic) -> dict[str, Any]:
    author = User.objects.create(username="author")
    patient = make_patient(by=author)
    document = services.document_upload(
        patient=patient,
        uploaded=SimpleUploadedFile("x.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"),
        kind="exam",
        title="Hemograma",
        by=author,
    )
    return {
        "clinic": clinic,
        "patient": patient,
        "document": document,
        "condition": Condition.objects.create(patient=patient, icd10_code="I10", description="Hipertensão"),
        "medication": Medication.objects.create(patient=patient, name="Losartana", dose="50 mg", frequency="1x"),
        "allergy": Allergy.objects.create(patient=patient, substance="Dipirona", severity="mild"),
    }


@pytest.fixture
def role_clients(
    objects: dict[str, Any], make_user: Callable[..., User], client_for: Callable[[User], Client]
) -> dict[str, Client]:
    clients = {ANON: Client()}
    for role in ALL_ROLES:
        user = make_user(role, is_staff=role == roles.ADMIN)
        if role == roles.ADMIN:
            TOTP.activate(user, generate_totp_secret())
        clients[role] = client_for(user)
    return clients


@pytest.mark.parametrize("url_name", sorted(TABLE))
def test_url_answers_each_role_as_the_table_says(
    url_name: str, objects: dict[str, Any], role_clients: dict[str, Client]
) -> None:
    build, expected = TABLE[url_name]
    path = build(objects)
    answers = {role: role_clients[role].get(path).status_code for role in expected}
    assert answers == expected


def test_anonymous_is_sent_to_login(objects: dict[str, Any], role_clients: dict[str, Client]) -> None:
    response = role_clients[ANON].get(f"/patients/{objects['patient'].pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_forbidden_page_is_in_the_site_look(objects: dict[str, Any], role_clients: dict[str, Client]) -> None:
    response = role_clients[roles.MANAGER].get(f"/patients/{objects['patient'].pk}/")
    assert response.status_code == 403
    assert "navbar" in response.content.decode()
