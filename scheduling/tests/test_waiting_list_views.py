"""The waiting list through its pages, as reception, nurses and doctors use them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from html import unescape
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import translation

from patients.models import Patient
from scheduling.models import AppointmentStatus, WaitingListEntry
from scheduling.services import appointment_transition
from scheduling.tests.setup import SAO_PAULO, book, build
from scheduling.waiting_list import waiting_list_add
from staff import roles
from staff.models import User, WorkingHours
from tests.factories import ClinicFactory, PractitionerFactory, SpecialtyFactory, UserFactory, make_patient

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
MONDAY = date(2026, 12, 7)
LIST = "/scheduling/waiting-list/"
ADD = "/scheduling/waiting-list/add/"
Priority = WaitingListEntry.Priority


@pytest.fixture(autouse=True)
def _frozen_now() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def setting(db: None) -> dict[str, Any]:
    s = build()
    s["clinic"] = s["room"].clinic
    return s


@pytest.fixture
def english(client_for: Callable[[User], Client]) -> Callable[[User], Client]:
    """A signed-in client whose pages come in English."""

    def make(user: User) -> Client:
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


@pytest.fixture
def reception(setting: dict[str, Any], english: Callable[[User], Client]) -> Client:
    return english(setting["by"])


def add(s: dict[str, Any], patient: Patient | None = None, *, days_ago: int = 0, **fields: Any) -> WaitingListEntry:
    with translation.override("en"):
        entry = waiting_list_add(
            patient=patient or make_patient(),
            specialty=fields.pop("specialty", s["specialty"]),
            by=s["by"],
            priority=fields.pop("priority", Priority.ROUTINE),
            **fields,
        )
    WaitingListEntry.objects.filter(pk=entry.pk).update(created_at=NOW - timedelta(days=days_ago))
    entry.refresh_from_db()
    return entry


def page_of(response: Any) -> str:
    assert response.status_code == 200
    return unescape(response.content.decode()).replace("\xa0", " ")


def cancel_a_booking(s: dict[str, Any], hour: int = 9) -> None:
    appointment = book(s, make_patient(), starts_at=datetime.combine(MONDAY, time(hour), tzinfo=SAO_PAULO))
    appointment_transition(appointment=appointment, to=AppointmentStatus.CANCELLED, by=s["by"], reason="Viajou")


# The queue -----------------------------------------------------------------------------------


def test_reception_sees_the_queue_in_order_with_how_long_each_waits(setting: dict[str, Any], reception: Client) -> None:
    routine = add(setting, days_ago=10, notes="Prefere manhãs")
    urgent = add(setting, days_ago=2, priority=Priority.URGENT)
    page = page_of(reception.get(LIST))
    assert page.index(urgent.patient.display_name) < page.index(routine.patient.display_name)
    assert "1 week, 3 days" in page and "2 days" in page
    assert "Prefere manhãs" in page and "Urgent" in page
    assert f"/scheduling/waiting-list/{routine.pk}/remove/" in page
    assert "Waiting list" in page  # the menu entry


def test_the_filters_narrow_the_queue_and_a_wrong_value_shows_everything(
    setting: dict[str, Any], reception: Client
) -> None:
    cardiology = add(setting)
    other = add(setting, specialty=SpecialtyFactory(name="Dermatologia"))
    page = page_of(reception.get(LIST, {"specialty": setting["specialty"].pk}))
    assert cardiology.patient.display_name in page and other.patient.display_name not in page
    page = page_of(reception.get(LIST, {"specialty": "nonsense", "clinic": "<script>"}))
    assert cardiology.patient.display_name in page and other.patient.display_name in page
    assert "Select a valid choice" in page
    assert "<script>" not in reception.get(LIST, {"clinic": "<script>"}).content.decode()


def test_a_clinic_filter_outside_the_users_clinics_is_refused(setting: dict[str, Any], reception: Client) -> None:
    elsewhere = ClinicFactory()
    add(setting)
    page = page_of(reception.get(LIST, {"clinic": elsewhere.pk}))
    assert "Select a valid choice" in page


def test_an_htmx_filter_gets_only_the_results(setting: dict[str, Any], reception: Client) -> None:
    entry = add(setting)
    response = reception.get(LIST, {"specialty": setting["specialty"].pk}, HTTP_HX_REQUEST="true")
    page = page_of(response)
    assert entry.patient.display_name in page
    assert "<html" not in page and 'id="freed-title"' in page


def test_a_freed_time_shows_its_candidates_with_an_offer_link(setting: dict[str, Any], reception: Client) -> None:
    entry = add(setting, days_ago=4, practitioner=setting["practitioner"])
    page = page_of(reception.get(LIST))
    assert "No cancelled time" in page
    cancel_a_booking(setting)
    page = page_of(reception.get(LIST))
    assert "12/07/2026 9 a.m." in page  # Monday 09:00 in the clinic's time zone
    offer = (
        f"/scheduling/book/?patient={entry.patient_id}&specialty={setting['specialty'].pk}"
        f"&practitioner={setting['practitioner'].pk}&date=2026-12-07&waiting={entry.pk}"
    )
    assert offer in page
    assert "Offer / book" in page


def test_the_page_costs_the_same_queries_for_3_and_30_entries(
    setting: dict[str, Any], reception: Client, django_assert_max_num_queries: Any
) -> None:
    cancel_a_booking(setting, hour=9)
    for days_ago in range(3):
        add(setting, days_ago=days_ago, practitioner=setting["practitioner"], notes="x")
    with django_assert_max_num_queries(60) as few:
        assert page_of(reception.get(LIST)).count('data-testid="entry"') == 3
    cancel_a_booking(setting, hour=10)
    for days_ago in range(3, 30):
        add(setting, days_ago=days_ago, clinic=setting["clinic"] if days_ago % 2 else None, notes="y")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = page_of(reception.get(LIST))
    assert page.count('data-testid="entry"') == 25  # one page
    assert page.count('data-testid="freed-slot"') == 2


def test_reception_of_another_clinic_does_not_see_clinic_bound_entries(
    setting: dict[str, Any], english: Callable[[User], Client]
) -> None:
    bound = add(setting, clinic=setting["clinic"])
    network = add(setting)
    cancel_a_booking(setting)
    other = english(UserFactory(role=roles.RECEPTION, clinics=[ClinicFactory()]))
    page = page_of(other.get(LIST))
    assert network.patient.display_name in page
    assert bound.patient.display_name not in page
    assert 'data-testid="freed-slot"' not in page  # the cancelled time is in a clinic they do not see


def test_a_doctor_sees_the_list_but_cannot_remove_or_book(
    setting: dict[str, Any], english: Callable[[User], Client]
) -> None:
    entry = add(setting)
    cancel_a_booking(setting)
    doctor = english(UserFactory(role=roles.DOCTOR, clinics=[setting["clinic"]]))
    page = page_of(doctor.get(LIST))
    assert entry.patient.display_name in page
    assert "/remove/" not in page and "Offer / book" not in page
    response = doctor.post(f"/scheduling/waiting-list/{entry.pk}/remove/", {"reason": "x"})
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.status == WaitingListEntry.Status.WAITING


def test_a_cancelled_appointments_page_names_who_to_offer_its_time_to(
    setting: dict[str, Any], reception: Client
) -> None:
    appointment = book(setting, make_patient())
    page = page_of(reception.get(f"/scheduling/appointments/{appointment.pk}/"))
    assert "Who to offer this time to" not in page
    entry = add(setting, days_ago=6)
    reception.post(f"/scheduling/appointments/{appointment.pk}/step/cancel/", {"reason": "Paciente viajou"})
    page = page_of(reception.get(f"/scheduling/appointments/{appointment.pk}/"))
    assert "Who to offer this time to" in page
    assert entry.patient.display_name in page and "waiting for 6 days" in page
    assert f"&waiting={entry.pk}" in page


# Adding --------------------------------------------------------------------------------------


def test_reception_adds_a_patient_from_the_chart(setting: dict[str, Any], reception: Client) -> None:
    patient = make_patient()
    page = page_of(reception.get(ADD, {"patient": patient.pk}))
    assert patient.display_name in page and "Nothing yet." in page
    response = reception.post(
        f"{ADD}?patient={patient.pk}",
        {
            "specialty": setting["specialty"].pk,
            "practitioner": setting["practitioner"].pk,
            "clinic": setting["clinic"].pk,
            "priority": Priority.PRIORITY,
            "notes": "Ligar para a filha",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/patients/{patient.pk}/"
    entry = WaitingListEntry.objects.get(patient=patient)
    assert (entry.specialty, entry.practitioner, entry.clinic, entry.priority, entry.notes, entry.created_by) == (
        setting["specialty"],
        setting["practitioner"],
        setting["clinic"],
        Priority.PRIORITY,
        "Ligar para a filha",
        setting["by"],
    )
    page = page_of(reception.get(ADD, {"patient": patient.pk}))
    assert 'data-testid="already-waiting"' in page and setting["specialty"].name in page


def test_adding_twice_says_which_entry_exists_and_keeps_what_was_typed(
    setting: dict[str, Any], reception: Client
) -> None:
    existing = add(setting, days_ago=3, priority=Priority.URGENT)
    form = {"specialty": setting["specialty"].pk, "priority": Priority.ROUTINE, "notes": "segunda tentativa"}
    page = page_of(reception.post(f"{ADD}?patient={existing.patient_id}", form))
    assert "is already on the waiting list for" in page and "12/01/2026" in page
    assert "segunda tentativa" in page
    assert WaitingListEntry.objects.count() == 1


def test_a_practitioner_without_the_specialty_is_refused_on_the_form(
    setting: dict[str, Any], reception: Client
) -> None:
    patient = make_patient()
    colleague = PractitionerFactory()  # works in the clinic, in another specialty
    WorkingHours.objects.create(
        practitioner=colleague,
        clinic=setting["clinic"],
        room=setting["room"],
        weekday=1,
        start_time=time(8),
        end_time=time(12),
        valid_from=date(2026, 1, 1),
    )
    form = {"specialty": setting["specialty"].pk, "practitioner": colleague.pk, "priority": Priority.ROUTINE}
    page = page_of(reception.post(f"{ADD}?patient={patient.pk}", form))
    assert f"does not attend {setting['specialty'].name}" in page
    assert not WaitingListEntry.objects.exists()


def test_a_practitioner_or_clinic_of_another_clinic_is_not_a_choice(setting: dict[str, Any], reception: Client) -> None:
    patient = make_patient()
    away = build()  # a practitioner of the specialty, with hours in another clinic only
    for field, value in (("practitioner", away["practitioner"].pk), ("clinic", away["room"].clinic.pk)):
        form = {"specialty": away["specialty"].pk, field: value, "priority": Priority.ROUTINE}
        page = page_of(reception.post(f"{ADD}?patient={patient.pk}", form))
        assert "Select a valid choice" in page
        assert away["practitioner"].user.get_full_name() not in page  # not even offered
    assert not WaitingListEntry.objects.exists()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        (lambda s: {"priority": 0}, "This field is required"),
        (lambda s: {"specialty": "999999", "priority": 0}, "Select a valid choice"),
        (lambda s: {"specialty": "<b>x</b>", "priority": 0}, "Select a valid choice"),
        (lambda s: {"specialty": s["specialty"].pk, "priority": 7}, "Select a valid choice"),
        (lambda s: {"specialty": s["specialty"].pk, "priority": 0, "notes": "x" * 5000}, "at most 1000 characters"),
    ],
)
def test_bad_input_is_answered_on_the_form_and_stores_nothing(
    setting: dict[str, Any], reception: Client, form: Callable[[dict[str, Any]], dict[str, Any]], message: str
) -> None:
    response = reception.post(f"{ADD}?patient={make_patient().pk}", form(setting))
    assert message in page_of(response)
    assert "<b>x</b>" not in response.content.decode()
    assert not WaitingListEntry.objects.exists()


def test_notes_with_html_are_shown_as_text(setting: dict[str, Any], reception: Client) -> None:
    add(setting, notes="<script>alert(1)</script>")
    raw = reception.get(LIST).content.decode()
    assert "<script>alert(1)</script>" not in raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in raw


def test_the_add_page_needs_a_patient(setting: dict[str, Any], reception: Client) -> None:
    page = page_of(reception.get(ADD))
    assert "Open the patient's chart" in page
    assert reception.get(ADD, {"patient": "abc"}).status_code == 404
    assert reception.get(ADD, {"patient": "99999999"}).status_code == 404


def test_triage_nurse_may_add_but_lab_may_not(setting: dict[str, Any], english: Callable[[User], Client]) -> None:
    patient = make_patient()
    form = {"specialty": setting["specialty"].pk, "priority": Priority.URGENT}
    nurse = english(UserFactory(role=roles.TRIAGE_NURSE, clinics=[setting["clinic"]]))
    assert nurse.post(f"{ADD}?patient={patient.pk}", form).status_code == 302
    lab = english(UserFactory(role=roles.LAB, clinics=[setting["clinic"]]))
    assert lab.post(f"{ADD}?patient={make_patient().pk}", form).status_code == 403
    assert list(WaitingListEntry.objects.values_list("patient", "created_by__groups__name")) == [
        (patient.pk, roles.TRIAGE_NURSE)
    ]


# Removing ------------------------------------------------------------------------------------


def test_removing_needs_a_reason(setting: dict[str, Any], reception: Client) -> None:
    entry = add(setting)
    response = reception.post(f"/scheduling/waiting-list/{entry.pk}/remove/", {"reason": "  "}, follow=True)
    assert "Say why the patient leaves the waiting list." in page_of(response)
    entry.refresh_from_db()
    assert entry.status == WaitingListEntry.Status.WAITING
    response = reception.post(
        f"/scheduling/waiting-list/{entry.pk}/remove/",
        {"reason": "Conseguiu vaga em outro serviço", "next": f"{LIST}?specialty={setting['specialty'].pk}"},
    )
    assert response["Location"] == f"{LIST}?specialty={setting['specialty'].pk}"
    entry.refresh_from_db()
    assert (entry.status, entry.closed_reason) == ("removed", "Conseguiu vaga em outro serviço")
    page = page_of(reception.get(response["Location"]))
    assert "was taken off the waiting list" in page
    assert f"/scheduling/waiting-list/{entry.pk}/remove/" not in page


def test_removing_twice_or_with_an_outside_next_is_harmless(setting: dict[str, Any], reception: Client) -> None:
    entry = add(setting)
    path = f"/scheduling/waiting-list/{entry.pk}/remove/"
    first = reception.post(path, {"reason": "Desistiu", "next": "https://evil.example/"})
    assert first["Location"] == LIST
    again = reception.post(path, {"reason": "De novo"}, follow=True)
    assert "no longer waiting" in page_of(again)
    entry.refresh_from_db()
    assert entry.closed_reason == "Desistiu"


def test_reception_cannot_remove_another_clinics_entry(
    setting: dict[str, Any], reception: Client, english: Callable[[User], Client]
) -> None:
    entry = add(setting, clinic=setting["clinic"])
    other = english(UserFactory(role=roles.RECEPTION, clinics=[ClinicFactory()]))
    assert other.post(f"/scheduling/waiting-list/{entry.pk}/remove/", {"reason": "x"}).status_code == 404
    assert reception.get(f"/scheduling/waiting-list/{entry.pk}/remove/").status_code == 405
    entry.refresh_from_db()
    assert entry.status == WaitingListEntry.Status.WAITING
