"""Shifts and rotas: the rules their services keep, and the ones the database keeps by itself."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from clinic.models import Clinic
from staff import roles
from staff.demo import NURSES_PER_CLINIC, load_rota
from staff.models import CareUnit, Leave, Shift, ShiftFunction, User
from staff.selectors import rota_week
from staff.services import rota_copy_week, shift_add, shift_remove
from tests.concurrency import all_at_once
from tests.factories import ClinicFactory, PractitionerFactory, UserFactory

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
MONDAY = date(2026, 3, 9)  # an ISO week's first day; nothing below depends on today


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """The messages below are matched in English (the site's default is Portuguese)."""
    with translation.override("en"):
        yield


def at(day: date, hour: int, minute: int = 0, zone: ZoneInfo = SAO_PAULO) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone)


def make_setting(clinic: Clinic | None = None) -> dict[str, Any]:
    clinic = clinic or ClinicFactory()
    unit = CareUnit.objects.create(clinic=clinic, name="Enfermaria", kind=CareUnit.Kind.WARD)
    nurse = UserFactory(role=roles.WARD_NURSE, clinics=[clinic], first_name="Joana", last_name="Prado")
    manager = UserFactory(role=roles.MANAGER, clinics=[clinic])
    return {"clinic": clinic, "unit": unit, "nurse": nurse, "manager": manager}


@pytest.fixture
def setting(db: None) -> dict[str, Any]:
    return make_setting()


def add(setting: dict[str, Any], starts_at: datetime, hours: float = 12, **overrides: Any) -> Shift:
    fields = {
        "user": setting["nurse"],
        "unit": setting["unit"],
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=hours),
        "function": ShiftFunction.NURSE,
        "by": setting["manager"],
        **overrides,
    }
    return shift_add(**fields)


def on_leave(user: User, first: date, last: date) -> Leave:
    practitioner = PractitionerFactory(user=user, council="COREN")
    return Leave.objects.create(practitioner=practitioner, kind=Leave.Kind.VACATION, start_date=first, end_date=last)


# Adding -------------------------------------------------------------------------------------------


def test_a_shift_is_kept_with_who_added_it(setting: dict[str, Any]) -> None:
    shift = add(setting, at(MONDAY, 7), notes="  Cobre a ala B  ")
    assert (shift.created_by, shift.notes) == (setting["manager"], "Cobre a ala B")
    assert shift.history.get().history_user == setting["manager"]


def test_day_and_night_shifts_follow_each_other(setting: dict[str, Any]) -> None:
    add(setting, at(MONDAY, 7))
    add(setting, at(MONDAY, 19))
    add(setting, at(MONDAY + timedelta(days=1), 7))
    assert Shift.objects.filter(user=setting["nurse"]).count() == 3


@pytest.mark.parametrize(
    ("start", "hours"),
    [
        (at(MONDAY, 7), 12),  # the same shift twice
        (at(MONDAY, 18), 2),  # across the end
        (at(MONDAY, 5), 3),  # across the start
        (at(MONDAY, 10), 1),  # inside
        (at(MONDAY, 6), 14),  # around
    ],
)
def test_an_overlapping_shift_is_refused_naming_the_other(
    setting: dict[str, Any], start: datetime, hours: float
) -> None:
    add(setting, at(MONDAY, 7))
    with pytest.raises(ValidationError) as refused:
        add(setting, start, hours)
    message = " ".join(refused.value.messages)
    assert "Joana Prado already has a shift then: nurse at" in message
    assert "Enfermaria" in message
    assert "03/09/2026 07:00 - 19:00" in message
    assert Shift.objects.count() == 1


def test_a_night_shift_clashes_with_the_next_morning(setting: dict[str, Any]) -> None:
    add(setting, at(MONDAY, 19))  # until Tuesday 07:00
    tuesday = MONDAY + timedelta(days=1)
    with pytest.raises(ValidationError, match=r"already has a shift then: .* 03/09/2026 19:00 - 03/10/2026 07:00"):
        add(setting, at(tuesday, 6), hours=6)
    add(setting, at(tuesday, 7), hours=6)
    assert Shift.objects.count() == 2


