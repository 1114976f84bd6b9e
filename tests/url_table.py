"""Every URL of the site and what each role gets from it: the table that the permission test
(tests/test_permissions.py) and the page walks (tests/test_portuguese_pages.py) go through.

Each row builds its path from the objects of ``tests.factories.world.build_world``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from staff import roles

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
    # The consultation page's triage card: those who read both consultations and assessments.
    "triage:panel-consultation": (
        lambda o: f"/triage/consultations/{o['appointment'].pk}/panel/",
        only(CLINICAL),
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
