from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from clinic.models import Clinic
from staff import roles
from staff.models import User
from tests.factories import ClinicFactory, UserFactory


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path: Any) -> None:
    """Each test stores uploaded documents in its own folder."""
    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None},
        },
    }


@pytest.fixture
def clinic(db: None) -> Clinic:
    return ClinicFactory()


@pytest.fixture
def make_user(db: None, clinic: Clinic) -> Callable[..., User]:
    def make(role: str | None = None, clinics: list[Clinic] | None = None, **kwargs: Any) -> User:
        return UserFactory(role=role, clinics=clinics if clinics is not None else [clinic], **kwargs)

    return make


@pytest.fixture
def reception(make_user: Callable[..., User]) -> User:
    return make_user(roles.RECEPTION)


@pytest.fixture
def doctor(make_user: Callable[..., User]) -> User:
    return make_user(roles.DOCTOR)


@pytest.fixture
def client_for() -> Callable[[User], Client]:
    """A test client signed in as ``user`` (no second factor: tests of MFA sign in for real)."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return make


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Rate-limit counters and the like live in the cache; each test starts without them."""
    from django.core.cache import cache

    cache.clear()


def _uses_database(request: pytest.FixtureRequest) -> bool:
    names = set(request.fixturenames)
    return bool({"db", "transactional_db", "live_server"} & names) or request.node.get_closest_marker("django_db")


@pytest.fixture(autouse=True)
def _roles(request: pytest.FixtureRequest) -> None:
    """The roles come from data migrations; a transactional test's flush removes them, so put them back."""
    if not _uses_database(request):
        return
    request.getfixturevalue("transactional_db" if "transactional_db" in request.fixturenames else "db")
    from django.contrib.auth.models import Group

    if not Group.objects.exists():
        from tests.roles import recreate_roles

        recreate_roles()
