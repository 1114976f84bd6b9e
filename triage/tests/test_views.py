"""The emergency door's pages as the people who use them: the queue, arrival, triage, routing, a visit,
the doctor's emergency queue and the chart's vital-signs panel.

Refusals compare the rows they could have touched before and after the request.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from beds.models import Admission, AdmissionSource, WardKind
from clinic.models import Clinic, Room
from exams.models import ExamOrder, OrderOrigin
from patients.models import Patient, RiskColour
from scheduling.models import Appointment, AppointmentStatus
from scheduling.services import appointment_urgent
from staff import roles
from staff.models import CareUnit, PractitionerSpecialty, User, WorkingHours
from tests.factories import (
    CareUnitFactory,
    ClinicFactory,
    ExamFactory,
    PractitionerFactory,
    RoomFactory,
    SpecialtyFactory,
    make_patient,
)
from triage import services
from triage.models import Assessment, Destination, Visit, VisitStatus

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
NORMAL = {"systolic": 120, "diastolic": 80, "heart_rate": 72, "spo2": 98, "glasgow": 15}


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def door(clinic: Clinic, make_user: Callable[..., User]) -> dict[str, Any]:
    """A clinic's emergency door: its people, a doctor who works there, and a consulting room."""
    doctor = make_user(roles.DOCTOR, first_name="Carla", last_name="Mendes")
    practitioner = PractitionerFactory(user=doctor)
    specialty = SpecialtyFactory(name="Clínica médica")
    PractitionerSpecialty.objects.create(practitioner=practitioner, specialty=specialty, duration=20)
    room = RoomFactory(floor__clinic=clinic, kind=Room.Kind.CONSULTING, code="PS-1")
    WorkingHours.objects.create(
        practitioner=practitioner,
        clinic=clinic,
        room=room,
        weekday=NOW.weekday(),
        start_time=time(0),
        end_time=time(23, 59),
        valid_from=date(2026, 1, 1),
    )
    return {
        "clinic": clinic,
        "nurse": make_user(roles.TRIAGE_NURSE),
        "reception": make_user(roles.RECEPTION),
        "ward_nurse": make_user(roles.WARD_NURSE),
        "doctor": doctor,
        "practitioner": practitioner,
        "specialty": specialty,
        "room": room,
        "lab": make_user(roles.LAB),
        "billing": make_user(roles.BILLING),
        "manager": make_user(roles.MANAGER),
    }


@pytest.fixture
def english(client_for: Callable[[User], Client]) -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


@pytest.fixture
def portuguese(client_for: Callable[[User], Client]) -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "pt-BR"
        return client

    return make


def arrived(door: dict[str, Any], *, minutes_ago: int = 5, note: str = "Dor no peito", **patient: Any) -> Visit:
    return services.visit_arrive(
        clinic=door["clinic"],
        patient=make_patient(by=door["nurse"], **patient),
        by=door["nurse"],
        note=note,
        at=NOW - timedelta(minutes=minutes_ago),
    )


def classified(door: dict[str, Any], *, complaint: str = "Falta de ar", minutes_ago: int = 5, **vitals: Any) -> Visit:
    visit = arrived(door, minutes_ago=minutes_ago)
    services.triage_start(visit=visit, by=door["nurse"])
    services.assessment_record(
        visit=visit, by=door["nurse"], complaint=complaint, vitals={**NORMAL, **vitals}, signs=[]
    )
    visit.refresh_from_db()
    return visit


def to_doctor(door: dict[str, Any], visit: Visit) -> Visit:
    return services.route_consultation(
        visit=visit,
        practitioner=door["practitioner"],
        specialty=door["specialty"],
        room=door["room"],
        by=door["nurse"],
    )


def rows() -> dict[str, int]:
    """What a refused request must leave as it was."""
    return {
        "visits": Visit.objects.count(),
        "assessments": Assessment.objects.count(),
        "appointments": Appointment.objects.count(),
        "admissions": Admission.objects.count(),
        "patients": Patient.objects.count(),
        "classified": Visit.objects.filter(status=VisitStatus.CLASSIFIED).count(),
    }


# Who may open what ---------------------------------------------------------------------------------

PAGES: dict[str, tuple[str, str, str, str]] = {
    # page: (allowed role, refused role, method, what the allowed page shows)
    "queue": ("reception", "lab", "get", 'data-testid="queue-table"'),
    "arrive": ("reception", "doctor", "get", 'data-testid="walk-in-form"'),
    "visit": ("doctor", "manager", "get", 'data-testid="visit-times"'),
    "assess": ("nurse", "reception", "get", 'data-testid="assessment-form"'),
    "suggest": ("nurse", "doctor", "post", 'data-testid="suggestion"'),
    "route": ("nurse", "doctor", "get", 'data-testid="route-tabs"'),
    "doctor-queue": ("doctor", "nurse", "get", 'data-testid="doctor-queue"'),
    "panel-vitals": ("ward_nurse", "billing", "get", 'data-testid="vitals-panel"'),
}


