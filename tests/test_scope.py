"""The access rule (clinic/access.py) where the permission table cannot see it: what each chart panel
lists to each role across two clinics of one network, and ids of the other clinic typed into form
fields, which are refused without storing anything."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beds.models import Admission, BedStay
from beds.services import admission_admit
from exams.models import ExamOrder
from exams.services import order_collect, order_create, result_release, results_enter
from messaging.models import Audience, Message
from scheduling.models import Appointment, AppointmentStatus, WaitingListEntry
from staff import roles
from staff.models import Shift, User
from tests.factories import BedFactory, ClinicFactory, FloorFactory, UserFactory, WardFactory, make_request
from tests.factories.world import build_world
from triage.models import Visit
from triage.services import assessment_record, visit_arrive


@pytest.fixture
def home(db: None) -> dict[str, Any]:
    return build_world(ClinicFactory(name="Clínica da Casa"))


@pytest.fixture
def away(home: dict[str, Any]) -> dict[str, Any]:
    return build_world(ClinicFactory(name="Hospital do Outro Lado"))


@pytest.fixture
def client_of(home: dict[str, Any], client_for: Callable[[User], Client]) -> Callable[[str], Client]:
    """A signed-in client of someone in ``role`` who works at the home clinic only (pages in English)."""

    def make(role: str) -> Client:
        client = client_for(UserFactory(role=role, clinics=[home["clinic"]]))
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


@pytest.fixture
def chart(home: dict[str, Any], away: dict[str, Any]) -> dict[str, Any]:
    """The home patient's chart written in both clinics: a released result, an admission, a past
    appointment and a triage assessment at the other clinic."""
    patient, there, author = home["patient"], away["clinic"], away["author"]
    order = order_collect(
        order=order_create(patient=patient, exam=home["order"].exam, clinic=there, by=author), by=author
    )
    values = {
        analyte.pk: ("14.1" if analyte.decimals else "7400", analyte.unit) for analyte in order.exam.analytes.all()
    }
    order = results_enter(order=order, by=author, values=values)
    order = result_release(order=order, by=UserFactory(role=roles.LAB, clinics=[there]))
    admission = make_request(patient=patient, clinic=there, by=author)
    admission_admit(admission=admission, bed=BedFactory(room__ward=WardFactory(clinic=there)), by=author)
    appointment = Appointment.objects.create(
        patient=patient,
        practitioner=away["appointment"].practitioner,
        specialty=away["appointment"].specialty,
        clinic=there,
        room=away["appointment"].room,
        starts_at=datetime(2026, 1, 5, 12, tzinfo=UTC),
        ends_at=datetime(2026, 1, 5, 12, 30, tzinfo=UTC),
        status=AppointmentStatus.FINISHED,
    )
    visit = visit_arrive(clinic=there, patient=patient, by=author)
    assessment_record(visit=visit, by=author, complaint="Cefaleia intensa", vitals={"heart_rate": 131}, signs=[])
    return {"order": order, "admission": admission, "appointment": appointment, "visit": visit}


def _panel(client: Client, name: str, patient_pk: int) -> str:
    response = client.get(reverse(name, args=[patient_pk]))
    assert response.status_code == 200
    return response.content.decode()


# Chart panels -------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [roles.DOCTOR, roles.WARD_NURSE, roles.TRIAGE_NURSE])
def test_clinical_roles_read_the_whole_chart_and_open_only_their_clinics_pages(
    role: str, home: dict[str, Any], away: dict[str, Any], chart: dict[str, Any], client_of: Callable[[str], Client]
) -> None:
    client, patient = client_of(role), home["patient"].pk
    there = away["clinic"].name

    results = _panel(client, "exams:panel-results", patient)
    assert f'data-order="{chart["order"].pk}"' in results and there in results
    assert reverse("exams:order", args=[chart["order"].pk]) not in results  # its page is the other clinic's
    assert reverse("exams:order", args=[home["order"].pk]) in results

    admissions = _panel(client, "beds:panel-admissions", patient)
    assert there in admissions
    assert reverse("beds:admission", args=[chart["admission"].pk]) not in admissions

    vitals = _panel(client, "triage:panel-vitals", patient)
    assert "Cefaleia intensa" in vitals and there in vitals
    assert reverse("triage:visit", args=[chart["visit"].pk]) not in vitals

    if role != roles.TRIAGE_NURSE:  # the appointments panel is for those who see appointments
        appointments = _panel(client, "scheduling:panel-appointments", patient)
        assert there in appointments
        assert reverse("scheduling:appointment", args=[chart["appointment"].pk]) not in appointments
        assert reverse("scheduling:consultation", args=[chart["appointment"].pk]) not in appointments


def test_the_lab_reads_its_own_clinics_results_only(
    home: dict[str, Any], away: dict[str, Any], chart: dict[str, Any], client_of: Callable[[str], Client]
) -> None:
    results = _panel(client_of(roles.LAB), "exams:panel-results", home["patient"].pk)
    assert f'data-order="{home["order"].pk}"' in results
    assert f'data-order="{chart["order"].pk}"' not in results
    assert away["clinic"].name not in results
    assert "14.1" not in results  # nor its values, nor a trend drawn through them


def test_reception_reads_its_own_clinics_appointments_only(
    home: dict[str, Any], away: dict[str, Any], chart: dict[str, Any], client_of: Callable[[str], Client]
) -> None:
    appointments = _panel(client_of(roles.RECEPTION), "scheduling:panel-appointments", home["patient"].pk)
    assert reverse("scheduling:appointment", args=[home["appointment"].pk]) in appointments
    assert away["clinic"].name not in appointments


@pytest.mark.parametrize(
    ("role", "banner"),
    [
        (roles.DOCTOR, True),
        (roles.LAB, True),
        (roles.RECEPTION, False),
        (roles.BILLING, False),
        (roles.ADMIN, False),
    ],
)
def test_the_allergy_banner_is_for_those_who_touch_the_patient(
    role: str, banner: bool, home: dict[str, Any], client_of: Callable[[str], Client]
) -> None:
    client = client_of(role)
    if role == roles.ADMIN:  # an administrator has a second factor, or is sent to set one up first
        TOTP.activate(User.objects.filter(groups__name=roles.ADMIN).latest("pk"), generate_totp_secret())
    page = client.get(reverse("patients:detail", args=[home["patient"].pk])).content.decode()
    assert ('data-testid="allergy-banner"' in page) is banner
    assert ("Dipirona" in page) is banner
    assert 'data-testid="no-allergies"' not in page  # "no known allergies" would be a lie to them


def test_the_outbox_shows_reception_the_messages_to_patients_and_never_an_exam(
    home: dict[str, Any], chart: dict[str, Any], client_of: Callable[[str], Client]
) -> None:
    here = home["clinic"]
    order = home["order"]
    order = results_enter(
        order=order,
        by=home["author"],
        values={a.pk: ("13.0" if a.decimals else "7400", a.unit) for a in order.exam.analytes.all()},
    )
    result_release(order=order, by=UserFactory(role=roles.LAB, clinics=[here]))
    staff_email = Message.objects.get(dedupe_key=f"exam-result:{order.pk}:doctor-email")
    assert staff_email.audience == Audience.STAFF

    client = client_of(roles.RECEPTION)
    outbox = client.get(reverse("messaging:outbox")).content.decode()
    assert reverse("messaging:detail", args=[staff_email.pk]) not in outbox
    assert "Exam result ready" in outbox  # the purpose by its name, not its code
    assert "exam-result-ready" not in outbox
    staff_page = client.get(reverse("messaging:outbox"), {"audience": "staff"}).content.decode()
    assert reverse("messaging:detail", args=[staff_email.pk]) in staff_page
    detail = client.get(reverse("messaging:detail", args=[staff_email.pk])).content.decode()
    for secret in ("Hemograma", home["patient"].full_name, "13.0", "13,0"):
        assert secret not in detail and secret not in staff_page


# Ids of the other clinic in form fields -----------------------------------------------------------


HEAD_OF_UNIT = "head of unit"


def _work_rows() -> dict[str, int]:
    """How many rows of a clinic's work there are: a refused form leaves each count as it was."""
    return {
        model.__name__: model.objects.count()
        for model in (Appointment, Visit, Admission, BedStay, ExamOrder, WaitingListEntry, Shift, Message)
    }


