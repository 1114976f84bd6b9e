"""Reception's pages: booking step by step, an appointment's steps, rescheduling, agenda, calendar, board."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.utils import timezone

from scheduling.models import Appointment, AppointmentStatus
from scheduling.services import appointment_transition
from scheduling.tests.setup import book, build
from staff import roles
from tests.factories import ClinicFactory, UserFactory, make_patient

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def setting(db: None) -> dict[str, Any]:
    return build()


@pytest.fixture
def desk(setting: dict[str, Any]) -> Client:
    client = Client()
    client.force_login(setting["by"], backend="django.contrib.auth.backends.ModelBackend")
    return client


def slot_params(setting: dict[str, Any], at: datetime | None = None, **extra: Any) -> str:
    return urlencode(
        {
            "practitioner": setting["practitioner"].pk,
            "specialty": setting["specialty"].pk,
            "starts_at": (at or setting["at"]).isoformat(),
            **extra,
        }
    )


def test_booking_lists_free_slots_of_any_practitioner(setting: dict[str, Any], desk: Client) -> None:
    day = setting["at"].date()
    response = desk.get(f"/scheduling/book/?specialty={setting['specialty'].pk}&date={day}", **EN)
    page = response.content.decode()
    assert response.status_code == 200
    assert page.count('data-testid="slot"') == 8  # Monday 08:00-12:00 in 30-minute slots
    assert setting["practitioner"].user.first_name in page


def test_booking_search_by_htmx_returns_slots_and_the_practitioner_choices(
    setting: dict[str, Any], desk: Client
) -> None:
    day = setting["at"].date()
    response = desk.get(
        f"/scheduling/book/?specialty={setting['specialty'].pk}&date={day}", HTTP_HX_REQUEST="true", **EN
    )
    page = response.content.decode()
    assert "<html" not in page
    assert 'hx-swap-oob="true"' in page
    assert f'value="{setting["practitioner"].pk}"' in page


def test_a_practitioner_of_another_specialty_is_dropped_not_an_error(setting: dict[str, Any], desk: Client) -> None:
    from tests.factories import SpecialtyFactory

    other = SpecialtyFactory()
    response = desk.get(f"/scheduling/book/?specialty={other.pk}&practitioner={setting['practitioner'].pk}", **EN)
    assert response.status_code == 200
    assert 'data-testid="nobody"' in response.content.decode()


def test_a_specialty_nobody_practises_in_the_clinics_says_so(setting: dict[str, Any], desk: Client) -> None:
    from tests.factories import SpecialtyFactory

    response = desk.get(f"/scheduling/book/?specialty={SpecialtyFactory().pk}", **EN)
    assert 'data-testid="nobody"' in response.content.decode()


def test_a_fully_booked_week_offers_the_following_days(setting: dict[str, Any], desk: Client) -> None:
    _fill(setting, 8)  # the whole Monday
    day = setting["at"].date()
    page = desk.get(f"/scheduling/book/?specialty={setting['specialty'].pk}&date={day}", **EN).content.decode()
    assert 'data-testid="no-slots"' in page
    assert f"date={day + timedelta(days=7)}" in page


def test_booking_from_slot_to_patient_to_confirmation(setting: dict[str, Any], desk: Client) -> None:
    patient = make_patient(full_name="Joana Prado")
    chosen = desk.get(f"/scheduling/book/confirm/?{slot_params(setting)}", **EN)
    assert chosen.status_code == 200
    assert 'data-testid="chosen-slot"' in chosen.content.decode()
    found = desk.get(f"/scheduling/book/patients/?{slot_params(setting)}&q=joana", **EN)
    assert f"patient={patient.pk}" in found.content.decode()
    response = desk.post("/scheduling/book/confirm/", {**dict_params(setting), "patient": patient.pk}, **EN)
    appointment = Appointment.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/scheduling/appointments/{appointment.pk}/"
    assert (appointment.patient, appointment.starts_at, appointment.booked_by) == (
        patient,
        setting["at"],
        setting["by"],
    )


def dict_params(setting: dict[str, Any], at: datetime | None = None) -> dict[str, Any]:
    return {
        "practitioner": setting["practitioner"].pk,
        "specialty": setting["specialty"].pk,
        "starts_at": (at or setting["at"]).isoformat(),
    }


def test_a_slot_taken_meanwhile_shows_the_times_still_free(setting: dict[str, Any], desk: Client) -> None:
    book(setting, make_patient())
    late = make_patient()
    response = desk.post("/scheduling/book/confirm/", {**dict_params(setting), "patient": late.pk}, **EN)
    page = response.content.decode()
    assert response.status_code == 200
    assert "just taken" in page
    assert page.count('data-testid="fresh-slot"') >= 1
    assert Appointment.objects.count() == 1


def test_a_slot_not_free_when_opened_sends_back_to_the_list(setting: dict[str, Any], desk: Client) -> None:
    book(setting, make_patient())
    response = desk.get(f"/scheduling/book/confirm/?{slot_params(setting)}", **EN)
    assert response.status_code == 302
    assert response["Location"].startswith("/scheduling/book/?")


@pytest.mark.parametrize("starts_at", ["not a date", "2026-13-40T09:00", "OFF_GRID"])
def test_a_malformed_slot_is_refused_without_error(setting: dict[str, Any], desk: Client, starts_at: str) -> None:
    if starts_at == "OFF_GRID":  # in the working hours, but not where a slot starts
        starts_at = (setting["at"] + timedelta(minutes=7)).isoformat()
    data = {**dict_params(setting), "starts_at": starts_at, "patient": make_patient().pk}
    response = desk.post("/scheduling/book/confirm/", data, **EN)
    assert response.status_code in (200, 302)
    assert not Appointment.objects.exists()


def registration(setting: dict[str, Any]) -> dict[str, Any]:
    from patients.tests.test_views import registration_form

    return registration_form(setting["room"].floor.clinic)


def test_registering_from_booking_returns_with_the_patient_chosen(setting: dict[str, Any], desk: Client) -> None:
    from patients.models import Patient

    back = f"/scheduling/book/confirm/?{slot_params(setting)}"
    response = desk.post(f"/patients/new/?{urlencode({'next': back})}", registration(setting), **EN)
    patient = Patient.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"{back}&patient={patient.pk}"


def test_registering_ignores_a_next_to_another_site(setting: dict[str, Any], desk: Client) -> None:
    from patients.models import Patient

    response = desk.post("/patients/new/?next=https://evil.example/x", registration(setting), **EN)
    assert response["Location"] == f"/patients/{Patient.objects.get().pk}/"


# One appointment's steps -------------------------------------------------------------------------


def test_reception_confirms_and_checks_in(setting: dict[str, Any], desk: Client) -> None:
    appointment = book(setting, make_patient())
    desk.post(f"/scheduling/appointments/{appointment.pk}/step/confirm/")
    desk.post(f"/scheduling/appointments/{appointment.pk}/step/check-in/")
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.WAITING
    assert [e.by for e in appointment.events.all()] == [setting["by"], setting["by"]]


def test_an_illegal_step_is_refused_with_a_message(setting: dict[str, Any], desk: Client) -> None:
    appointment = book(setting, make_patient())
    appointment_transition(appointment=appointment, to=AppointmentStatus.NO_SHOW, by=setting["by"])
    response = desk.post(f"/scheduling/appointments/{appointment.pk}/step/check-in/", follow=True, **EN)
    assert "cannot become checked in" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.NO_SHOW


def test_cancelling_needs_a_reason(setting: dict[str, Any], desk: Client) -> None:
    appointment = book(setting, make_patient())
    response = desk.post(f"/scheduling/appointments/{appointment.pk}/step/cancel/", {"reason": " "}, follow=True, **EN)
    assert "Say why" in response.content.decode()
    desk.post(f"/scheduling/appointments/{appointment.pk}/step/cancel/", {"reason": "Paciente viajou"})
    appointment.refresh_from_db()
    assert (appointment.status, appointment.cancellation_reason) == (AppointmentStatus.CANCELLED, "Paciente viajou")


def test_an_unknown_step_is_not_found(setting: dict[str, Any], desk: Client) -> None:
    appointment = book(setting, make_patient())
    assert desk.post(f"/scheduling/appointments/{appointment.pk}/step/finish/").status_code == 404


def test_another_clinics_appointment_is_not_found(setting: dict[str, Any]) -> None:
    appointment = book(setting, make_patient())
    stranger = Client()
    stranger.force_login(UserFactory(role=roles.RECEPTION, clinics=[ClinicFactory()]))
    assert stranger.get(f"/scheduling/appointments/{appointment.pk}/").status_code == 404
    assert stranger.post(f"/scheduling/appointments/{appointment.pk}/step/confirm/").status_code == 404


def test_the_board_sends_back_where_it_came_from_only_on_this_site(setting: dict[str, Any], desk: Client) -> None:
    appointment = book(setting, make_patient())
    inside = desk.post(f"/scheduling/appointments/{appointment.pk}/step/confirm/", {"next": "/scheduling/board/"})
    assert inside["Location"] == "/scheduling/board/"
    outside = desk.post(f"/scheduling/appointments/{appointment.pk}/step/check-in/", {"next": "https://evil.example/"})
    assert outside["Location"] == f"/scheduling/appointments/{appointment.pk}/"


def test_reschedule_moves_the_appointment_and_links_both(setting: dict[str, Any], desk: Client) -> None:
    appointment = book(setting, make_patient())
    page = desk.get(f"/scheduling/appointments/{appointment.pk}/reschedule/?date={setting['at'].date()}", **EN)
    assert page.content.decode().count('data-testid="reschedule-slot"') == 7
    later = setting["at"] + timedelta(hours=1)
    response = desk.post(
        f"/scheduling/appointments/{appointment.pk}/reschedule/", {"starts_at": later.isoformat(), "reason": "pedido"}
    )
    new = Appointment.objects.get(rescheduled_from=appointment)
    assert response["Location"] == f"/scheduling/appointments/{new.pk}/"
    appointment.refresh_from_db()
    assert (appointment.status, new.starts_at) == (AppointmentStatus.CANCELLED, later)


def test_reschedule_to_a_taken_time_changes_nothing(setting: dict[str, Any], desk: Client) -> None:
    appointment = book(setting, make_patient())
    later = setting["at"] + timedelta(hours=1)
    book(setting, make_patient(), starts_at=later)
    response = desk.post(
        f"/scheduling/appointments/{appointment.pk}/reschedule/", {"starts_at": later.isoformat()}, follow=True, **EN
    )
    assert "just taken" in response.content.decode()
    appointment.refresh_from_db()
    assert appointment.status == AppointmentStatus.SCHEDULED


# The day --------------------------------------------------------------------------------------------


def _fill(setting: dict[str, Any], count: int) -> list[Appointment]:
    return [
        book(setting, make_patient(), starts_at=setting["at"].replace(hour=8) + timedelta(minutes=30 * n))
        for n in range(count)
    ]


@pytest.mark.parametrize("count", [2, 8])
def test_agenda_week_costs_the_same_queries_for_few_or_many(
    setting: dict[str, Any], desk: Client, count: int, django_assert_max_num_queries: Any
) -> None:
    _fill(setting, count)
    url = f"/scheduling/agenda/?practitioner={setting['practitioner'].pk}&date={setting['at'].date()}&view=week"
    with django_assert_max_num_queries(12):
        response = desk.get(url, **EN)
    assert response.content.decode().count('data-testid="appointment-line"') == count


def test_the_doctor_sees_his_own_agenda_by_default(setting: dict[str, Any]) -> None:
    book(setting, make_patient(full_name="Carla Dias"))
    doctor = setting["practitioner"].user
    doctor.groups.add(*UserFactory(role=roles.DOCTOR).groups.all())
    client = Client()
    client.force_login(doctor)
    response = client.get(f"/scheduling/agenda/?date={setting['at'].date()}", **EN)
    assert "Carla Dias" in response.content.decode()


@pytest.mark.parametrize("count", [2, 8])
def test_clinic_day_and_board_cost_the_same_queries_for_few_or_many(
    setting: dict[str, Any], desk: Client, count: int, django_assert_max_num_queries: Any
) -> None:
    _fill(setting, count)
    clinic = setting["room"].floor.clinic
    day = setting["at"].date()
    with django_assert_max_num_queries(10):
        calendar = desk.get(f"/scheduling/day/?clinic={clinic.pk}&date={day}", **EN)
    with django_assert_max_num_queries(10):
        board = desk.get(f"/scheduling/board/?clinic={clinic.pk}&date={day}", **EN)
    assert calendar.content.decode().count('data-testid="appointment-line"') == count
    assert board.content.decode().count('data-testid="board-check-in"') == count


def test_the_clinic_day_by_room_puts_each_room_in_a_column(setting: dict[str, Any], desk: Client) -> None:
    _fill(setting, 3)
    clinic = setting["room"].floor.clinic
    page = desk.get(f"/scheduling/day/?clinic={clinic.pk}&date={setting['at'].date()}&by=room", **EN).content.decode()
    assert page.count('data-testid="calendar-column"') == 1
    assert setting["room"].code in page
    assert page.count('data-testid="appointment-line"') == 3


def test_the_board_shows_who_is_late_and_who_waits_longest(setting: dict[str, Any], desk: Client) -> None:
    from scheduling.selectors import reception_board

    late, waiting_long, waiting_short = _fill(setting, 3)
    for appointment in (waiting_long, waiting_short):
        appointment_transition(appointment=appointment, to=AppointmentStatus.WAITING, by=setting["by"])
    Appointment.objects.filter(pk=waiting_long.pk).update(checked_in_at=setting["at"] - timedelta(minutes=40))
    Appointment.objects.filter(pk=waiting_short.pk).update(checked_in_at=setting["at"] - timedelta(minutes=5))
    clinic = setting["room"].floor.clinic
    board = reception_board(clinic=clinic, day=setting["at"].date(), now=setting["at"])
    assert [line.appointment for line in board.late] == [late]
    assert board.late[0].late_minutes == 60
    assert [line.appointment for line in board.waiting] == [waiting_long, waiting_short]
    assert [line.waiting_minutes for line in board.waiting] == [40, 5]


def test_the_board_refreshes_itself_as_a_fragment(setting: dict[str, Any], desk: Client) -> None:
    clinic = setting["room"].floor.clinic
    page = desk.get(f"/scheduling/board/?clinic={clinic.pk}", **EN).content.decode()
    assert 'hx-trigger="every 15s"' in page
    fragment = desk.get(f"/scheduling/board/?clinic={clinic.pk}", HTTP_HX_REQUEST="true", **EN).content.decode()
    assert "<html" not in fragment
    assert 'id="board"' in fragment


def test_a_clinic_of_someone_else_is_not_found(setting: dict[str, Any], desk: Client) -> None:
    other = ClinicFactory()
    assert desk.get(f"/scheduling/board/?clinic={other.pk}").status_code == 404
    assert desk.get(f"/scheduling/day/?clinic={other.pk}").status_code == 404
    assert desk.get("/scheduling/board/?clinic=abc").status_code == 404


def test_the_clinic_day_follows_the_clinics_time_zone(db: None) -> None:
    """An appointment at 22:30 in Manaus is on that local day, though it is the next day in UTC."""
    from clinic.models import Room
    from staff.models import PractitionerSpecialty, WorkingHours
    from tests.factories import PractitionerFactory, RoomFactory, SpecialtyFactory

    clinic = ClinicFactory(time_zone="America/Manaus")
    room = RoomFactory(floor__clinic=clinic, kind=Room.Kind.CONSULTING)
    practitioner = PractitionerFactory()
    specialty = SpecialtyFactory(default_duration=30)
    PractitionerSpecialty.objects.create(practitioner=practitioner, specialty=specialty)
    day = timezone.localdate() + timedelta(days=3)
    WorkingHours.objects.create(
        practitioner=practitioner,
        clinic=clinic,
        room=room,
        weekday=day.weekday(),
        start_time=time(22),
        end_time=time(23),
        valid_from=day - timedelta(days=1),
    )
    from zoneinfo import ZoneInfo

    at = datetime.combine(day, time(22, 30), tzinfo=ZoneInfo("America/Manaus"))
    from scheduling.services import appointment_book

    by = UserFactory(role=roles.RECEPTION, clinics=[clinic])
    appointment_book(patient=make_patient(), practitioner=practitioner, specialty=specialty, starts_at=at, by=by)
    client = Client()
    client.force_login(by)
    page = client.get(f"/scheduling/day/?clinic={clinic.pk}&date={day}").content.decode()
    assert "22:30" in page


@pytest.mark.parametrize(
    ("starts_at", "message"),
    [
        ("NAIVE", "The time must carry its time zone."),
        ("9999-12-31T09:00:00-03:00", "Choose a free time from the list."),
        ("2099-03-02T09:00:00-03:00", "Appointments are booked at most 365 days ahead."),
    ],
)
def test_a_time_without_a_zone_or_far_away_is_refused_and_nothing_is_booked(
    setting: dict[str, Any], desk: Client, starts_at: str, message: str
) -> None:
    if starts_at == "NAIVE":  # the slot's own wall-clock time, with its offset dropped
        starts_at = setting["at"].replace(tzinfo=None).isoformat()
    data = {**dict_params(setting), "starts_at": starts_at, "patient": make_patient().pk}
    response = desk.post("/scheduling/book/confirm/", data, follow=True, **EN)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Appointment.objects.exists()


def test_the_practitioner_list_follows_the_chosen_clinic_and_specialty(setting: dict[str, Any], desk: Client) -> None:
    mine = setting["practitioner"]
    sister = ClinicFactory()
    setting["by"].clinics.add(sister)
    at_sister = build()  # a practitioner of another specialty, in yet another clinic ...
    at_sister["practitioner"].specialty_links.create(specialty=setting["specialty"])
    at_sister["practitioner"].working_hours.update(clinic=sister)  # ... who works at the sister clinic
    elsewhere = build()  # of the same specialty, in a clinic reception does not work in
    elsewhere["practitioner"].specialty_links.create(specialty=setting["specialty"])
    here = setting["room"].clinic

    def offered(**params: Any) -> set[int]:
        response = desk.get("/scheduling/book/", {"specialty": setting["specialty"].pk, **params}, **EN)
        field = response.context["form"].fields["practitioner"]
        return {practitioner.pk for practitioner in field.queryset}

    assert offered() == {mine.pk, at_sister["practitioner"].pk}
    assert offered(clinic=here.pk) == {mine.pk}
    assert offered(clinic=sister.pk) == {at_sister["practitioner"].pk}
    # A practitioner who does not work at the chosen clinic falls back to "any available".
    response = desk.get(
        "/scheduling/book/",
        {"specialty": setting["specialty"].pk, "clinic": here.pk, "practitioner": at_sister["practitioner"].pk},
        **EN,
    )
    assert response.context["form"].data["practitioner"] == ""


def test_a_search_beyond_the_booking_horizon_says_so(setting: dict[str, Any], desk: Client) -> None:
    for day in ("2099-01-01", "9999-12-31"):
        response = desk.get("/scheduling/book/", {"specialty": setting["specialty"].pk, "date": day}, **EN)
        assert response.status_code == 200
        page = response.content.decode()
        assert "Appointments are booked at most 365 days ahead." in page or "Choose a date between" in page