@pytest.mark.parametrize("page", sorted(PAGES))
def test_each_page_opens_for_its_role_and_refuses_others(
    page: str, door: dict[str, Any], client_for: Callable[[User], Client]
) -> None:
    visit = classified(door)
    allowed, refused, method, marker = PAGES[page]
    args = (
        [visit.patient_id]
        if page == "panel-vitals"
        else []
        if page in {"queue", "arrive", "doctor-queue"}
        else [visit.pk]
    )
    url = reverse(f"triage:{page}", args=args)
    answer = getattr(client_for(door[allowed]), method)(url)
    assert answer.status_code == 200
    assert marker in answer.content.decode()
    assert getattr(client_for(door[refused]), method)(url).status_code == 403


@pytest.mark.parametrize("page", ["start", "left"])
def test_steps_are_refused_to_reception_and_change_nothing(
    page: str, door: dict[str, Any], client_for: Callable[[User], Client]
) -> None:
    visit = arrived(door)
    before = rows()
    assert client_for(door["reception"]).post(reverse(f"triage:{page}", args=[visit.pk])).status_code == 403
    visit.refresh_from_db()
    assert visit.status == VisitStatus.ARRIVED and rows() == before


def test_a_visit_of_another_clinic_is_not_found(
    door: dict[str, Any], make_user: Callable[..., User], client_for: Callable[[User], Client]
) -> None:
    visit = classified(door)
    stranger = make_user(roles.TRIAGE_NURSE, clinics=[ClinicFactory()])
    client = client_for(stranger)
    for name in ("visit", "assess", "route"):
        assert client.get(reverse(f"triage:{name}", args=[visit.pk])).status_code == 404
    assert client.post(reverse("triage:left", args=[visit.pk])).status_code == 404
    visit.refresh_from_db()
    assert visit.in_queue


def test_the_doctor_queue_says_why_it_is_empty_without_a_practitioner_account(
    door: dict[str, Any], make_user: Callable[..., User], english: Callable[[User], Client]
) -> None:
    to_doctor(door, classified(door, spo2=88))
    page = english(make_user(roles.DOCTOR)).get(reverse("triage:doctor-queue"))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="not-a-practitioner"' in html and 'data-testid="doctor-line"' not in html


# The queue -----------------------------------------------------------------------------------------


def test_the_queue_puts_red_ahead_of_earlier_greens_and_marks_the_overdue(
    door: dict[str, Any], english: Callable[[User], Client]
) -> None:
    green = classified(door, minutes_ago=50, pain=2)
    orange = classified(door, minutes_ago=30, spo2=88)
    red = classified(door, minutes_ago=1, glasgow=7)
    waiting = arrived(door, minutes_ago=3, note="Caiu da escada", full_name="Ana Souza", social_name="")
    page = english(door["nurse"]).get(reverse("triage:queue"), {"clinic": door["clinic"].pk})
    html = page.content.decode()
    assert page.status_code == 200
    order = [line.visit.pk for line, _minutes in page.context["waiting_doctor"]]
    assert order == [red.pk, orange.pk, green.pk]
    assert [visit.risk for visit in (red, orange, green)] == [RiskColour.RED, RiskColour.ORANGE, RiskColour.GREEN]
    orange_row = html[html.index(f'data-visit="{orange.pk}"') - 40 : html.index(f'data-visit="{green.pk}"')]
    assert "table-danger" in orange_row and "Overdue" in orange_row
    assert "30 min / target 10" in orange_row
    green_row = html[html.index(f'data-visit="{green.pk}"') :]
    assert "50 min / target 120" in green_row[:2000] and "table-danger" not in green_row[:200]
    assert 'data-testid="count-red"' in html and page.context["queue"].counts[RiskColour.ORANGE] == 1
    triage_row = html[html.index(f'data-visit="{waiting.pk}"') :]
    assert "Ana Souza" in triage_row and "Caiu da escada" in triage_row and "3 min" in triage_row
    assert "Start triage" in triage_row


def test_a_line_routed_to_a_doctor_names_the_doctor(door: dict[str, Any], english: Callable[[User], Client]) -> None:
    to_doctor(door, classified(door, spo2=88))
    html = english(door["nurse"]).get(reverse("triage:queue")).content.decode()
    assert 'data-testid="routed-doctor"' in html and "Carla Mendes" in html and "PS-1" in html


def test_the_queue_remembers_the_clinic_chosen(
    door: dict[str, Any], make_user: Callable[..., User], english: Callable[[User], Client]
) -> None:
    other = ClinicFactory(name="Zeta Hospital")
    nurse = make_user(roles.TRIAGE_NURSE, clinics=[door["clinic"], other])
    client = english(nurse)
    client.get(reverse("triage:queue"), {"clinic": other.pk})
    assert client.get(reverse("triage:queue")).context["clinic"] == other
    assert client.get(reverse("triage:arrive")).context["clinic"] == other
    assert client.get(reverse("triage:queue"), {"clinic": ClinicFactory().pk}).status_code == 404


