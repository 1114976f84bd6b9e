"""Every URL of the site, as every role: the expected answer is in the table below.

A URL added to the site without a row here fails ``test_every_url_has_a_row``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from beds.services import admission_admit
from clinic.models import Clinic, Room
from exams.models import ExamKind
from exams.services import attachment_add, order_collect, order_create
from messaging.services import message_enqueue, notify
from patients import services
from patients.models import Allergy, Condition, Medication, Patient
from scheduling.links import link_create
from scheduling.models import Appointment, Consultation, Diagnosis, WaitingListEntry
from scheduling.services import appointment_book
from staff import roles
from staff.models import CareUnit, PractitionerSpecialty, Shift, ShiftFunction, User, WorkingHours
from tests.factories import (
    BedFactory,
    CareUnitFactory,
    ExamFactory,
    PractitionerFactory,
    RoomFactory,
    SpecialtyFactory,
    WardFactory,
    WardRoomFactory,
    make_blood_count,
    make_patient,
    make_request,
)
from triage.services import assessment_record, visit_arrive

ANON = "anonymous"
ALL_ROLES = roles.ALL_ROLES
CLINICAL = {roles.TRIAGE_NURSE, roles.WARD_NURSE, roles.DOCTOR}
REGISTRY_ADD = {roles.RECEPTION, roles.TRIAGE_NURSE}
REGISTRY_EDIT = {*REGISTRY_ADD, roles.DOCTOR}
PATIENT_VIEW = {roles.RECEPTION, *CLINICAL, roles.LAB, roles.BILLING, roles.ADMIN}
DOCUMENTS = {roles.RECEPTION, *CLINICAL, roles.LAB}
ROTA_VIEW = {roles.RECEPTION, *CLINICAL, roles.MANAGER, roles.ADMIN}
ROTA_EDIT = {roles.MANAGER, roles.ADMIN}
WAITING_LIST_ADD = {roles.RECEPTION, roles.TRIAGE_NURSE, roles.DOCTOR}
WAITING_LIST_VIEW = {*WAITING_LIST_ADD, roles.MANAGER, roles.ADMIN}
OUTBOX_VIEW = {roles.RECEPTION, roles.MANAGER, roles.ADMIN}
BEDS_VIEW = {roles.WARD_NURSE, roles.TRIAGE_NURSE, roles.DOCTOR, roles.MANAGER, roles.ADMIN}
ADMISSION_REQUEST = {roles.WARD_NURSE, roles.TRIAGE_NURSE, roles.DOCTOR, roles.ADMIN}
BEDS_RUN = {roles.WARD_NURSE, roles.ADMIN}
BEDS_SETUP = {roles.MANAGER, roles.ADMIN}
REPORTS = {roles.MANAGER, roles.ADMIN}
TRIAGE_VIEW = {roles.RECEPTION, *CLINICAL, roles.MANAGER, roles.ADMIN}
TRIAGE_ARRIVE = {roles.RECEPTION, roles.TRIAGE_NURSE, roles.ADMIN}
TRIAGE_CLASSIFY = {roles.TRIAGE_NURSE, roles.ADMIN}
EXAMS_VIEW = {*CLINICAL, roles.LAB, roles.MANAGER, roles.ADMIN}
EXAMS_ORDER = {roles.DOCTOR, roles.TRIAGE_NURSE}
EXAMS_LAB = {roles.LAB}

# Namespaces and names that belong to third-party apps; they are checked by their own tests.
THIRD_PARTY_PREFIXES = ("admin:", "account_", "mfa_", "set_language", "javascript-catalog", "error-preview")


def only(allowed: set[str], ok: int = 200) -> dict[str, int]:
    """Allowed roles get ``ok``; other roles 403; anonymous users are sent to the login page."""
    return {ANON: 302, **{role: ok if role in allowed else 403 for role in ALL_ROLES}}


EVERYONE_SIGNED_IN = {ANON: 302, **dict.fromkeys(ALL_ROLES, 200)}

BOOKERS = {roles.RECEPTION, roles.TRIAGE_NURSE}
APPOINTMENT_VIEW = {roles.RECEPTION, *CLINICAL, roles.MANAGER, roles.ADMIN}
APPOINTMENT_CHANGE = {roles.RECEPTION, roles.DOCTOR}

# url name -> (path builder, {role: expected status})
TABLE: dict[str, tuple[Callable[[dict[str, Any]], str], dict[str, int]]] = {
    "home": (lambda o: "/", EVERYONE_SIGNED_IN),
    "health": (lambda o: "/health/", {ANON: 200, **dict.fromkeys(ALL_ROLES, 200)}),
    "clinic:list": (lambda o: "/clinics/", EVERYONE_SIGNED_IN),
    "clinic:detail": (lambda o: f"/clinics/{o['clinic'].pk}/", EVERYONE_SIGNED_IN),
    "patients:search": (lambda o: "/patients/?q=silva", only(PATIENT_VIEW)),
    "patients:create": (lambda o: "/patients/new/", only(REGISTRY_ADD)),
    "patients:detail": (lambda o: f"/patients/{o['patient'].pk}/", only(PATIENT_VIEW)),
    "patients:edit": (lambda o: f"/patients/{o['patient'].pk}/edit/", only(REGISTRY_EDIT)),
    "patients:status": (lambda o: f"/patients/{o['patient'].pk}/status/", only(CLINICAL, ok=405)),
    "patients:panel-history": (lambda o: f"/patients/{o['patient'].pk}/panels/history/", only(CLINICAL)),
    "patients:panel-documents": (lambda o: f"/patients/{o['patient'].pk}/panels/documents/", only(DOCUMENTS)),
    "patients:panel-status": (lambda o: f"/patients/{o['patient'].pk}/panels/status/", only(PATIENT_VIEW)),
    "patients:condition-create": (lambda o: f"/patients/{o['patient'].pk}/conditions/new/", only(CLINICAL)),
    "patients:condition-resolve": (
        lambda o: f"/patients/{o['patient'].pk}/conditions/{o['condition'].pk}/resolve/",
        only(CLINICAL, ok=405),
    ),
    "patients:medication-create": (lambda o: f"/patients/{o['patient'].pk}/medications/new/", only(CLINICAL)),
    "patients:medication-stop": (
        lambda o: f"/patients/{o['patient'].pk}/medications/{o['medication'].pk}/stop/",
        only(CLINICAL, ok=405),
    ),
    "patients:allergy-create": (lambda o: f"/patients/{o['patient'].pk}/allergies/new/", only(CLINICAL)),
    "patients:allergy-deactivate": (
        lambda o: f"/patients/{o['patient'].pk}/allergies/{o['allergy'].pk}/deactivate/",
        only(CLINICAL, ok=405),
    ),
    "patients:document-create": (lambda o: f"/patients/{o['patient'].pk}/documents/new/", only(DOCUMENTS)),
    "patients:document-download": (lambda o: f"/patients/documents/{o['document'].pk}/download/", only(DOCUMENTS)),
    "scheduling:book": (lambda o: "/scheduling/book/", only(BOOKERS)),
    "scheduling:book-confirm": (lambda o: "/scheduling/book/confirm/", only(BOOKERS, ok=302)),
    "scheduling:book-patients": (lambda o: "/scheduling/book/patients/?q=silva", only(BOOKERS)),
    "scheduling:appointment": (lambda o: f"/scheduling/appointments/{o['appointment'].pk}/", only(APPOINTMENT_VIEW)),
    "scheduling:appointment-reschedule": (
        lambda o: f"/scheduling/appointments/{o['appointment'].pk}/reschedule/",
        only(APPOINTMENT_CHANGE),
    ),
    "scheduling:appointment-step": (
        lambda o: f"/scheduling/appointments/{o['appointment'].pk}/step/confirm/",
        only(APPOINTMENT_CHANGE, ok=405),
    ),
    "scheduling:agenda": (lambda o: "/scheduling/agenda/", only(APPOINTMENT_VIEW)),
    "scheduling:clinic-day": (lambda o: f"/scheduling/day/?clinic={o['clinic'].pk}", only(APPOINTMENT_VIEW)),
    "scheduling:board": (lambda o: f"/scheduling/board/?clinic={o['clinic'].pk}", only(APPOINTMENT_VIEW)),
    "scheduling:waiting-list": (lambda o: "/scheduling/waiting-list/", only(WAITING_LIST_VIEW)),
    "scheduling:waiting-list-add": (
        lambda o: f"/scheduling/waiting-list/add/?patient={o['patient'].pk}",
        only(WAITING_LIST_ADD),
    ),
    "scheduling:waiting-list-remove": (
        lambda o: f"/scheduling/waiting-list/{o['waiting_entry'].pk}/remove/",
        only({roles.RECEPTION}, ok=405),
    ),
    "staff:rota": (lambda o: f"/staff/rota/?unit={o['care_unit'].pk}", only(ROTA_VIEW)),
    "staff:shift-add": (lambda o: f"/staff/rota/{o['care_unit'].pk}/shifts/new/", only(ROTA_EDIT, ok=405)),
    "staff:rota-copy": (lambda o: f"/staff/rota/{o['care_unit'].pk}/copy/", only(ROTA_EDIT, ok=405)),
    "staff:shift-remove": (lambda o: f"/staff/shifts/{o['shift'].pk}/remove/", only(ROTA_EDIT, ok=405)),
    "patients:icd10-search": (lambda o: "/patients/icd10/?q=asthma", EVERYONE_SIGNED_IN),
    "scheduling:consultation": (
        lambda o: f"/scheduling/appointments/{o['appointment'].pk}/consultation/",
        only(CLINICAL),
    ),
    "scheduling:consultation-start": (
        lambda o: f"/scheduling/appointments/{o['appointment'].pk}/consultation/start/",
        only({roles.DOCTOR}, ok=405),
    ),
    "scheduling:consultation-save": (
        lambda o: f"/scheduling/appointments/{o['appointment'].pk}/consultation/save/",
        only({roles.DOCTOR}, ok=405),
    ),
    "scheduling:consultation-finish": (
        lambda o: f"/scheduling/appointments/{o['appointment'].pk}/consultation/finish/",
        only({roles.DOCTOR}, ok=405),
    ),
    "scheduling:diagnosis-add": (
        lambda o: f"/scheduling/appointments/{o['appointment'].pk}/consultation/diagnoses/",
        only({roles.DOCTOR}, ok=405),
    ),
    "scheduling:diagnosis-remove": (
        lambda o: f"/scheduling/appointments/{o['appointment'].pk}/consultation/diagnoses/{o['diagnosis'].pk}/remove/",
        only({roles.DOCTOR}, ok=405),
    ),
    # Seeing a patient's appointments needs both: the appointments, and the patient.
    "scheduling:panel-appointments": (
        lambda o: f"/scheduling/patients/{o['patient'].pk}/panels/appointments/",
        only(APPOINTMENT_VIEW & PATIENT_VIEW),
    ),
    "messaging:outbox": (lambda o: "/messages/", only(OUTBOX_VIEW)),
    "messaging:detail": (lambda o: f"/messages/{o['message'].pk}/", only(OUTBOX_VIEW)),
    "beds:board": (lambda o: "/beds/", only(BEDS_VIEW)),
    "beds:bed": (lambda o: f"/beds/bed/{o['bed'].pk}/", only(BEDS_VIEW)),
    "beds:bed-clean": (lambda o: f"/beds/bed/{o['bed'].pk}/clean/", only(BEDS_RUN, ok=405)),
    "beds:bed-block": (lambda o: f"/beds/bed/{o['bed'].pk}/block/", only(BEDS_RUN, ok=405)),
    "beds:bed-unblock": (lambda o: f"/beds/bed/{o['bed'].pk}/unblock/", only(BEDS_RUN, ok=405)),
    "beds:bed-release": (lambda o: f"/beds/bed/{o['bed'].pk}/release/", only(BEDS_RUN, ok=405)),
    "beds:requests": (lambda o: "/beds/requests/", only(BEDS_VIEW)),
    "beds:request-create": (
        lambda o: f"/beds/requests/new/{o['patient'].pk}/",
        only(ADMISSION_REQUEST & PATIENT_VIEW),
    ),
    "beds:admission": (lambda o: f"/beds/admissions/{o['admission'].pk}/", only(BEDS_VIEW)),
    "beds:admit": (lambda o: f"/beds/admissions/{o['admission_request'].pk}/admit/", only(BEDS_RUN, ok=405)),
    "beds:reserve": (lambda o: f"/beds/admissions/{o['admission_request'].pk}/reserve/", only(BEDS_RUN, ok=405)),
    "beds:cancel": (lambda o: f"/beds/admissions/{o['admission_request'].pk}/cancel/", only(BEDS_RUN, ok=405)),
    "beds:transfer": (lambda o: f"/beds/admissions/{o['admission'].pk}/transfer/", only(BEDS_RUN)),
    "beds:discharge": (lambda o: f"/beds/admissions/{o['admission'].pk}/discharge/", only(BEDS_RUN)),
    # The chart's panel needs both: the admissions, and the patient.
    "beds:panel-admissions": (
        lambda o: f"/beds/patients/{o['patient'].pk}/panel/",
        only(BEDS_VIEW & PATIENT_VIEW),
    ),
    "beds:setup": (lambda o: f"/beds/setup/?clinic={o['clinic'].pk}", only(BEDS_SETUP)),
    "beds:ward-create": (lambda o: f"/beds/setup/wards/new/?clinic={o['clinic'].pk}", only(BEDS_SETUP)),
    "beds:ward-setup": (lambda o: f"/beds/setup/wards/{o['bed'].room.ward.pk}/", only(BEDS_SETUP)),
    "beds:ward-edit": (lambda o: f"/beds/setup/wards/{o['bed'].room.ward.pk}/edit/", only(BEDS_SETUP)),
    "beds:room-create": (
        lambda o: f"/beds/setup/wards/{o['bed'].room.ward.pk}/rooms/new/",
        only(BEDS_SETUP, ok=405),
    ),
    "beds:room-edit": (lambda o: f"/beds/setup/rooms/{o['bed'].room.pk}/edit/", only(BEDS_SETUP)),
    "beds:beds-add": (lambda o: f"/beds/setup/rooms/{o['bed'].room.pk}/beds/new/", only(BEDS_SETUP, ok=405)),
    "beds:bed-edit": (lambda o: f"/beds/setup/beds/{o['bed'].pk}/edit/", only(BEDS_SETUP)),
    "beds:bed-retire": (lambda o: f"/beds/setup/beds/{o['bed'].pk}/retire/", only(BEDS_SETUP, ok=405)),
    "triage:queue": (lambda o: f"/triage/?clinic={o['clinic'].pk}", only(TRIAGE_VIEW)),
    "triage:arrive": (lambda o: "/triage/arrive/?q=silva", only(TRIAGE_ARRIVE)),
    "triage:doctor-queue": (lambda o: "/triage/doctor/", only({roles.DOCTOR})),
    "triage:visit": (lambda o: f"/triage/visits/{o['visit'].pk}/", only({*CLINICAL, roles.ADMIN})),
    "triage:start": (lambda o: f"/triage/visits/{o['visit'].pk}/start/", only(TRIAGE_CLASSIFY, ok=405)),
    "triage:assess": (lambda o: f"/triage/visits/{o['visit'].pk}/assess/", only(TRIAGE_CLASSIFY)),
    "triage:suggest": (lambda o: f"/triage/visits/{o['visit'].pk}/suggest/", only(TRIAGE_CLASSIFY, ok=405)),
    "triage:route": (lambda o: f"/triage/visits/{o['visit'].pk}/route/", only(TRIAGE_CLASSIFY)),
    "triage:left": (lambda o: f"/triage/visits/{o['visit'].pk}/left/", only(TRIAGE_CLASSIFY, ok=405)),
    # Vital signs are clinical: reception sees the queue, not the measurements.
    "triage:panel-vitals": (
        lambda o: f"/triage/patients/{o['patient'].pk}/panels/vitals/",
        only({*CLINICAL, roles.ADMIN}),
    ),
    "exams:worklist": (lambda o: "/exams/worklist/", only(EXAMS_LAB)),
    "exams:orders": (lambda o: "/exams/orders/", only(EXAMS_VIEW)),
    "exams:order": (lambda o: f"/exams/orders/{o['order'].pk}/", only(EXAMS_VIEW)),
    "exams:order-create": (lambda o: f"/exams/orders/new/{o['patient'].pk}/", only(EXAMS_ORDER)),
    "exams:order-schedule": (lambda o: f"/exams/orders/{o['scan_order'].pk}/schedule/", only(EXAMS_ORDER | EXAMS_LAB)),
    "exams:order-collect": (lambda o: f"/exams/orders/{o['order'].pk}/collect/", only(EXAMS_LAB, ok=405)),
    "exams:order-results": (lambda o: f"/exams/orders/{o['order'].pk}/results/", only(EXAMS_LAB)),
    "exams:order-release": (lambda o: f"/exams/orders/{o['order'].pk}/release/", only(EXAMS_LAB, ok=405)),
    "exams:order-cancel": (lambda o: f"/exams/orders/{o['order'].pk}/cancel/", only(EXAMS_ORDER | EXAMS_LAB, ok=405)),
    # The result is not released yet: only the lab sees its files; to the others it does not exist.
    "exams:attachment": (
        lambda o: f"/exams/attachments/{o['attachment'].pk}/",
        {**only(EXAMS_LAB), **dict.fromkeys(EXAMS_VIEW - EXAMS_LAB, 404)},
    ),
    "exams:panel-results": (lambda o: f"/exams/patients/{o['patient'].pk}/panel/", only(EXAMS_VIEW & PATIENT_VIEW)),
    "exams:panel-consultation": (
        lambda o: f"/exams/consultations/{o['appointment'].pk}/panel/",
        only(CLINICAL),
    ),
    "exams:panel-admission": (
        lambda o: f"/exams/admissions/{o['admission'].pk}/panel/",
        only(EXAMS_VIEW & BEDS_VIEW),
    ),
    "messaging:notifications": (lambda o: "/messages/notifications/", EVERYONE_SIGNED_IN),
    # Polled by every page: once the session has ended it answers 204, not a redirect into the top bar.
    "messaging:notification-bell": (lambda o: "/messages/notifications/bell/", {**EVERYONE_SIGNED_IN, ANON: 204}),
    "messaging:notifications-read-all": (
        lambda o: "/messages/notifications/read-all/",
        {ANON: 302, **dict.fromkeys(ALL_ROLES, 405)},
    ),
    "messaging:notification-open": (
        lambda o: f"/messages/notifications/{o['notification'].pk}/open/",
        {ANON: 302, **dict.fromkeys(ALL_ROLES, 405)},
    ),
    "reports:occupancy": (lambda o: "/reports/occupancy/", only(REPORTS)),
    "reports:occupancy-download": (
        lambda o: f"/reports/occupancy/download/csv/?start=2026-03-01&end=2026-03-03&clinic={o['clinic'].pk}",
        only(REPORTS),
    ),
    # The patient's signed link: no account needed, so everyone gets the page.
    "public:appointment-link": (lambda o: f"/r/{o['link_token']}/", {ANON: 200, **dict.fromkeys(ALL_ROLES, 200)}),
}


def _url_names(resolver: URLResolver, namespace: str = "") -> list[str]:
    names = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names += _url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.append(f"{namespace}{pattern.name}")
    return names


def test_every_url_has_a_row() -> None:
    ours = {name for name in _url_names(get_resolver()) if not name.startswith(THIRD_PARTY_PREFIXES)}
    assert ours - set(TABLE) == set(), "add these URLs to the permission table"
    assert set(TABLE) - ours == set(), "these rows name URLs that no longer exist"


def _appointment(clinic: Clinic, patient: Patient, author: User) -> Appointment:
    """An appointment next Monday at 09:00 in ``clinic``."""
    room = RoomFactory(floor__clinic=clinic, kind=Room.Kind.CONSULTING)
    practitioner = PractitionerFactory()
    specialty = SpecialtyFactory()
    PractitionerSpecialty.objects.create(practitioner=practitioner, specialty=specialty, duration=30)
    WorkingHours.objects.create(
        practitioner=practitioner,
        clinic=clinic,
        room=room,
        weekday=0,
        start_time=time(8),
        end_time=time(12),
        valid_from=date(2026, 1, 1),
    )
    zone = ZoneInfo(clinic.time_zone)
    today = datetime.now(tz=zone).date()
    monday = today + timedelta(days=7 - today.weekday())
    return appointment_book(
        patient=patient,
        practitioner=practitioner,
        specialty=specialty,
        starts_at=datetime.combine(monday, time(9), tzinfo=zone),
        by=author,
    )


@pytest.fixture
def objects(db: None, clinic: Clinic) -> dict[str, Any]:
    author = User.objects.create(username="author")
    patient = make_patient(by=author)
    document = services.document_upload(
        patient=patient,
        uploaded=SimpleUploadedFile("x.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"),
        kind="exam",
        title="Hemograma",
        by=author,
    )
    care_unit = CareUnit.objects.create(clinic=clinic, name="Enfermaria", kind=CareUnit.Kind.WARD)
    appointment = _appointment(clinic, patient, author)
    room = WardRoomFactory(ward=WardFactory(floor__clinic=clinic, clinic=clinic))
    bed = BedFactory(room=room)
    admission = make_request(clinic=clinic, by=author)
    admission_admit(admission=admission, bed=BedFactory(room=room), by=author)
    CareUnitFactory(clinic=clinic, kind=CareUnit.Kind.LABORATORY)
    CareUnitFactory(clinic=clinic, kind=CareUnit.Kind.IMAGING)
    order = order_create(patient=patient, exam=make_blood_count(), clinic=clinic, by=author)
    scan = ExamFactory(kind=ExamKind.IMAGING, specimen="", needs_scheduling=True, specialty=SpecialtyFactory())
    visit = visit_arrive(clinic=clinic, patient=make_patient(by=author), by=author)
    assessment_record(visit=visit, by=author, complaint="Dor torácica", vitals={"spo2": 88}, signs=[])
    return {
        "visit": visit,
        "order": order,
        "scan_order": order_create(patient=patient, exam=scan, clinic=clinic, by=author),
        "attachment": attachment_add(
            order=order_collect(order=order, by=author),
            uploaded=SimpleUploadedFile("laudo.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"),
            by=author,
        ),
        "notification": notify(
            recipient=author, title="Resultado liberado", purpose="test", dedupe_key="permissions-notification"
        ),
        "bed": bed,
        "admission": admission,
        "admission_request": make_request(clinic=clinic, by=author),
        "clinic": clinic,
        "patient": patient,
        "appointment": appointment,
        "document": document,
        "condition": Condition.objects.create(patient=patient, icd10_code="I10", description="Hipertensão"),
        "medication": Medication.objects.create(patient=patient, name="Losartana", dose="50 mg", frequency="1x"),
        "allergy": Allergy.objects.create(patient=patient, substance="Dipirona", severity="mild"),
        "care_unit": care_unit,
        "shift": Shift.objects.create(
            user=author,
            unit=care_unit,
            starts_at=datetime(2026, 3, 9, 19, tzinfo=ZoneInfo(clinic.time_zone)),
            ends_at=datetime(2026, 3, 10, 7, tzinfo=ZoneInfo(clinic.time_zone)),
            function=ShiftFunction.NURSE,
        ),
        "waiting_entry": WaitingListEntry.objects.create(patient=patient, specialty=SpecialtyFactory()),
        "message": message_enqueue(
            channel="sms",
            to="+5511987654321",
            body="Lembrete",
            purpose="test",
            dedupe_key="permissions",
            clinic=clinic,
            send_after=timezone.now() + timedelta(hours=1),
        ),
        "link_token": link_create(appointment),
        "diagnosis": Diagnosis.objects.create(
            consultation=Consultation.objects.create(appointment=appointment),
            icd10_code="J45.0",
            description="Predominantly allergic asthma",
            primary=True,
        ),
    }


@pytest.fixture
def role_clients(
    objects: dict[str, Any], make_user: Callable[..., User], client_for: Callable[[User], Client]
) -> dict[str, Client]:
    clients = {ANON: Client()}
    for role in ALL_ROLES:
        user = make_user(role, is_staff=role == roles.ADMIN)
        if role == roles.ADMIN:
            TOTP.activate(user, generate_totp_secret())
        clients[role] = client_for(user)
    return clients


@pytest.mark.parametrize("url_name", sorted(TABLE))
def test_url_answers_each_role_as_the_table_says(
    url_name: str, objects: dict[str, Any], role_clients: dict[str, Client]
) -> None:
    build, expected = TABLE[url_name]
    path = build(objects)
    answers = {role: role_clients[role].get(path).status_code for role in expected}
    assert answers == expected, str(answers)


def test_anonymous_is_sent_to_login(objects: dict[str, Any], role_clients: dict[str, Client]) -> None:
    response = role_clients[ANON].get(f"/patients/{objects['patient'].pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


def test_forbidden_page_is_in_the_site_look(objects: dict[str, Any], role_clients: dict[str, Client]) -> None:
    response = role_clients[roles.MANAGER].get(f"/patients/{objects['patient'].pk}/")
    assert response.status_code == 403
    assert "navbar" in response.content.decode()
