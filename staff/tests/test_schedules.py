"""Practitioners' weekly hours, leave and blocks: the rules their services keep."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, time
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from clinic.models import Clinic, Room
from staff import roles
from staff.models import Leave, Practitioner, WorkingHours
from staff.services import leave_add, week_intervals, working_hours_add
from tests.factories import ClinicFactory, PractitionerFactory, RoomFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """The messages below are matched in English (the site's default is Portuguese)."""
    with translation.override("en"):
        yield


@pytest.mark.parametrize(
    ("weekday", "start", "end", "expected"),
    [
        (0, time(8), time(12), [(480, 720)]),
        (2, time(22), time(6), [(2 * 1440 + 1320, 3 * 1440 + 360)]),
        (6, time(20), time(2), [(6 * 1440 + 1200, 7 * 1440), (0, 120)]),
        (1, time(0), time(0), [(1440, 2 * 1440)]),
    ],
)
def test_week_intervals(weekday: int, start: time, end: time, expected: list[tuple[int, int]]) -> None:
    assert week_intervals(weekday, start, end) == expected


@pytest.fixture
def setting(clinic: Clinic) -> dict[str, Any]:
    room = RoomFactory(floor__clinic=clinic, kind=Room.Kind.CONSULTING)
    practitioner = PractitionerFactory()
    practitioner.user.clinics.add(clinic)
    return {"practitioner": practitioner, "clinic": clinic, "room": room}


def add(setting: dict[str, Any], **overrides: Any) -> WorkingHours:
    fields = {
        **setting,
        "weekday": 0,
        "start_time": time(8),
        "end_time": time(12),
        "valid_from": date(2026, 1, 1),
        "valid_until": None,
        **overrides,
    }
    return working_hours_add(**fields)


def test_hours_that_do_not_touch_are_kept(setting: dict[str, Any]) -> None:
    add(setting)
    add(setting, start_time=time(12), end_time=time(17))
    add(setting, weekday=1)
    assert WorkingHours.objects.count() == 3


@pytest.mark.parametrize(
    "overlapping",
    [
        {"start_time": time(11), "end_time": time(14)},
        {"start_time": time(7), "end_time": time(8, 30)},
        {"weekday": 6, "start_time": time(22), "end_time": time(8, 30)},  # Sunday night into Monday
    ],
)
def test_overlapping_hours_of_one_practitioner_are_refused(
    setting: dict[str, Any], overlapping: dict[str, Any]
) -> None:
    add(setting)
    with pytest.raises(ValidationError, match="overlap"):
        add(setting, **overlapping)
    assert WorkingHours.objects.count() == 1


def test_hours_in_periods_that_do_not_meet_may_overlap(setting: dict[str, Any]) -> None:
    add(setting, valid_until=date(2026, 6, 30))
    add(setting, valid_from=date(2026, 7, 1))
    assert WorkingHours.objects.count() == 2


def test_a_room_is_not_given_to_two_practitioners_at_once(setting: dict[str, Any], clinic: Clinic) -> None:
    add(setting)
    colleague: Practitioner = PractitionerFactory()
    colleague.user.clinics.add(clinic)
    with pytest.raises(ValidationError, match="taken"):
        add({**setting, "practitioner": colleague}, start_time=time(10), end_time=time(11))
    add({**setting, "practitioner": colleague}, start_time=time(13), end_time=time(17))
    assert WorkingHours.objects.filter(practitioner=colleague).count() == 1


def test_room_must_be_of_the_clinic_and_for_appointments(setting: dict[str, Any]) -> None:
    other_clinic = ClinicFactory()
    with pytest.raises(ValidationError, match="another clinic"):
        add(setting, room=RoomFactory(floor__clinic=other_clinic))
    with pytest.raises(ValidationError, match="consulting or exam"):
        add(setting, room=RoomFactory(floor__clinic=setting["clinic"], kind=Room.Kind.WARD))
    assert not WorkingHours.objects.exists()


def test_practitioner_must_work_in_the_clinic(setting: dict[str, Any]) -> None:
    setting["practitioner"].user.clinics.clear()
    with pytest.raises(ValidationError, match="does not work in this clinic"):
        add(setting)


def test_overlapping_leave_is_refused_by_the_database(setting: dict[str, Any]) -> None:
    practitioner = setting["practitioner"]
    leave_add(
        practitioner=practitioner, kind=Leave.Kind.VACATION, start_date=date(2026, 7, 1), end_date=date(2026, 7, 15)
    )
    with pytest.raises(ValidationError, match="overlaps another leave"):
        leave_add(
            practitioner=practitioner, kind=Leave.Kind.SICK, start_date=date(2026, 7, 15), end_date=date(2026, 7, 20)
        )
    leave_add(practitioner=practitioner, kind=Leave.Kind.SICK, start_date=date(2026, 7, 16), end_date=date(2026, 7, 20))
    assert Leave.objects.count() == 2


def test_leave_ending_before_it_starts_is_refused(setting: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        leave_add(
            practitioner=setting["practitioner"],
            kind="vacation",
            start_date=date(2026, 7, 2),
            end_date=date(2026, 7, 1),
        )
    assert not Leave.objects.exists()


def test_admin_adds_hours_and_sees_overlaps_next_to_the_form(
    setting: dict[str, Any], make_user: Any, client_for: Any
) -> None:
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    admin = make_user(roles.ADMIN, is_staff=True)
    TOTP.activate(admin, generate_totp_secret())
    client: Client = client_for(admin)
    form = {
        "practitioner": setting["practitioner"].pk,
        "clinic": setting["clinic"].pk,
        "room": setting["room"].pk,
        "weekday": 0,
        "start_time": "08:00",
        "end_time": "12:00",
        "valid_from": "2026-01-01",
    }
    assert client.post("/admin/staff/workinghours/add/", form).status_code == 302
    response = client.post("/admin/staff/workinghours/add/", {**form, "start_time": "11:00", "end_time": "13:00"})
    assert response.status_code == 200
    assert WorkingHours.objects.count() == 1
    assert response.context["adminform"].form.non_field_errors()


def test_admin_lists_practitioners_with_their_registration(
    setting: dict[str, Any], make_user: Any, client_for: Any
) -> None:
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    admin = make_user(roles.ADMIN, is_staff=True)
    TOTP.activate(admin, generate_totp_secret())
    client: Client = client_for(admin)
    page = client.get("/admin/staff/practitioner/").content.decode()
    assert setting["practitioner"].registration in page
    detail = client.get(f"/admin/staff/practitioner/{setting['practitioner'].pk}/change/")
    assert detail.status_code == 200