def _next_monday_at_9(clinic: Any) -> str:
    zone = clinic.zone
    today = timezone.localdate(timezone=zone)
    monday = today + timedelta(days=7 - today.weekday())
    return datetime(monday.year, monday.month, monday.day, 9, tzinfo=zone).isoformat()


# case -> (who, what they are told: a text beside the field, or the page is not found, (path, data)).
FORM_CASES: dict[str, tuple[str, str | int, Callable[[dict[str, Any], dict[str, Any]], tuple[str, dict[str, Any]]]]] = {
    # A slot of the other clinic's practitioner, forged into the booking confirmation.
    "booking: practitioner and slot": (
        roles.RECEPTION,
        "Choose a free time from the list.",
        lambda h, a: (
            reverse("scheduling:book-confirm"),
            {
                "practitioner": a["appointment"].practitioner.pk,
                "specialty": a["appointment"].specialty.pk,
                "starts_at": _next_monday_at_9(a["clinic"]),
                "patient": h["patient"].pk,
            },
        ),
    ),
    "waiting list: clinic": (
        roles.RECEPTION,
        "Select a valid choice",
        lambda h, a: (
            reverse("scheduling:waiting-list-add") + f"?patient={h['patient'].pk}",
            {"specialty": a["appointment"].specialty.pk, "clinic": a["clinic"].pk, "priority": 0},
        ),
    ),
    "waiting list: practitioner": (
        roles.RECEPTION,
        "Select a valid choice",
        lambda h, a: (
            reverse("scheduling:waiting-list-add") + f"?patient={h['patient'].pk}",
            {
                "specialty": a["appointment"].specialty.pk,
                "practitioner": a["appointment"].practitioner.pk,
                "priority": 0,
            },
        ),
    ),
    "exam order: clinic": (
        roles.DOCTOR,
        "Select a valid choice",
        lambda h, a: (
            reverse("exams:order-create", args=[h["patient"].pk]),
            {"exam": h["order"].exam.pk, "clinic": a["clinic"].pk, "priority": "routine"},
        ),
    ),
    "exam booking: practitioner": (
        roles.DOCTOR,
        "Choose a free time from the list.",
        lambda h, a: (
            reverse("exams:order-schedule", args=[h["scan_order"].pk]),
            {"practitioner": a["appointment"].practitioner.pk, "starts_at": _next_monday_at_9(a["clinic"])},
        ),
    ),
    "arrival: clinic": (
        roles.TRIAGE_NURSE,
        404,
        lambda h, a: (reverse("triage:arrive") + f"?clinic={a['clinic'].pk}", {"patient": h["patient"].pk}),
    ),
    "triage routing: room": (
        roles.TRIAGE_NURSE,
        "Select a valid choice",
        lambda h, a: (
            reverse("triage:route", args=[h["visit"].pk]),
            {
                "destination": "consultation",
                "consultation-doctor": f"{h['appointment'].practitioner.pk}:{h['appointment'].specialty.pk}",
                "consultation-room": a["appointment"].room.pk,
            },
        ),
    ),
    "admission request: clinic": (
        roles.DOCTOR,
        "Select a valid choice",
        lambda h, a: (
            reverse("beds:request-create", args=[h["patient"].pk]),
            {"clinic": a["clinic"].pk, "ward_kind": "general", "priority": "routine", "source": "doctor"},
        ),
    ),
    "admission request: floor": (
        roles.DOCTOR,
        "Select a valid choice",
        lambda h, a: (
            reverse("beds:request-create", args=[h["patient"].pk]),
            {
                "clinic": h["clinic"].pk,
                "origin_floor": FloorFactory(clinic=a["clinic"], level=9).pk,
                "ward_kind": "general",
                "priority": "routine",
                "source": "doctor",
            },
        ),
    ),
    "admit: bed": (
        roles.WARD_NURSE,
        404,
        lambda h, a: (reverse("beds:admit", args=[h["admission_request"].pk]), {"bed": a["bed"].pk}),
    ),
    "reserve: bed": (
        roles.WARD_NURSE,
        404,
        lambda h, a: (reverse("beds:reserve", args=[h["admission_request"].pk]), {"bed": a["bed"].pk, "hours": 2}),
    ),
    "transfer: bed": (
        roles.WARD_NURSE,
        404,
        lambda h, a: (reverse("beds:transfer", args=[h["admission"].pk]), {"bed": a["bed"].pk}),
    ),
    "new ward: floor": (
        HEAD_OF_UNIT,
        "Select a valid choice",
        lambda h, a: (
            reverse("beds:ward-create") + f"?clinic={h['clinic'].pk}",
            {"code": "X-1", "name": "Ala X", "kind": "general", "floor": FloorFactory(clinic=a["clinic"], level=8).pk},
        ),
    ),
    "rota: person": (
        HEAD_OF_UNIT,
        "Select a valid choice",
        lambda h, a: (
            reverse("staff:shift-add", args=[h["care_unit"].pk]),
            {
                "user": a["author"].pk,
                "day": timezone.localdate().isoformat(),
                "start_time": "07:00",
                "end_time": "19:00",
                "function": "nurse",
            },
        ),
    ),
}


@pytest.mark.parametrize("case", sorted(FORM_CASES))
def test_another_clinics_id_in_a_form_field_is_refused_and_nothing_is_stored(
    case: str, home: dict[str, Any], away: dict[str, Any], client_for: Callable[[User], Client]
) -> None:
    role, told, build = FORM_CASES[case]
    if role == HEAD_OF_UNIT:
        # Managers see the whole network; the setup and rota permissions given to someone of one clinic.
        user = UserFactory(clinics=[home["clinic"]])
        user.user_permissions.add(
            *Permission.objects.filter(
                content_type__app_label__in=["beds", "staff"],
                codename__in=["add_ward", "change_ward", "add_shift", "view_shift"],
            )
        )
    else:
        user = UserFactory(role=role, clinics=[home["clinic"]])
    client = client_for(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    path, data = build(home, away)
    before = _work_rows()

    response = client.post(path, data, follow=True)

    assert _work_rows() == before
    if told == 404:
        assert response.status_code == 404
    else:
        assert response.status_code in (200, 400)
        page = response.content.decode()
        assert told in page
        assert away["clinic"].name not in page  # not even offered back