def test_the_refresh_gets_only_the_table(door: dict[str, Any], english: Callable[[User], Client]) -> None:
    classified(door)
    client = english(door["nurse"])
    full = client.get(reverse("triage:queue")).content.decode()
    assert 'hx-trigger="every 15s"' in full and "<nav" in full
    partial = client.get(reverse("triage:queue"), HTTP_HX_REQUEST="true").content.decode()
    assert partial.lstrip().startswith('<div id="queue-table"')
    assert "<nav" not in partial and "<html" not in partial and "Walk-in arrival" not in partial
    assert 'data-testid="doctor-line"' in partial


def _queue_queries(client: Client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("triage:queue")).status_code == 200
    return len(queries)


def _fill_queue(door: dict[str, Any], count: int) -> None:
    """Walk-ins in every state of the queue: waiting, in triage, classified, waiting for the doctor."""
    for n in range(count):
        if n % 3 == 0:
            visit = arrived(door)
            if n % 2:
                services.triage_start(visit=visit, by=door["nurse"])
        elif n % 3 == 1:
            classified(door, pain=n % 11)
        else:
            to_doctor(door, classified(door, spo2=88))


def test_the_queue_costs_the_same_queries_for_3_or_30_walk_ins(
    door: dict[str, Any], english: Callable[[User], Client]
) -> None:
    client = english(door["nurse"])
    _fill_queue(door, 3)
    client.get(reverse("triage:queue"))  # the session remembers the clinic once
    few = _queue_queries(client)
    _fill_queue(door, 27)
    many = _queue_queries(client)
    assert Visit.objects.filter(in_queue=True).count() == 30
    assert many == few


# Arrival -------------------------------------------------------------------------------------------


def test_a_registered_patient_is_found_and_arrives(door: dict[str, Any], english: Callable[[User], Client]) -> None:
    patient = make_patient(full_name="Joaquim Barbosa Lima", social_name="")
    client = english(door["reception"])
    found = client.get(reverse("triage:arrive"), {"q": "joaquim barbosa"}).content.decode()
    assert "Joaquim Barbosa Lima" in found and 'data-testid="arrived"' in found
    answer = client.post(
        reverse("triage:arrive"),
        {"form": "existing", "clinic": door["clinic"].pk, "patient": patient.pk, "note": "Febre há 3 dias"},
        follow=True,
    )
    visit = Visit.objects.get(patient=patient)
    assert answer.redirect_chain[-1][0] == f"{reverse('triage:queue')}?clinic={door['clinic'].pk}"
    assert "is in the queue for triage" in answer.content.decode()
    assert visit.clinic == door["clinic"] and visit.arrival_note == "Febre há 3 dias"
    assert visit.arrived_by == door["reception"]


def test_a_second_arrival_of_a_waiting_patient_is_refused(
    door: dict[str, Any], english: Callable[[User], Client]
) -> None:
    visit = arrived(door)
    before = rows()
    name = visit.patient.full_name
    answer = english(door["reception"]).post(
        f"{reverse('triage:arrive')}?q={name}",
        {"form": "existing", "clinic": door["clinic"].pk, "patient": visit.patient_id},
    )
    html = answer.content.decode()
    assert answer.status_code == 400
    assert "This patient is already in the emergency queue." in html
    assert name in html and 'data-testid="arrival-result"' in html  # the search is still there
    assert rows() == before


def test_a_walk_in_without_documents_gets_a_provisional_chart_with_a_badge(
    door: dict[str, Any], english: Callable[[User], Client]
) -> None:
    client = english(door["reception"])
    answer = client.post(
        reverse("triage:arrive"),
        {"form": "walk_in", "clinic": door["clinic"].pk, "full_name": "Unknown man", "sex": "M", "age_years": "40"},
    )
    assert answer.status_code == 302
    visit = Visit.objects.select_related("patient").get()
    patient = visit.patient
    assert patient.registration_complete is False and patient.cpf == ""
    assert patient.birth_date == date(1986, 1, 1)
    assert visit.status == VisitStatus.ARRIVED and visit.clinic == door["clinic"]
    chart = client.get(reverse("patients:detail", args=[patient.pk])).content.decode()
    assert 'data-testid="registration-incomplete"' in chart and "Registration incomplete" in chart
    assert reverse("patients:edit", args=[patient.pk]) in chart
    found = client.get(reverse("patients:search"), {"q": "unknown man"}).content.decode()
    assert "Registration incomplete" in found


def test_a_walk_in_without_birth_date_or_age_is_refused_on_the_form(
    door: dict[str, Any], english: Callable[[User], Client]
) -> None:
    before = rows()
    answer = english(door["reception"]).post(
        reverse("triage:arrive"),
        {"form": "walk_in", "clinic": door["clinic"].pk, "full_name": "<b>Unknown</b>", "sex": "F"},
    )
    html = answer.content.decode()
    assert answer.status_code == 400
    assert "Give the birth date or the approximate age." in html
    assert 'value="&lt;b&gt;Unknown&lt;/b&gt;"' in html  # kept as typed, escaped
    assert rows() == before


# Triage --------------------------------------------------------------------------------------------


