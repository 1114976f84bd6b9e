"""The chart access log: written on every chart view, hash-chained, append-only, verifiable."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client

from patients import services
from patients.models import ChartAccess, Patient
from staff.models import User
from tests.factories import make_patient

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Chrome/130.0"


@pytest.fixture
def patient(reception: User) -> Patient:
    return make_patient(by=reception)


@pytest.fixture
def three_views(
    client_for: Callable[[User], Client], doctor: User, reception: User, patient: Patient
) -> list[ChartAccess]:
    """Three chart views through the page, by two people from two addresses."""
    for user, address in ((doctor, "203.0.113.7"), (reception, "198.51.100.20"), (doctor, "203.0.113.7")):
        response = client_for(user).get(
            f"/patients/{patient.pk}/", REMOTE_ADDR=address, headers={"user-agent": BROWSER}
        )
        assert response.status_code == 200
    return list(ChartAccess.objects.order_by("id"))


def test_viewing_a_chart_writes_one_entry(client_for: Callable[[User], Client], doctor: User, patient: Patient) -> None:
    response = client_for(doctor).get(
        f"/patients/{patient.pk}/", REMOTE_ADDR="203.0.113.7", headers={"user-agent": BROWSER}
    )

    assert response.status_code == 200
    entry = ChartAccess.objects.get()
    assert entry.action == ChartAccess.Action.VIEW_CHART
    assert (entry.user, entry.patient, entry.document) == (doctor, patient, None)
    assert (entry.ip_address, entry.user_agent) == ("203.0.113.7", BROWSER)
    assert entry.entry_hash == entry.compute_hash()


def test_a_refused_chart_view_writes_nothing(
    client_for: Callable[[User], Client], make_user: Callable[..., User], patient: Patient
) -> None:
    nobody = make_user(None)
    assert client_for(nobody).get(f"/patients/{patient.pk}/").status_code == 403
    assert not ChartAccess.objects.exists()


def test_entries_chain_to_the_one_before(three_views: list[ChartAccess]) -> None:
    first, second, third = three_views
    assert first.previous_hash == ""
    assert second.previous_hash == first.entry_hash
    assert third.previous_hash == second.entry_hash
    assert len({e.entry_hash for e in three_views}) == 3
    assert [e.ip_address for e in three_views] == ["203.0.113.7", "198.51.100.20", "203.0.113.7"]


def test_verify_passes_on_an_intact_log(three_views: list[ChartAccess]) -> None:
    output = StringIO()
    call_command("verify_access_log", stdout=output)
    assert "intact: 3 entries" in output.getvalue()


def test_verify_passes_on_an_empty_log(db: None) -> None:
    output = StringIO()
    call_command("verify_access_log", stdout=output)
    assert "intact: 0 entries" in output.getvalue()


def _refused(change: Callable[[], object]) -> DatabaseError:
    with pytest.raises(DatabaseError) as caught, transaction.atomic():
        change()
    return caught.value


def test_update_and_delete_are_refused_by_the_database(three_views: list[ChartAccess]) -> None:
    entry = three_views[1]
    before = list(ChartAccess.objects.order_by("id").values())

    errors = [
        _refused(lambda: ChartAccess.objects.filter(pk=entry.pk).update(ip_address="10.9.9.9")),
        _refused(lambda: ChartAccess.objects.filter(pk=entry.pk).delete()),
        _refused(lambda: ChartAccess.objects.all().delete()),
        _refused(entry.delete),
    ]
    entry.user_agent = "changed"
    errors.append(_refused(entry.save))

    assert all("append-only" in str(error) for error in errors)
    assert list(ChartAccess.objects.order_by("id").values()) == before
    call_command("verify_access_log", stdout=StringIO())


@pytest.fixture
def trigger_off() -> Iterator[None]:
    """What someone with direct database access could do: switch the guard off for a moment."""
    with connection.cursor() as cursor:
        # ALTER TABLE waits for no deferred foreign-key check of this test's transaction: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE patients_chartaccess DISABLE TRIGGER chartaccess_append_only")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE patients_chartaccess ENABLE TRIGGER chartaccess_append_only")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _run(sql: str, params: list[str | int]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_verify_names_the_entry_whose_content_was_changed(three_views: list[ChartAccess], trigger_off: None) -> None:
    tampered = three_views[1]
    _run("UPDATE patients_chartaccess SET ip_address = %s WHERE id = %s", ["10.0.0.66", tampered.pk])

    with pytest.raises(CommandError) as caught:
        call_command("verify_access_log", stdout=StringIO())

    assert f"broken at entry {tampered.pk}:" in str(caught.value)
    assert "does not match its hash" in str(caught.value)
    assert "(1 entries checked before it)" in str(caught.value)


def test_verify_names_the_entry_after_a_removed_one(three_views: list[ChartAccess], trigger_off: None) -> None:
    _run("DELETE FROM patients_chartaccess WHERE id = %s", [three_views[1].pk])

    with pytest.raises(CommandError) as caught:
        call_command("verify_access_log", stdout=StringIO())

    assert f"broken at entry {three_views[2].pk}:" in str(caught.value)
    assert "does not link to the entry before it" in str(caught.value)


def test_verify_catches_a_rewritten_entry_with_a_recomputed_hash(
    three_views: list[ChartAccess], trigger_off: None
) -> None:
    # Recomputing the changed entry's own hash is not enough: the next entry no longer links to it.
    tampered = three_views[0]
    tampered.ip_address = "10.0.0.66"
    _run(
        "UPDATE patients_chartaccess SET ip_address = %s, entry_hash = %s WHERE id = %s",
        [tampered.ip_address, tampered.compute_hash(), tampered.pk],
    )

    with pytest.raises(CommandError) as caught:
        call_command("verify_access_log", stdout=StringIO())

    assert f"broken at entry {three_views[1].pk}:" in str(caught.value)


def test_service_appends_after_the_last_entry(three_views: list[ChartAccess], doctor: User, patient: Patient) -> None:
    entry = services.chart_access_record(user=doctor, patient=patient, action=ChartAccess.Action.VIEW_CHART)
    assert entry.previous_hash == three_views[-1].entry_hash
    call_command("verify_access_log", stdout=StringIO())


def test_admins_read_the_log_in_django_admin_and_cannot_change_it(
    make_user: Callable[..., User], client_for: Callable[[User], Client], three_views: list[ChartAccess]
) -> None:
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    from staff import roles

    admin = make_user(roles.ADMIN, is_staff=True)
    TOTP.activate(admin, generate_totp_secret())
    client = client_for(admin)
    listing = client.get("/admin/patients/chartaccess/")
    assert listing.status_code == 200
    assert three_views[-1].patient.display_name in listing.content.decode()
    entry = three_views[0]
    page = client.get(f"/admin/patients/chartaccess/{entry.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert client.post(f"/admin/patients/chartaccess/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert ChartAccess.objects.count() == 3


def test_other_roles_cannot_read_the_log(
    make_user: Callable[..., User], client_for: Callable[[User], Client], three_views: list[ChartAccess]
) -> None:
    from staff import roles

    manager = make_user(roles.MANAGER, is_staff=False)
    assert client_for(manager).get("/admin/patients/chartaccess/").status_code == 302
