"""Roles and permissions in Django admin, as an administrator reading it in Portuguese: the rows keep
their English names, the pages show them translated."""

from __future__ import annotations

import re
from collections.abc import Callable
from html import unescape

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Group, Permission
from django.test import Client

from staff import roles
from staff.models import User


@pytest.fixture
def admin_client(make_user: Callable[..., User], client_for: Callable[[User], Client]) -> Client:
    admin = make_user(roles.ADMIN, is_staff=True, is_superuser=True)
    TOTP.activate(admin, generate_totp_secret())
    client = client_for(admin)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "pt-br"
    return client


def options(page: str, name: str) -> list[str]:
    """The labels of the options of the <select name=...> on the page."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', page, re.S)
    assert select, name
    return [unescape(label).strip() for label in re.findall(r"<option [^>]*>(.*?)</option>", select.group(1), re.S)]


def test_the_roles_list_shows_each_role_by_its_portuguese_label(admin_client: Client) -> None:
    page = unescape(admin_client.get("/admin/auth/group/").content.decode())

    assert re.search(r"<th[^>]*><a [^>]*>Recepção</a></th>\s*<td[^>]*>Reception</td>", page)
    assert re.search(r"<a [^>]*>Enfermagem de triagem</a>", page)
    assert Group.objects.filter(name=roles.RECEPTION).exists()  # the row keeps its identifier


def test_a_role_form_offers_permissions_in_portuguese(admin_client: Client) -> None:
    reception = Group.objects.get(name=roles.RECEPTION)

    page = admin_client.get(f"/admin/auth/group/{reception.pk}/change/").content.decode()

    assert 'name="name" value="Reception"' in page
    assert "Recepção" in unescape(page)  # the label, next to the identifier
    labels = options(page, "permissions")
    # Django's default permission, built from the model's translated name.
    assert "Pacientes | paciente | Pode adicionar paciente" in labels
    assert "Pacientes | paciente | Pode ver paciente" in labels
    # A custom permission, declared with gettext_lazy: its stored name is the msgid.
    assert "Pacientes | documento | Pode baixar os documentos do paciente" in labels
    assert not [label for label in labels if " Can " in label]
    stored = Permission.objects.get(codename="download_patientdocument")
    assert stored.name == "Can download a patient's documents"


def test_the_user_form_offers_roles_and_permissions_in_portuguese(
    admin_client: Client, make_user: Callable[..., User]
) -> None:
    nurse = make_user(roles.WARD_NURSE)

    page = admin_client.get(f"/admin/staff/user/{nurse.pk}/change/").content.decode()

    assert "Enfermagem de internação" in options(page, "groups")
    assert "Reception" not in options(page, "groups")
    assert "Leitos e internações | leito | Pode reservar, higienizar, bloquear e desbloquear leitos" in options(
        page, "user_permissions"
    )


def test_the_users_list_shows_and_filters_roles_by_their_labels(
    admin_client: Client, make_user: Callable[..., User]
) -> None:
    nurse = make_user(roles.WARD_NURSE)
    make_user(roles.RECEPTION)
    ward_nurse = Group.objects.get(name=roles.WARD_NURSE)

    page = unescape(admin_client.get("/admin/staff/user/", {"role": ward_nurse.pk}).content.decode())

    assert f">{nurse.username}</a>" in page
    assert '<td class="field-roles">Enfermagem de internação</td>' in page
    assert "Recepção</a>" in page  # offered by the filter
    assert 'field-roles">Recepção' not in page  # but filtered out