def test_start_moves_the_walk_in_into_triage_and_opens_the_form(
    door: dict[str, Any], english: Callable[[User], Client]
) -> None:
    visit = arrived(door)
    answer = english(door["nurse"]).post(reverse("triage:start", args=[visit.pk]))
    assert answer.status_code == 302 and answer["Location"] == reverse("triage:assess", args=[visit.pk])
    visit.refresh_from_db()
    assert visit.status == VisitStatus.IN_TRIAGE and visit.triage_started_at == NOW


def _input(html: str, name: str) -> str:
    """The <input> tag named ``name`` in ``html``."""
    found = re.search(rf'<input [^>]*name="{name}"[^>]*>', html)
    assert found, name
    return found.group(0)


def test_the_form_takes_vital_signs_in_text_inputs_with_a_numeric_keyboard(
    door: dict[str, Any], english: Callable[[User], Client]
) -> None:
    """A number input in a Portuguese browser turns "37,8" into 378: every vital sign is a text input
    with a numeric keyboard (decimal where the sign has decimals) and the pattern it takes."""
    visit = arrived(door)
    html = english(door["nurse"]).get(reverse("triage:assess", args=[visit.pk])).content.decode()
    temperature = _input(html, "temperature")
    assert 'type="text"' in temperature and 'inputmode="decimal"' in temperature
    assert 'pattern="[0-9]+([,.][0-9])?"' in temperature
    for name in ("systolic", "diastolic", "heart_rate", "respiratory_rate", "spo2", "glucose", "pain", "glasgow"):
        field = _input(html, name)
        assert 'type="text"' in field and 'inputmode="numeric"' in field and 'pattern="[0-9]+"' in field, name
    assert 'type="number"' not in html
    assert "SpO2 (%)" in html and "emperature (°C)" in html
    assert "Glasgow coma scale (3-15)" in html and "Chest pain of cardiac type" in html
    assert 'id="risk-blue" value="blue" autocomplete="off" checked' in html


def _assessment(**overrides: Any) -> dict[str, Any]:
    data = {"complaint": "Dor abdominal", **{key: str(value) for key, value in NORMAL.items()}}
    data.update(overrides)
    return data


def test_an_impossible_spo2_is_refused_next_to_the_field(
    door: dict[str, Any], english: Callable[[User], Client]
) -> None:
    visit = arrived(door)
    services.triage_start(visit=visit, by=door["nurse"])
    before = rows()
    answer = english(door["nurse"]).post(reverse("triage:assess", args=[visit.pk]), _assessment(spo2="150"))
    html = answer.content.decode()
    assert answer.status_code == 400
    assert "150 is not possible here: check the measurement (40 to 100)." in html
    assert 'value="150"' in html and "Dor abdominal" in html
    assert rows() == before
    visit.refresh_from_db()
    assert visit.status == VisitStatus.IN_TRIAGE and visit.risk == ""


def test_another_colour_needs_a_reason(door: dict[str, Any], english: Callable[[User], Client]) -> None:
    visit = arrived(door)
    client = english(door["nurse"])
    before = rows()
    refused = client.post(reverse("triage:assess", args=[visit.pk]), _assessment(risk=RiskColour.YELLOW))
    assert refused.status_code == 400
    assert "Say why the colour differs from the suggested one." in refused.content.decode()
    assert rows() == before
    accepted = client.post(
        reverse("triage:assess", args=[visit.pk]),
        _assessment(risk=RiskColour.YELLOW, override_reason="Idosa, mora sozinha"),
    )
    assert accepted.status_code == 302 and accepted["Location"] == reverse("triage:route", args=[visit.pk])
    assessment = Assessment.objects.get(visit=visit)
    assert (assessment.suggested_risk, assessment.risk) == (RiskColour.BLUE, RiskColour.YELLOW)
    assert assessment.override_reason == "Idosa, mora sozinha" and assessment.by == door["nurse"]


def test_a_re_triage_records_when_the_form_was_opened(door: dict[str, Any], english: Callable[[User], Client]) -> None:
    visit = classified(door, spo2=88)
    client = english(door["nurse"])
    form = client.get(reverse("triage:assess", args=[visit.pk])).context["form"]
    opened = form["started_at"].value()
    with time_machine.travel(NOW + timedelta(minutes=7), tick=False):
        answer = client.post(reverse("triage:assess", args=[visit.pk]), _assessment(spo2="96", started_at=str(opened)))
    assert answer.status_code == 302 and answer["Location"] == reverse("triage:route", args=[visit.pk])
    latest = Assessment.objects.filter(visit=visit).latest("finished_at")
    assert latest.started_at == NOW and latest.finished_at == NOW + timedelta(minutes=7)
    # The next re-triage starts from the latest complaint.
    assert "Dor abdominal</textarea>" in client.get(reverse("triage:assess", args=[visit.pk])).content.decode()


