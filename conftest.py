from __future__ import annotations

from collections.abc import Callable, Iterator
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


def _transactional(request: pytest.FixtureRequest) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(
        {"transactional_db", "live_server"} & set(request.fixturenames) or (marker and marker.kwargs.get("transaction"))
    )


@pytest.fixture(autouse=True)
def _roles(request: pytest.FixtureRequest, django_db_blocker: Any) -> Iterator[None]:
    """The roles and the ICD-10 catalog come from data migrations, and a transactional test's flush
    empties every table.

    Before each test that uses the database, and before its own transaction opens, whatever a
    flush took is put back and committed, so the tests that follow (and the next run, with
    --reuse-db) find it. Putting it back at teardown would not do: pytest tears this fixture down
    before the database fixture it requested, so before the flush.
    """
    marker = request.node.get_closest_marker("django_db")
    uses_db = bool({"db", "transactional_db", "live_server"} & set(request.fixturenames) or marker)
    if not uses_db:
        yield
        return
    transactional = _transactional(request)
    request.getfixturevalue("django_db_setup")
    with django_db_blocker.unblock():
        _put_back_reference_data()
    request.getfixturevalue("transactional_db" if transactional else "db")
    yield


def _put_back_reference_data() -> None:
    from django.contrib.auth.models import Group

    from patients.icd10 import catalog_load
    from tests.roles import recreate_roles

    if not Group.objects.exists():
        recreate_roles()
    catalog_load()  # one query when the catalog is there


@pytest.fixture(autouse=True)
def _document_storage(_private_media: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The document field bound its storage when the model loaded; point it at the test's storage."""
    from django.core.files.storage import storages

    from patients.models import PatientDocument

    monkeypatch.setattr(PatientDocument._meta.get_field("file"), "storage", storages["private"])