def test_one_person_cannot_be_on_shift_in_two_clinics_at_once(setting: dict[str, Any]) -> None:
    elsewhere = make_setting()
    setting["nurse"].clinics.add(elsewhere["clinic"])
    add(setting, at(MONDAY, 7))
    with pytest.raises(
        ValidationError, match=f"already has a shift then: nurse at {setting['clinic'].code} · Enfermaria"
    ):
        add(setting, at(MONDAY, 13), hours=6, unit=elsewhere["unit"])
    colleague = UserFactory(clinics=[setting["clinic"]])
    add(setting, at(MONDAY, 7), user=colleague)  # someone else at the same time is fine
    assert Shift.objects.count() == 2


def test_the_database_refuses_overlaps_and_bad_periods_by_itself(setting: dict[str, Any]) -> None:
    shift = add(setting, at(MONDAY, 7))
    rows = [
        {"starts_at": at(MONDAY, 8), "ends_at": at(MONDAY, 9)},
        {"starts_at": at(MONDAY, 22), "ends_at": at(MONDAY, 21)},
        {"starts_at": at(MONDAY, 20), "ends_at": at(MONDAY + timedelta(days=1), 21)},
    ]
    for period in rows:
        with pytest.raises(IntegrityError), transaction.atomic():
            Shift.objects.create(user=shift.user, unit=shift.unit, function=ShiftFunction.NURSE, **period)
    assert Shift.objects.count() == 1


