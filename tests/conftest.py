"""What the cross-app tests share: one of every object a page names, and a signed-in client per role."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client

from clinic.models import Clinic
from staff import roles
from staff.models import User
from tests.factories.world import build_world
from tests.url_table import ALL_ROLES, ANON


@pytest.fixture
def objects(db: None, clinic: Clinic) -> dict[str, Any]:
    """One of every object a URL of the table names, in the home clinic."""
    return build_world(clinic)


@pytest.fixture
def role_clients(
    objects: dict[str, Any], make_user: Callable[..., User], client_for: Callable[[User], Client]
) -> dict[str, Client]:
    """A client per role (and one signed out), each of someone who works in the home clinic only;
    the administrator has a second factor, as the site requires."""
    clients = {ANON: Client()}
    for role in ALL_ROLES:
        user = make_user(role, is_staff=role == roles.ADMIN)
        if role == roles.ADMIN:
            TOTP.activate(user, generate_totp_secret())
        clients[role] = client_for(user)
    return clients
