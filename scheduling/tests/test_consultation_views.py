"""The consultation page as the doctor, a colleague and a nurse use it, and the chart's appointments panel."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from patients.models import Allergy, ChartAccess, Condition, Patient, PatientStatus
from scheduling.consultation import consultation_start, diagnosis_add
from scheduling.models import Appointment, AppointmentStatus, Consultation, Diagnosis
from scheduling.services import appointment_transition, appointment_urgent
from scheduling.tests.setup import book, build
from staff import roles
from staff.models import User
from tests.factories import ClinicFactory, PractitionerFactory, RoomFactory, UserFactory, make_patient


@pytest.fixture
def visit(db: None) -> dict[str, Any]:
    """A patient (allergic, with a chronic condition) checked in for an appointment with a doctor."""
    setting = build()
    doctor = setting["practitioner"].user
    doctor.groups.add(Group.objects.get(name=roles.DOCTOR))
    patient = make_patient(by=setting["by"])
    Allergy.objects.create(patient=patient, substance="Penicilina", severity="life_threatening")
    Condition.objects.create(patient=patient, icd10_code="I10", description="Hipertensão essencial", chronic=True)
    appointment = book(setting, patient)
    appointment_transition(appointment=appointment, to=AppointmentStatus.WAITING, by=setting["by"])
    clinic = setting["room"].clinic
    return {**setting, "doctor": doctor, "patient": patient, "appointment": appointment, "clinic": clinic}


@pytest.fixture
def doctor_client(visit: dict[str, Any], client_for: Callable[[User], Client]) -> Client:
    return client_for(visit["doctor"])


def page_url(appointment: Appointment, action: str = "") -> str:
    return f"/scheduling/appointments/{appointment.pk}/consultation/{action}"


def started(visit: dict[str, Any]) -> Appointment:
    consultation_start(appointment=visit["appointment"], by=visit["doctor"])
    return visit["appointment"]


def colleague_of(visit: dict[str, Any], role: str = roles.DOCTOR) -> User:
    """Someone of the same clinic in ``role``; a doctor is also a practitioner, but not of this appointment."""
    if role == roles.DOCTOR:
        user = PractitionerFactory().user
        user.groups.add(Group.objects.get(name=role))
        user.clinics.add(visit["clinic"])
        return user
    return UserFactory(role=role, clinics=[visit["clinic"]])


def status_of(appointment: Appointment) -> str:
    return Appointment.objects.get(pk=appointment.pk).status


# The doctor's journey ---------------------------------------------------------------------------------


def test_the_page_shows_the_patient_with_allergies_history_and_the_start_button(
    visit: dict[str, Any], doctor_client: Client
) -> None:
    page = doctor_client.get(page_url(visit["appointment"]), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'data-testid="allergy-banner"' in page
    assert "Penicilina" in page
    assert visit["patient"].display_name in page
    assert 'data-testid="recent-history"' in page
    assert "Hipertensão essencial" in page
    assert 'data-testid="consultation-start"' in page
    assert 'data-testid="consultation-form"' not in page  # nothing to record before it starts


def test_opening_the_page_is_written_to_the_chart_access_log(visit: dict[str, Any], doctor_client: Client) -> None:
    doctor_client.get(page_url(visit["appointment"]))
    entry = ChartAccess.objects.get()
    assert (entry.user, entry.patient, entry.action) == (
        visit["doctor"],
        visit["patient"],
        ChartAccess.Action.VIEW_CHART,
    )


def test_start_then_the_page_has_the_notes_form_and_the_icd10_picker(
    visit: dict[str, Any], doctor_client: Client
) -> None:
    response = doctor_client.post(page_url(visit["appointment"], "start/"))
    assert response.status_code == 302
    assert response["Location"] == page_url(visit["appointment"])
    assert status_of(visit["appointment"]) == AppointmentStatus.IN_PROGRESS
    assert Patient.objects.get(pk=visit["patient"].pk).status == PatientStatus.IN_CONSULTATION

    page = doctor_client.get(page_url(visit["appointment"])).content.decode()
    assert 'data-testid="consultation-form"' in page
    assert 'data-testid="icd10-picker"' in page
    assert 'hx-get="/patients/icd10/"' in page
    assert 'data-testid="consultation-start"' not in page
    assert "<script>" not in page.split("</head>")[1]  # no inline script: the CSP forbids it


def test_start_before_check_in_says_why(visit: dict[str, Any], doctor_client: Client) -> None:
    appointment = visit["appointment"]
    Appointment.objects.filter(pk=appointment.pk).update(status=AppointmentStatus.CONFIRMED)
    response = doctor_client.post(page_url(appointment, "start/"), follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "The patient has not checked in yet." in response.content.decode()
    assert status_of(appointment) == AppointmentStatus.CONFIRMED


def test_save_notes_and_treatment(visit: dict[str, Any], doctor_client: Client) -> None:
    appointment = started(visit)
    response = doctor_client.post(
        page_url(appointment, "save/"), {"notes": "Dispneia aos esforços.", "treatment": "Salbutamol 100 mcg"}
    )
    assert response.status_code == 302
    consultation = Consultation.objects.get(appointment=appointment)
    assert (consultation.notes, consultation.treatment) == ("Dispneia aos esforços.", "Salbutamol 100 mcg")
    page = doctor_client.get(page_url(appointment)).content.decode()
    assert "Dispneia aos esforços." in page


def test_too_long_notes_get_a_message_and_nothing_is_saved(visit: dict[str, Any], doctor_client: Client) -> None:
    appointment = started(visit)
    response = doctor_client.post(
        page_url(appointment, "save/"), {"notes": "x" * 20_001, "treatment": "Repouso"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    assert "Ensure this value has at most 20000 characters" in response.content.decode()
    assert Consultation.objects.get().treatment == ""


def test_add_a_diagnosis_with_htmx_answers_with_the_list_only(visit: dict[str, Any], doctor_client: Client) -> None:
    appointment = started(visit)
    response = doctor_client.post(
        page_url(appointment, "diagnoses/"), {"icd10_code": "J45.0", "primary": "on"}, HTTP_HX_REQUEST="true"
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert 'id="diagnoses"' in page
    assert "J45.0" in page
    assert "Predominantly allergic asthma" in page
    diagnosis = Diagnosis.objects.get()
    assert (diagnosis.icd10_code, diagnosis.primary) == ("J45.0", True)


def test_a_code_typed_in_the_search_box_is_added_without_javascript(
    visit: dict[str, Any], doctor_client: Client
) -> None:
    appointment = started(visit)
    response = doctor_client.post(page_url(appointment, "diagnoses/"), {"icd10_code_search": "i10"})
    assert response.status_code == 302
    assert Diagnosis.objects.get().icd10_code == "I10"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"icd10_code": "Z99.89"}, "Z99.89 is not a code of the ICD-10 catalog."),
        ({"icd10_code_search": "asthma"}, "Choose a code from the ICD-10 list"),
        ({"icd10_code": "<script>alert(1)</script>"}, "Choose a code from the ICD-10 list"),
        ({"icd10_code": ""}, "This field is required."),
    ],
)
def test_a_diagnosis_not_in_the_catalog_is_refused_with_a_message(
    visit: dict[str, Any], doctor_client: Client, data: dict[str, str], message: str
) -> None:
    appointment = started(visit)
    response = doctor_client.post(
        page_url(appointment, "diagnoses/"), data, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en"
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert "<script>alert" not in page
    assert not Diagnosis.objects.exists()


def test_a_refused_diagnosis_without_htmx_shows_the_whole_page_with_the_message(
    visit: dict[str, Any], doctor_client: Client
) -> None:
    appointment = started(visit)
    response = doctor_client.post(page_url(appointment, "diagnoses/"), {"icd10_code": "U99"}, HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.status_code == 200
    assert "U99 is not a code of the ICD-10 catalog." in page
    assert 'data-testid="allergy-banner"' in page


def test_remove_a_diagnosis(visit: dict[str, Any], doctor_client: Client) -> None:
    appointment = started(visit)
    diagnosis = diagnosis_add(appointment=appointment, icd10_code="I10", primary=True, by=visit["doctor"])
    response = doctor_client.post(page_url(appointment, f"diagnoses/{diagnosis.pk}/remove/"), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert not Diagnosis.objects.exists()
    assert (
        "No diagnosis recorded." in doctor_client.get(page_url(appointment), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )


def test_a_diagnosis_of_another_consultation_is_not_found(visit: dict[str, Any], doctor_client: Client) -> None:
    appointment = started(visit)
    other = Consultation.objects.create(
        appointment=book(visit, make_patient(by=visit["by"]), starts_at=visit["at"] + timedelta(minutes=30))
    )
    foreign = Diagnosis.objects.create(consultation=other, icd10_code="I10", description="x", primary=True)
    response = doctor_client.post(page_url(appointment, f"diagnoses/{foreign.pk}/remove/"))
    assert response.status_code == 404
    assert Diagnosis.objects.filter(pk=foreign.pk).exists()


def test_finish_without_a_diagnosis_keeps_what_was_typed_and_changes_nothing(
    visit: dict[str, Any], doctor_client: Client
) -> None:
    appointment = started(visit)
    response = doctor_client.post(
        page_url(appointment, "finish/"), {"notes": "Sibilos difusos", "treatment": ""}, HTTP_ACCEPT_LANGUAGE="en"
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Record at least one diagnosis before finishing the consultation." in page
    assert "Sibilos difusos" in page  # still in the form
    assert Consultation.objects.get().notes == ""  # and not saved: the refusal changed nothing
    assert status_of(appointment) == AppointmentStatus.IN_PROGRESS


def test_finish_saves_the_notes_and_the_page_becomes_read_only(visit: dict[str, Any], doctor_client: Client) -> None:
    appointment = started(visit)
    diagnosis_add(appointment=appointment, icd10_code="J45.0", primary=True, by=visit["doctor"])
    response = doctor_client.post(
        page_url(appointment, "finish/"), {"notes": "<b>Asma</b> leve", "treatment": "Salbutamol"}
    )
    assert response.status_code == 302
    assert status_of(appointment) == AppointmentStatus.FINISHED
    assert Patient.objects.get(pk=visit["patient"].pk).status == PatientStatus.OUTPATIENT

    page = doctor_client.get(page_url(appointment)).content.decode()
    assert 'data-testid="consultation-form"' not in page
    assert 'data-testid="diagnosis-form"' not in page
    assert 'data-testid="diagnosis-remove"' not in page
    assert "&lt;b&gt;Asma&lt;/b&gt; leve" in page
    assert "Predominantly allergic asthma" in page


def test_posts_after_finish_change_nothing(visit: dict[str, Any], doctor_client: Client) -> None:
    appointment = started(visit)
    diagnosis = diagnosis_add(appointment=appointment, icd10_code="J45.0", primary=True, by=visit["doctor"])
    doctor_client.post(page_url(appointment, "finish/"), {"notes": "Final", "treatment": ""})

    doctor_client.post(page_url(appointment, "save/"), {"notes": "Changed", "treatment": "x"})
    doctor_client.post(page_url(appointment, "diagnoses/"), {"icd10_code": "I10"}, HTTP_HX_REQUEST="true")
    doctor_client.post(page_url(appointment, f"diagnoses/{diagnosis.pk}/remove/"), HTTP_HX_REQUEST="true")

    assert Consultation.objects.get().notes == "Final"
    assert list(Diagnosis.objects.values_list("icd10_code", flat=True)) == ["J45.0"]


# Everyone else -------------------------------------------------------------------------------------------


def test_another_doctor_sees_the_consultation_but_cannot_record(
    visit: dict[str, Any], client_for: Callable[[User], Client]
) -> None:
    appointment = started(visit)
    client = client_for(colleague_of(visit))
    page = client.get(page_url(appointment)).content.decode()
    assert 'data-testid="not-recorder"' in page
    assert 'data-testid="consultation-form"' not in page
    assert client.post(page_url(appointment, "save/"), {"notes": "x", "treatment": ""}).status_code == 403
    assert client.post(page_url(appointment, "diagnoses/"), {"icd10_code": "I10"}).status_code == 403
    assert client.post(page_url(appointment, "finish/"), {}).status_code == 403
    assert Consultation.objects.get().notes == ""
    assert not Diagnosis.objects.exists()


def test_another_doctor_cannot_start(visit: dict[str, Any], client_for: Callable[[User], Client]) -> None:
    client = client_for(colleague_of(visit))
    assert 'data-testid="consultation-start"' not in client.get(page_url(visit["appointment"])).content.decode()
    assert client.post(page_url(visit["appointment"], "start/")).status_code == 403
    assert status_of(visit["appointment"]) == AppointmentStatus.WAITING


def test_a_nurse_reads_the_consultation(visit: dict[str, Any], client_for: Callable[[User], Client]) -> None:
    appointment = started(visit)
    diagnosis_add(appointment=appointment, icd10_code="J45.0", primary=True, by=visit["doctor"])
    client = client_for(colleague_of(visit, roles.TRIAGE_NURSE))
    page = client.get(page_url(appointment)).content.decode()
    assert "Predominantly allergic asthma" in page
    assert 'data-testid="diagnosis-form"' not in page
    assert client.post(page_url(appointment, "diagnoses/"), {"icd10_code": "I10"}).status_code == 403


def test_reception_cannot_open_the_consultation(visit: dict[str, Any], client_for: Callable[[User], Client]) -> None:
    assert client_for(visit["by"]).get(page_url(visit["appointment"])).status_code == 403
    assert not ChartAccess.objects.exists()


def test_a_doctor_of_another_clinic_does_not_find_it(
    visit: dict[str, Any], client_for: Callable[[User], Client]
) -> None:
    stranger = UserFactory(role=roles.DOCTOR, clinics=[ClinicFactory()])
    assert client_for(stranger).get(page_url(visit["appointment"])).status_code == 404


def test_the_page_has_a_fixed_number_of_queries(
    visit: dict[str, Any], doctor_client: Client, django_assert_max_num_queries: Any
) -> None:
    appointment = started(visit)
    for code in ("J45.0", "I10", "E11.9", "J06.9"):
        diagnosis_add(appointment=appointment, icd10_code=code, primary=False, by=visit["doctor"])
    for week in range(1, 8):
        finished_with(visit, datetime(2024, 1, 1, 12, 0, tzinfo=UTC) + timedelta(weeks=week), "J45.0", "I10")
    # Session, user, permissions, the user's clinics, the appointment, the access log entry (5 with its
    # lock), the consultation, its diagnoses, allergies, earlier consultations and their diagnoses,
    # conditions, medications.
    with django_assert_max_num_queries(18):
        page = doctor_client.get(page_url(appointment)).content.decode()
    assert page.count('data-testid="earlier-consultation"') == 5


def test_a_consultation_from_the_emergency_door_loads_its_triage_card_at_no_extra_query(
    visit: dict[str, Any],
    doctor_client: Client,
    client_for: Callable[[User], Client],
    django_assert_max_num_queries: Any,
) -> None:
    """The door's urgent appointment (an overbooking) gets a placeholder the triage card replaces; a
    booked appointment none, nor a reader who does not read triage. Neither costs the page a query:
    the card is a request of its own."""
    booked = doctor_client.get(page_url(visit["appointment"])).content.decode()
    assert "consultation-triage-panel" not in booked and "/triage/consultations/" not in booked
    urgent = appointment_urgent(
        patient=make_patient(by=visit["by"]),
        practitioner=visit["practitioner"],
        specialty=visit["specialty"],
        room=visit["room"],
        by=visit["by"],
        reason="Emergência · Laranja",
    )
    doctor_client.get(page_url(urgent))
    with django_assert_max_num_queries(18):
        page = doctor_client.get(page_url(urgent)).content.decode()
    placeholder = re.search(r'<div hx-get="([^"]+)" hx-trigger="load" hx-swap="outerHTML"[^>]*>', page)
    assert placeholder and 'data-testid="consultation-triage-panel"' in placeholder.group(0)
    assert placeholder.group(1) == f"/triage/consultations/{urgent.pk}/panel/"
    reader = UserFactory(clinics=[visit["clinic"]])
    reader.user_permissions.add(
        Permission.objects.get(content_type__app_label="scheduling", codename="view_consultation")
    )
    page = client_for(reader).get(page_url(urgent)).content.decode()
    assert 'data-testid="consultation-appointment"' in page and "consultation-triage-panel" not in page


def test_a_step_refused_because_the_consultation_finished_meanwhile_reloads_the_page_with_why(
    visit: dict[str, Any], doctor_client: Client
) -> None:
    appointment = started(visit)
    diagnosis_add(appointment=appointment, icd10_code="J45.0", primary=True, by=visit["doctor"])
    doctor_client.post(page_url(appointment, "finish/"), {"notes": "", "treatment": ""})

    response = doctor_client.post(
        page_url(appointment, "diagnoses/"), {"icd10_code": "I10"}, HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response["HX-Refresh"] == "true"
    page = doctor_client.get(page_url(appointment), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "This consultation is finished and can no longer be changed." in page
    assert list(Diagnosis.objects.values_list("icd10_code", flat=True)) == ["J45.0"]


# The appointments panel --------------------------------------------------------------------------------------


# Session, user, permissions, the patient, both lists and their diagnoses.
PANEL_QUERIES = 9


def panel_url(patient: Patient, query: str = "") -> str:
    return f"/scheduling/patients/{patient.pk}/panels/appointments/{query}"


def appointment_at(
    visit: dict[str, Any], starts_at: datetime, status: str, *, patient: Patient | None = None, room: Any = None
) -> Appointment:
    room = room or visit["room"]
    return Appointment.objects.create(
        patient=patient or visit["patient"],
        practitioner=visit["practitioner"],
        specialty=visit["specialty"],
        clinic=room.clinic,
        room=room,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=30),
        status=status,
    )


def finished_with(visit: dict[str, Any], starts_at: datetime, *codes: str) -> Appointment:
    appointment = appointment_at(visit, starts_at, AppointmentStatus.FINISHED)
    consultation = Consultation.objects.create(appointment=appointment)
    for index, code in enumerate(codes):
        Diagnosis.objects.create(
            consultation=consultation, icd10_code=code, description=f"desc {code}", primary=index == 0
        )
    return appointment


def test_the_chart_loads_the_appointments_panel(visit: dict[str, Any], doctor_client: Client) -> None:
    page = doctor_client.get(f"/patients/{visit['patient'].pk}/").content.decode()
    assert 'id="panel-appointments"' in page
    assert f'hx-get="{panel_url(visit["patient"])}"' in page


def test_panel_lists_upcoming_and_past_with_diagnoses_for_the_doctor(
    visit: dict[str, Any], doctor_client: Client
) -> None:
    visit["clinic"].time_zone = "America/Manaus"
    visit["clinic"].save(update_fields=["time_zone"])
    finished_with(visit, datetime(2025, 3, 3, 13, 0, tzinfo=UTC), "J45.0", "I10")
    appointment_at(visit, datetime(2025, 2, 3, 13, 0, tzinfo=UTC), AppointmentStatus.NO_SHOW)

    page = doctor_client.get(panel_url(visit["patient"]), HTTP_ACCEPT_LANGUAGE="pt-br").content.decode()

    upcoming, past = page.split('data-testid="appointments-past"')
    assert "status-waiting" in upcoming
    assert visit["specialty"].name in upcoming
    assert visit["clinic"].name in past
    assert "03/03/2025 09:00" in past  # 13:00 UTC is 09:00 in Manaus, the clinic's zone
    assert "desc J45.0" in past and "desc I10" in past
    assert past.index("03/03/2025") < past.index("03/02/2025")  # latest first
    assert "status-no_show" in past
    assert 'data-testid="consultation-link"' in past


def test_panel_puts_what_is_done_in_the_past_and_what_is_under_way_to_come(
    visit: dict[str, Any], doctor_client: Client
) -> None:
    now = timezone.now()
    early = finished_with(visit, now + timedelta(days=20), "J45.0")  # booked later, seen earlier
    late = appointment_at(visit, now - timedelta(hours=2), AppointmentStatus.IN_PROGRESS)
    called_off = appointment_at(visit, now + timedelta(days=40), AppointmentStatus.CANCELLED)

    page = doctor_client.get(panel_url(visit["patient"])).content.decode()

    upcoming, past = page.split('data-testid="appointments-past"')
    assert f"/appointments/{early.pk}/" in past
    assert f"/appointments/{late.pk}/" in upcoming
    assert f"/appointments/{called_off.pk}/" in upcoming
    assert f"/appointments/{visit['appointment'].pk}/" in upcoming


def test_panel_leaves_diagnoses_out_for_reception(visit: dict[str, Any], client_for: Callable[[User], Client]) -> None:
    finished_with(visit, datetime(2025, 3, 3, 13, 0, tzinfo=UTC), "J45.0")
    page = client_for(visit["by"]).get(panel_url(visit["patient"])).content.decode()
    assert 'data-testid="appointment-line"' in page
    assert "desc J45.0" not in page
    assert 'data-testid="consultation-link"' not in page


def test_panel_shows_a_doctor_every_clinics_appointments_and_opens_only_those_of_theirs(
    visit: dict[str, Any], doctor_client: Client, client_for: Callable[[User], Client]
) -> None:
    elsewhere = RoomFactory()
    away = appointment_at(visit, datetime(2025, 1, 6, 13, 0, tzinfo=UTC), AppointmentStatus.FINISHED, room=elsewhere)
    page = doctor_client.get(panel_url(visit["patient"])).content.decode()
    assert elsewhere.clinic.name in page  # one chart across the network (clinic/access.py)
    assert f"/scheduling/appointments/{visit['appointment'].pk}/" in page
    assert f"/scheduling/appointments/{away.pk}/" not in page  # that page is the other clinic's

    reception = client_for(colleague_of(visit, roles.RECEPTION))
    page = reception.get(panel_url(visit["patient"])).content.decode()
    assert elsewhere.clinic.name not in page  # reception reads its own clinics' work only
    assert f"/scheduling/appointments/{visit['appointment'].pk}/" in page


def test_panel_shows_more_on_request(visit: dict[str, Any], doctor_client: Client) -> None:
    first = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
    for week in range(12):
        appointment_at(visit, first + timedelta(weeks=week), AppointmentStatus.FINISHED)

    page = doctor_client.get(panel_url(visit["patient"])).content.decode()
    past = page.split('data-testid="appointments-past"')[1]
    assert past.count('data-testid="appointment-line"') == 10
    assert 'data-testid="show-more-past"' in past
    assert 'data-testid="show-more-upcoming"' not in page

    more = doctor_client.get(panel_url(visit["patient"], "?section=past&offset=10")).content.decode()
    assert more.count('data-testid="appointment-line"') == 2
    assert "show-more" not in more
    assert "<html" not in more


@pytest.mark.parametrize(
    "query",
    ["?section=past&offset=abc", "?section=past&offset=-5", "?section=past&offset=99999999999999", "?section=x"],
)
def test_panel_with_hostile_parameters_answers(visit: dict[str, Any], doctor_client: Client, query: str) -> None:
    response = doctor_client.get(panel_url(visit["patient"], query))
    assert response.status_code == 200


def test_panel_query_count_does_not_grow_with_the_appointments(visit: dict[str, Any], doctor_client: Client) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert doctor_client.get(panel_url(visit["patient"])).status_code == 200
        return len(captured)

    first = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
    finished_with(visit, first, "J45.0")
    few = queries()
    now = timezone.now()
    for week in range(1, 20):
        finished_with(visit, first + timedelta(weeks=week), "J45.0", "I10")
        appointment_at(visit, now + timedelta(days=30 + week), AppointmentStatus.SCHEDULED)
    assert queries() == few <= PANEL_QUERIES


def test_panel_stays_within_its_queries(
    visit: dict[str, Any], doctor_client: Client, django_assert_max_num_queries: Any
) -> None:
    for week in range(15):
        finished_with(visit, datetime(2024, 1, 1, 12, 0, tzinfo=UTC) + timedelta(weeks=week), "J45.0", "I10")
    with django_assert_max_num_queries(PANEL_QUERIES):
        doctor_client.get(panel_url(visit["patient"]))