@pytest.mark.parametrize("typed", ["37,8", "37.8", " 37,8 "])
def test_a_temperature_typed_in_portuguese_or_english_is_stored_as_typed(
    typed: str, door: dict[str, Any], portuguese: Callable[[User], Client]
) -> None:
    visit = arrived(door)
    answer = portuguese(door["nurse"]).post(reverse("triage:assess", args=[visit.pk]), _assessment(temperature=typed))
    assert answer.status_code == 302
    assert Assessment.objects.get(visit=visit).temperature == Decimal("37.8")


@pytest.mark.parametrize(
    ("language", "temperature", "glucose"),
    [
        (
            "pt-BR",
            "378 não é possível aqui: confira a medida (25,0 a 45,0).",
            "1.600 não é possível aqui: confira a medida (10 a 1.500).",
        ),
        (
            "en",
            "378 is not possible here: check the measurement (25.0 to 45.0).",
            "1,600 is not possible here: check the measurement (10 to 1,500).",
        ),
    ],
)
def test_an_impossible_value_is_refused_with_the_numbers_written_the_readers_way(
    language: str,
    temperature: str,
    glucose: str,
    door: dict[str, Any],
    client_for: Callable[[User], Client],
) -> None:
    visit = arrived(door)
    services.triage_start(visit=visit, by=door["nurse"])
    before = rows()
    client = client_for(door["nurse"])
    answer = client.post(
        reverse("triage:assess", args=[visit.pk]),
        _assessment(temperature="378", glucose="1600"),
        HTTP_ACCEPT_LANGUAGE=language,
    )
    html = answer.content.decode()
    assert answer.status_code == 400
    assert temperature in html and glucose in html
    assert 'value="378"' in _input(html, "temperature") and 'value="1600"' in _input(html, "glucose")
    assert rows() == before


def test_a_comma_decimal_temperature_is_understood(door: dict[str, Any], english: Callable[[User], Client]) -> None:
    visit = arrived(door)
    english(door["nurse"]).post(reverse("triage:assess", args=[visit.pk]), _assessment(temperature="39,2"))
    assessment = Assessment.objects.get(visit=visit)
    assert str(assessment.temperature) == "39.2"
    assert assessment.risk == RiskColour.YELLOW and "temperature:high" in assessment.flags


def test_the_suggestion_for_glasgow_7_is_red_and_nothing_is_stored(
    door: dict[str, Any], english: Callable[[User], Client]
) -> None:
    visit = arrived(door)
    before = rows()
    answer = english(door["nurse"]).post(
        reverse("triage:suggest", args=[visit.pk]),
        {"glasgow": "7", "spo2": "", "risk": "blue", "shown_suggestion": "blue"},
        HTTP_HX_REQUEST="true",
    )
    html = answer.content.decode()
    assert answer.status_code == 200
    assert 'data-colour="red"' in html and "Glasgow 8 or less" in html
    assert 'hx-swap-oob="true"' in html and 'id="risk-red" value="red" autocomplete="off" checked' in html
    assert rows() == before


def test_the_suggestion_keeps_a_colour_the_nurse_picked(
    door: dict[str, Any], english: Callable[[User], Client]
) -> None:
    visit = arrived(door)
    html = (
        english(door["nurse"])
        .post(
            reverse("triage:suggest", args=[visit.pk]),
            {"spo2": "88", "risk": "yellow", "shown_suggestion": "blue", "temperature": "abc", "signs": ["nope"]},
        )
        .content.decode()
    )
    assert 'data-colour="orange"' in html and "SpO2 below 90%" in html
    assert 'id="risk-yellow" value="yellow" autocomplete="off" checked' in html


def test_html_in_the_complaint_is_shown_escaped(door: dict[str, Any], english: Callable[[User], Client]) -> None:
    hostile = '<script>alert("x")</script>'
    visit = classified(door, complaint=hostile)
    client = english(door["doctor"])
    for url in (
        reverse("triage:visit", args=[visit.pk]),
        reverse("triage:queue"),
        reverse("triage:panel-vitals", args=[visit.patient_id]),
    ):
        html = client.get(url).content.decode()
        assert "&lt;script&gt;alert(&quot;x&quot;)" in html, url
        assert hostile not in html, url


# Routing -------------------------------------------------------------------------------------------


def test_routing_to_a_consultation_without_a_doctor_is_refused(
    door: dict[str, Any], english: Callable[[User], Client]
) -> None:
    visit = classified(door, spo2=88)
    before = rows()
    answer = english(door["nurse"]).post(
        reverse("triage:route", args=[visit.pk]),
        {"destination": "consultation", "consultation-doctor": "", "consultation-room": door["room"].pk},
    )
    assert answer.status_code == 400
    assert "Choose the doctor." in answer.content.decode()
    assert rows() == before