@pytest.mark.parametrize(
    ("hours", "message"),
    [(0, "must end after it starts"), (-2, "must end after it starts"), (24.5, "at most 24 hours")],
)
def test_empty_and_overlong_shifts_are_refused(setting: dict[str, Any], hours: float, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        add(setting, at(MONDAY, 7), hours=hours)
    assert not Shift.objects.exists()


def test_a_24_hour_shift_is_allowed(setting: dict[str, Any]) -> None:
    shift = add(setting, at(MONDAY, 7), hours=24)
    assert shift.ends_at == at(MONDAY + timedelta(days=1), 7)


def test_only_people_of_the_units_clinic_open_units_and_active_accounts(setting: dict[str, Any]) -> None:
    outsider = UserFactory(clinics=[ClinicFactory()], first_name="Otto", last_name="Fora")
    with pytest.raises(ValidationError, match="Otto Fora does not work in"):
        add(setting, at(MONDAY, 7), user=outsider)
    setting["nurse"].is_active = False
    setting["nurse"].save()
    with pytest.raises(ValidationError, match="account is disabled"):
        add(setting, at(MONDAY, 7))
    closed = CareUnit.objects.create(clinic=setting["clinic"], name="UTI antiga", kind="icu", is_active=False)
    with pytest.raises(ValidationError, match="is closed"):
        add(setting, at(MONDAY, 7), user=UserFactory(clinics=[setting["clinic"]]), unit=closed)
    assert not Shift.objects.exists()


def test_unknown_function_is_refused(setting: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as refused:
        add(setting, at(MONDAY, 7), function="astronaut")
    assert "function" in refused.value.message_dict
    assert not Shift.objects.exists()


def test_times_without_a_zone_are_a_programming_error(setting: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="aware"):
        add(setting, datetime(2026, 3, 9, 7))  # noqa: DTZ001 (the naive time is the point)


# Leave ------------------------------------------------------------------------------------------


def test_a_shift_during_leave_is_refused(setting: dict[str, Any]) -> None:
    tuesday = MONDAY + timedelta(days=1)
    on_leave(setting["nurse"], tuesday, tuesday + timedelta(days=2))
    with pytest.raises(ValidationError, match=r"Joana Prado is on leave \(vacation\) from 03/10/2026 to 03/12/2026"):
        add(setting, at(tuesday, 7))
    with pytest.raises(ValidationError, match="on leave"):
        add(setting, at(MONDAY, 19))  # the night runs into the first day of leave
    add(setting, at(MONDAY, 7))
    add(setting, at(MONDAY + timedelta(days=4), 7))  # Friday, back from leave
    assert Shift.objects.count() == 2


def test_leave_days_are_the_days_of_the_units_clinic(db: None) -> None:
    manaus = ZoneInfo("America/Manaus")  # one hour behind Brasília
    setting = make_setting(ClinicFactory(time_zone="America/Manaus"))
    tuesday = MONDAY + timedelta(days=1)
    on_leave(setting["nurse"], tuesday, tuesday)
    # Monday 19:00 to 23:30 in Manaus is already Tuesday in Brasília, but not yet in Manaus.
    add(setting, at(MONDAY, 19, zone=manaus), hours=4.5)
    with pytest.raises(ValidationError, match="on leave"):
        add(setting, at(MONDAY, 23, 30, zone=manaus), hours=1)
    assert Shift.objects.count() == 1


def test_staff_who_are_not_practitioners_have_no_leave(setting: dict[str, Any]) -> None:
    practitioner_on_leave = UserFactory(clinics=[setting["clinic"]])
    on_leave(practitioner_on_leave, MONDAY, MONDAY)
    assert not hasattr(setting["nurse"], "practitioner")
    add(setting, at(MONDAY, 7))
    assert Shift.objects.filter(user=setting["nurse"]).exists()


# Removing -----------------------------------------------------------------------------------------


def test_removing_a_shift_keeps_its_history(setting: dict[str, Any]) -> None:
    shift = add(setting, at(MONDAY, 7))
    shift_remove(shift=shift, by=setting["manager"])
    assert not Shift.objects.exists()
    removal = Shift.history.filter(id=shift.pk).latest("history_date")
    assert (removal.history_type, removal.history_user) == ("-", setting["manager"])
    with pytest.raises(ValidationError, match="already been removed"):
        shift_remove(shift=shift, by=setting["manager"])


# Copying a week -----------------------------------------------------------------------------------


def test_copying_a_week_keeps_the_clinics_wall_clock_times(db: None) -> None:
    setting = make_setting(ClinicFactory(time_zone="America/Recife"))
    recife = ZoneInfo("America/Recife")
    add(setting, at(MONDAY, 19, zone=recife))
    add(setting, at(MONDAY + timedelta(days=6), 19, zone=recife), function=ShiftFunction.NURSING_TECHNICIAN)
    add(setting, at(MONDAY - timedelta(days=1), 7))  # the Sunday before: not in the week
    result = rota_copy_week(unit=setting["unit"], week_start=MONDAY, by=setting["manager"])
    assert result.skipped == []
    copied = [(s.starts_at, s.ends_at, s.function) for s in result.created]
    next_monday = MONDAY + timedelta(days=7)
    assert copied == [
        (at(next_monday, 19, zone=recife), at(next_monday + timedelta(days=1), 7, zone=recife), ShiftFunction.NURSE),
        (
            at(next_monday + timedelta(days=6), 19, zone=recife),
            at(next_monday + timedelta(days=7), 7, zone=recife),
            ShiftFunction.NURSING_TECHNICIAN,
        ),
    ]
    assert all(s.created_by == setting["manager"] for s in result.created)
    assert Shift.objects.count() == 5


def test_copying_a_week_skips_and_reports_clashes_and_leave(setting: dict[str, Any]) -> None:
    clinic = setting["clinic"]
    on_holiday = UserFactory(clinics=[clinic], first_name="Lia", last_name="Ferreira")
    busy = UserFactory(clinics=[clinic], first_name="Rui", last_name="Costa")
    kept = add(setting, at(MONDAY, 7))
    holiday = add(setting, at(MONDAY + timedelta(days=2), 7), user=on_holiday)
    clash = add(setting, at(MONDAY + timedelta(days=3), 19), user=busy)
    next_week = MONDAY + timedelta(days=7)
    on_leave(on_holiday, next_week, next_week + timedelta(days=13))
    emergency = CareUnit.objects.create(clinic=clinic, name="Pronto-socorro", kind=CareUnit.Kind.EMERGENCY)
    add(setting, at(next_week + timedelta(days=4), 1), hours=6, user=busy, unit=emergency)

    result = rota_copy_week(unit=setting["unit"], week_start=MONDAY, by=setting["manager"])

    assert [(s.user, s.starts_at) for s in result.created] == [(kept.user, at(next_week, 7))]
    reasons = dict(result.skipped)
    assert set(reasons) == {holiday, clash}
    assert "Lia Ferreira is on leave" in reasons[holiday]
    assert "Rui Costa already has a shift then" in reasons[clash]
    assert "Pronto-socorro" in reasons[clash]
    assert Shift.objects.count() == 5  # four before, one copied


def test_copying_twice_copies_nothing_more(setting: dict[str, Any]) -> None:
    add(setting, at(MONDAY, 7))
    rota_copy_week(unit=setting["unit"], week_start=MONDAY, by=setting["manager"])
    again = rota_copy_week(unit=setting["unit"], week_start=MONDAY, by=setting["manager"])
    assert again.created == []
    assert len(again.skipped) == 1
    assert Shift.objects.count() == 2


def test_a_week_starts_on_monday(setting: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="Monday"):
        rota_copy_week(unit=setting["unit"], week_start=MONDAY + timedelta(days=1), by=setting["manager"])


# The rota -------------------------------------------------------------------------------------------


def test_the_rota_puts_each_shift_on_the_day_it_starts(setting: dict[str, Any]) -> None:
    colleague = UserFactory(clinics=[setting["clinic"]], first_name="Ana", last_name="Brito")
    add(setting, at(MONDAY, 19))
    add(setting, at(MONDAY + timedelta(days=6), 19))  # Sunday night, ending in the next week
    add(setting, at(MONDAY, 7), user=colleague, function=ShiftFunction.NURSING_TECHNICIAN)
    add(setting, at(MONDAY + timedelta(days=7), 7))  # next week: not shown
    on_leave(colleague, MONDAY + timedelta(days=2), MONDAY + timedelta(days=3))

    rota = rota_week(setting["unit"], MONDAY)

    assert [str(row.person) for row in rota.rows] == ["Ana Brito", "Joana Prado"]
    joana = rota.rows[1]
    night = joana.cells[0].shifts[0]
    assert (night.starts.hour, night.ends.hour, night.next_day) == (19, 7, True)
    assert [len(cell.shifts) for cell in joana.cells] == [1, 0, 0, 0, 0, 0, 1]
    assert [cell.on_leave for cell in rota.rows[0].cells] == [False, False, True, True, False, False, False]
    assert [day.count for day in rota.days] == [2, 0, 0, 0, 0, 0, 1]
    assert rota.days[0].by_function == [("Nurse", 1), ("Nursing technician", 1)]
    assert rota.total == 3


# Concurrency ----------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_clashing_shifts_of_one_person_give_one_shift() -> None:
    setting = make_setting()
    outcomes = all_at_once(8, lambda i: add(setting, at(MONDAY, 7) + timedelta(minutes=15 * i)))
    added = [o for o in outcomes if isinstance(o, Shift)]
    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(added) == 1
    assert len(refused) == 7
    assert all(error.code == "shift_clash" for error in refused)
    assert Shift.objects.count() == 1


# Django admin ---------------------------------------------------------------------------------------


def test_admin_adds_shifts_through_the_same_rules(setting: dict[str, Any], client_for: Any) -> None:
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    admin = UserFactory(role=roles.ADMIN, is_staff=True, clinics=[setting["clinic"]])
    TOTP.activate(admin, generate_totp_secret())
    client = client_for(admin)
    form = {
        "user": setting["nurse"].pk,
        "unit": setting["unit"].pk,
        "starts_at_0": "2026-03-09",
        "starts_at_1": "19:00",
        "ends_at_0": "2026-03-10",
        "ends_at_1": "07:00",
        "function": "nurse",
        "notes": "",
    }
    assert client.post("/admin/staff/shift/add/", form).status_code == 302
    shift = Shift.objects.get()
    assert (shift.starts_at, shift.created_by) == (at(MONDAY, 19), admin)
    response = client.post(
        "/admin/staff/shift/add/", {**form, "starts_at_1": "23:00", "ends_at_1": "09:00"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "already has a shift then" in str(response.context["adminform"].form.non_field_errors())
    assert Shift.objects.count() == 1
    change = client.get(f"/admin/staff/shift/{shift.pk}/change/").content.decode()
    assert 'name="starts_at_0"' not in change  # who, where and when are fixed once stored
    assert 'name="notes"' in change
    assert setting["unit"].name in client.get("/admin/staff/careunit/").content.decode()


# Demo data ------------------------------------------------------------------------------------------


def test_demo_rota_fills_this_week_once(db: None) -> None:
    clinics = [ClinicFactory(), ClinicFactory(time_zone="America/Manaus")]
    with time_machine.travel(at(MONDAY + timedelta(days=2), 10), tick=False):
        load_rota(io.StringIO())
        load_rota(io.StringIO())
    assert CareUnit.objects.filter(clinic=clinics[1]).count() == 4
    for clinic in clinics:
        shifts = list(Shift.objects.filter(unit__clinic=clinic))
        assert len(shifts) == 14  # 12x36: two nurses by day, two by night, every other day
        assert len({s.user_id for s in shifts}) == NURSES_PER_CLINIC
        assert {s.ends_at - s.starts_at for s in shifts} == {timedelta(hours=12)}
        zone = ZoneInfo(clinic.time_zone)
        assert {s.starts_at.astimezone(zone).date() for s in shifts} == {MONDAY + timedelta(days=d) for d in range(7)}
        assert {s.starts_at.astimezone(zone).hour for s in shifts} == {7, 19}