def test_routing_to_a_doctor_puts_the_walk_in_in_the_doctor_queue(
    door: dict[str, Any], english: Callable[[User], Client]
) -> None:
    visit = classified(door, spo2=88, complaint="Dispneia súbita")
    nurse = english(door["nurse"])
    form = nurse.get(reverse("triage:route", args=[visit.pk])).content.decode()
    choice = f"{door['practitioner'].pk}:{door['specialty'].pk}"
    assert f'value="{choice}"' in form and "Carla Mendes · Clínica médica" in form
    answer = nurse.post(
        reverse("triage:route", args=[visit.pk]),
        {"destination": "consultation", "consultation-doctor": choice, "consultation-room": door["room"].pk},
    )
    assert answer.status_code == 302
    visit.refresh_from_db()
    assert visit.destination == Destination.CONSULTATION and visit.in_queue
    doctor = english(door["doctor"])
    html = doctor.get(reverse("triage:doctor-queue")).content.decode()
    start = reverse("scheduling:consultation-start", args=[visit.appointment_id])
    assert visit.patient.display_name in html and "Dispneia súbita" in html and f'action="{start}"' in html
    assert "Orange (very urgent)" in html
    started = doctor.post(start)
    assert started.status_code == 302
    visit.refresh_from_db()
    assert visit.in_queue is False and visit.doctor_started_at is not None
    assert visit.appointment.status == AppointmentStatus.IN_PROGRESS
    assert visit.patient.display_name not in doctor.get(reverse("triage:doctor-queue")).content.decode()


# The doctor's queue and the consultation's triage card ---------------------------------------------


def routed(door: dict[str, Any], *, note: str = "Asmática, usa salbutamol", **vitals: Any) -> Visit:
    """A walk-in classified with ``vitals`` (the normal ones otherwise) and sent to the door's doctor with ``note``."""
    return services.route_consultation(
        visit=classified(door, complaint="Dispneia súbita", **vitals),
        practitioner=door["practitioner"],
        specialty=door["specialty"],
        room=door["room"],
        by=door["nurse"],
        note=note,
    )


def _vitals_shown(html: str) -> list[tuple[str, str, str]]:
    """The vital signs a queue line or a card shows, each by its abbreviation titled with its full name:
    (flag, full name, value with its unit)."""
    return [
        (flag, name, f"{value}{unit}".rstrip())
        for flag, name, value, unit in re.findall(
            r'data-testid="vital" data-flag="(\w*)"><abbr title="([^"]+)">[^<]+</abbr> <strong>([^<]+)</strong>([^<]*)',
            html,
        )
    ]


def test_each_line_of_the_doctor_queue_shows_what_the_triage_found(
    door: dict[str, Any], english: Callable[[User], Client]
) -> None:
    visit = routed(door, spo2=88, heart_rate=130, temperature=Decimal("38.4"))
    html = english(door["doctor"]).get(reverse("triage:doctor-queue")).content.decode()
    line = html[html.index(f'data-visit="{visit.pk}"') :]
    assert 'data-risk="orange"' in line[:40] and "Orange (very urgent)" in line
    assert "Dispneia súbita" in line
    shown = {label: (value, flag) for flag, label, value in _vitals_shown(line)}
    assert shown["Systolic pressure (mmHg)"] == ("120 mmHg", "")
    assert shown["SpO2 (%)"] == ("88 %", "low") and shown["Heart rate (bpm)"] == ("130 bpm", "high")
    assert shown["Temperature (°C)"] == ("38.4 °C", "high")
    assert '<abbr title="Heart rate (bpm)">HR</abbr>' in line
    assert 'data-testid="routing-note"' in line and "Note for the doctor" in line and "Asmática, usa salbutamol" in line


def test_the_doctor_queue_writes_numbers_the_portuguese_way_and_shows_the_latest_triage(
    door: dict[str, Any], portuguese: Callable[[User], Client]
) -> None:
    visit = routed(door, temperature=Decimal("38.4"))
    services.assessment_record(
        visit=visit,
        by=door["nurse"],
        complaint="Piorou na espera",
        vitals={**NORMAL, "temperature": Decimal("39.1"), "glucose": 1200},
        signs=[],
    )
    html = portuguese(door["doctor"]).get(reverse("triage:doctor-queue")).content.decode()
    shown = {label: value for _flag, label, value in _vitals_shown(html)}
    assert shown["Temperatura (°C)"] == "39,1 °C" and shown["Glicemia capilar (mg/dL)"] == "1.200 mg/dL"
    assert "Piorou na espera" in html and "Dispneia súbita" not in html


def test_html_in_the_note_for_the_doctor_is_shown_escaped(
    door: dict[str, Any], english: Callable[[User], Client]
) -> None:
    visit = routed(door, spo2=88, note='<img src=x onerror="alert(1)">')
    doctor = english(door["doctor"])
    for url in (
        reverse("triage:doctor-queue"),
        reverse("triage:panel-consultation", args=[visit.appointment_id]),
    ):
        html = doctor.get(url).content.decode()
        assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in html and "<img src=x" not in html, url


def test_the_doctor_queue_costs_the_same_queries_for_3_or_30_walk_ins(
    door: dict[str, Any], english: Callable[[User], Client], django_assert_max_num_queries: Any
) -> None:
    client = english(door["doctor"])
    url = reverse("triage:doctor-queue")
    for n in range(3):
        routed(door, spo2=88, heart_rate=100 + n, note=f"Nota {n}")
    client.get(url)  # the session settles once
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    for n in range(27):
        visit = routed(door, spo2=86 + n % 8, note=f"Nota {n}")
        if n % 3 == 0:  # re-triaged: the line shows the latest of several assessments
            services.assessment_record(
                visit=visit, by=door["nurse"], complaint="Reavaliação", vitals={"spo2": 84}, signs=[]
            )
    with django_assert_max_num_queries(len(few)):
        html = client.get(url).content.decode()
    assert html.count('data-testid="doctor-line"') == 30
    assert html.count('data-testid="routing-note"') == 30 and html.count('data-testid="line-vitals"') == 30


def test_the_consultation_of_a_walk_in_shows_its_triage_and_links_the_visit(
    door: dict[str, Any], english: Callable[[User], Client]
) -> None:
    visit = routed(door, spo2=88, heart_rate=130)
    doctor = english(door["doctor"])
    panel = reverse("triage:panel-consultation", args=[visit.appointment_id])
    page = doctor.get(reverse("scheduling:consultation", args=[visit.appointment_id])).content.decode()
    assert f'hx-get="{panel}"' in page
    card = doctor.get(panel).content.decode()
    assert 'data-testid="consultation-triage"' in card and 'data-risk="orange"' in card
    assert "Orange (very urgent)" in card and "Dispneia súbita" in card
    shown = {label: (value, flag) for flag, label, value in _vitals_shown(card)}
    assert shown["SpO2 (%)"] == ("88 %", "low") and shown["Heart rate (bpm)"] == ("130 bpm", "high")
    assert "Note for the doctor" in card and "Asmática, usa salbutamol" in card
    assert f'href="{reverse("triage:visit", args=[visit.pk])}"' in card


def test_the_triage_card_links_the_visit_only_for_those_who_may_open_it(
    door: dict[str, Any], make_user: Callable[..., User], english: Callable[[User], Client]
) -> None:
    visit = routed(door, spo2=88)
    reader = make_user()
    reader.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in=["triage", "scheduling"],
            codename__in=["view_assessment", "view_consultation"],
        )
    )
    card = english(reader).get(reverse("triage:panel-consultation", args=[visit.appointment_id])).content.decode()
    assert "Dispneia súbita" in card and 'data-testid="triage-visit-link"' not in card
    assert english(reader).get(reverse("triage:visit", args=[visit.pk])).status_code == 403


def test_the_triage_card_is_empty_for_a_consultation_that_did_not_come_from_the_door(
    door: dict[str, Any], english: Callable[[User], Client]
) -> None:
    squeezed_in = appointment_urgent(
        patient=make_patient(by=door["reception"]),
        practitioner=door["practitioner"],
        specialty=door["specialty"],
        room=door["room"],
        by=door["reception"],
        reason="Encaixe a pedido da família",
    )
    answer = english(door["doctor"]).get(reverse("triage:panel-consultation", args=[squeezed_in.pk]))
    assert answer.status_code == 200 and answer.content == b""


def test_the_triage_card_of_another_clinic_is_not_found_and_costs_few_queries(
    door: dict[str, Any],
    make_user: Callable[..., User],
    english: Callable[[User], Client],
    django_assert_max_num_queries: Any,
) -> None:
    visit = routed(door, spo2=88)
    url = reverse("triage:panel-consultation", args=[visit.appointment_id])
    stranger = make_user(roles.DOCTOR, clinics=[ClinicFactory()])
    assert english(stranger).get(url).status_code == 404
    assert english(door["reception"]).get(url).status_code == 403
    doctor = english(door["doctor"])
    doctor.get(url)
    # Session, user, permissions (the user's and the role's), the user's clinics, the appointment, the
    # visit, its latest assessment.
    with django_assert_max_num_queries(8):
        assert 'data-testid="consultation-triage"' in doctor.get(url).content.decode()


def test_routing_to_admission_opens_the_request_with_its_suggested_beds(
    door: dict[str, Any], english: Callable[[User], Client]
) -> None:
    visit = classified(door, spo2=88)
    answer = english(door["nurse"]).post(
        reverse("triage:route", args=[visit.pk]),
        {
            "destination": "admission",
            "admission-ward_kind": WardKind.GENERAL,
            "admission-priority": "urgent",
            "admission-reason": "Pneumonia com hipoxemia",
        },
    )
    admission = Admission.objects.get(patient=visit.patient)
    assert answer.status_code == 302 and answer["Location"] == reverse("beds:admission", args=[admission.pk])
    assert admission.source == AdmissionSource.TRIAGE and admission.risk == RiskColour.ORANGE


def test_routing_to_exams_orders_each_and_the_visit_links_them(
    door: dict[str, Any], english: Callable[[User], Client]
) -> None:
    visit = classified(door, spo2=88)
    blood_count, glucose = ExamFactory(name="Hemograma completo"), ExamFactory(name="Glicemia")
    client = english(door["nurse"])
    data = {"destination": "exams", "exams-exams": [blood_count.pk, glucose.pk], "exams-priority": "urgent"}
    before = rows()
    refused = client.post(reverse("triage:route", args=[visit.pk]), data)
    assert refused.status_code == 400 and "This clinic has no laboratory" in refused.content.decode()
    assert rows() == before and not ExamOrder.objects.exists()
    CareUnitFactory(clinic=door["clinic"], kind=CareUnit.Kind.LABORATORY)
    assert client.post(reverse("triage:route", args=[visit.pk]), data).status_code == 302
    orders = ExamOrder.objects.filter(patient=visit.patient)
    assert {order.exam for order in orders} == {blood_count, glucose}
    assert {order.origin for order in orders} == {OrderOrigin.TRIAGE}
    html = english(door["doctor"]).get(reverse("triage:visit", args=[visit.pk])).content.decode()
    assert all(reverse("exams:order", args=[order.pk]) in html for order in orders)


def test_discharge_needs_a_note(door: dict[str, Any], english: Callable[[User], Client]) -> None:
    visit = classified(door)
    client = english(door["nurse"])
    before = rows()
    refused = client.post(reverse("triage:route", args=[visit.pk]), {"destination": "discharged"})
    assert refused.status_code == 400 and "Write the discharge note." in refused.content.decode()
    assert rows() == before
    unknown = client.post(reverse("triage:route", args=[visit.pk]), {"destination": "mars"})
    assert unknown.status_code == 400 and "Choose where the patient goes." in unknown.content.decode()
    client.post(reverse("triage:route", args=[visit.pk]), {"destination": "discharged", "discharge-note": "Orientada"})
    visit.refresh_from_db()
    assert visit.destination == Destination.DISCHARGED and not visit.in_queue


def test_routing_before_classification_is_refused(door: dict[str, Any], english: Callable[[User], Client]) -> None:
    visit = arrived(door)
    client = english(door["nurse"])
    assert 'data-testid="not-routable"' in client.get(reverse("triage:route", args=[visit.pk])).content.decode()
    before = rows()
    answer = client.post(
        reverse("triage:route", args=[visit.pk]), {"destination": "discharged", "discharge-note": "Orientada"}
    )
    assert answer.status_code == 400
    assert "Classify the walk-in&#x27;s risk before routing them." in answer.content.decode()
    assert rows() == before


def test_left_without_being_seen_from_the_refreshing_queue(
    door: dict[str, Any], english: Callable[[User], Client]
) -> None:
    visit = arrived(door)
    client = english(door["nurse"])
    too_long = client.post(reverse("triage:left", args=[visit.pk]), {"note": "x" * 201}, follow=True)
    assert "at most 200 characters" in too_long.content.decode()
    visit.refresh_from_db()
    assert visit.in_queue and visit.status == VisitStatus.ARRIVED
    answer = client.post(
        reverse("triage:left", args=[visit.pk]), {"note": "Não respondeu ao chamado"}, HTTP_HX_REQUEST="true"
    )
    assert answer["HX-Redirect"] == f"{reverse('triage:queue')}?clinic={door['clinic'].pk}"
    visit.refresh_from_db()
    assert visit.status == VisitStatus.LEFT and not visit.in_queue
    assert visit.routing_note == "Não respondeu ao chamado"
    again = client.post(reverse("triage:left", args=[visit.pk]), follow=True)
    assert "This walk-in has left the emergency." in again.content.decode()


# A visit and the chart -----------------------------------------------------------------------------


def test_the_visit_page_shows_times_assessments_and_where_the_patient_went(
    door: dict[str, Any], english: Callable[[User], Client]
) -> None:
    visit = classified(door, spo2=88, heart_rate=130)
    services.assessment_record(
        visit=visit,
        by=door["nurse"],
        complaint="Piorou",
        vitals={**NORMAL, "spo2": 84},
        signs=["altered_consciousness"],
        risk=RiskColour.RED,
    )
    visit = to_doctor(door, visit)
    html = english(door["doctor"]).get(reverse("triage:visit", args=[visit.pk])).content.decode()
    assert html.count('data-testid="assessment"') == 2
    assert "High" in html and "Low" in html and "Altered consciousness" in html
    assert "Carla Mendes" in html and reverse("scheduling:appointment", args=[visit.appointment_id]) in html
    assert "Arrival" in html and "Doctor started" in html


def test_the_chart_panel_shows_each_assessment_and_a_chart_per_repeated_sign(
    door: dict[str, Any], english: Callable[[User], Client]
) -> None:
    visit = classified(door, spo2=88, temperature=Decimal("38.0"))
    with time_machine.travel(NOW + timedelta(minutes=30), tick=False):
        services.assessment_record(
            visit=visit, by=door["nurse"], complaint="Reavaliação", vitals={"spo2": 93}, signs=[]
        )
    html = english(door["ward_nurse"]).get(reverse("triage:panel-vitals", args=[visit.patient_id])).content.decode()
    assert html.count('data-testid="vitals-row"') == 2
    assert html.index("Reavaliação") < html.index("Falta de ar")  # latest first
    assert html.count("<svg") == 1 and 'aria-label="SpO2 (%)"' in html
    assert 'data-testid="flag"' in html
