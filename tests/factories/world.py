"""One of every object a page names, in one clinic: the world the permission table and the
cross-clinic tests walk (``build_world`` twice gives two clinics of one network)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from beds.services import admission_admit
from clinic.models import Clinic, Room
from exams.models import Exam, ExamKind
from exams.services import attachment_add, order_collect, order_create
from messaging.services import message_enqueue, notify
from patients import services
from patients.models import Allergy, Condition, Medication, Patient
from scheduling.links import link_create
from scheduling.models import Appointment, Consultation, Diagnosis, WaitingListEntry
from scheduling.services import appointment_book
from staff.models import CareUnit, PractitionerSpecialty, Shift, ShiftFunction, User, WorkingHours
from tests.factories import (
    BedFactory,
    CareUnitFactory,
    ExamFactory,
    PractitionerFactory,
    RoomFactory,
    SpecialtyFactory,
    UserFactory,
    WardFactory,
    WardRoomFactory,
    make_blood_count,
    make_patient,
    make_request,
    pdf_bytes,
)
from triage.services import assessment_record, visit_arrive


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


def build_world(clinic: Clinic) -> dict[str, Any]:
    """One of every object a URL names, in ``clinic``, made by a member of its staff."""
    author = UserFactory(username=f"author-{clinic.pk}", clinics=[clinic])
    patient = make_patient(by=author)
    document = services.document_upload(
        patient=patient, uploaded=SimpleUploadedFile("x.pdf", pdf_bytes()), kind="exam", title="Hemograma", by=author
    )
    care_unit = CareUnit.objects.create(clinic=clinic, name=f"Enfermaria {clinic.code}", kind=CareUnit.Kind.WARD)
    appointment = _appointment(clinic, patient, author)
    room = WardRoomFactory(ward=WardFactory(floor__clinic=clinic, clinic=clinic))
    bed = BedFactory(room=room)
    admission = make_request(clinic=clinic, by=author)
    admission_admit(admission=admission, bed=BedFactory(room=room), by=author)
    CareUnitFactory(clinic=clinic, kind=CareUnit.Kind.LABORATORY)
    CareUnitFactory(clinic=clinic, kind=CareUnit.Kind.IMAGING)
    blood_count = Exam.objects.filter(code="40304361").first() or make_blood_count()  # one catalog, two worlds
    order = order_create(patient=patient, exam=blood_count, clinic=clinic, by=author)
    scan = ExamFactory(kind=ExamKind.IMAGING, specimen="", needs_scheduling=True, specialty=SpecialtyFactory())
    visit = visit_arrive(clinic=clinic, patient=make_patient(by=author), by=author)
    assessment_record(visit=visit, by=author, complaint="Dor torácica", vitals={"spo2": 88}, signs=[])
    return {
        "author": author,
        "visit": visit,
        "order": order,
        "scan_order": order_create(patient=patient, exam=scan, clinic=clinic, by=author),
        "attachment": attachment_add(
            order=order_collect(order=order, by=author),
            uploaded=SimpleUploadedFile("laudo.pdf", pdf_bytes()),
            by=author,
        ),
        "notification": notify(
            recipient=author, title="Resultado liberado", purpose="test", dedupe_key=f"notification-{clinic.pk}"
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
        "waiting_entry": WaitingListEntry.objects.create(patient=patient, specialty=SpecialtyFactory(), clinic=clinic),
        "message": message_enqueue(
            channel="sms",
            to="+5511987654321",
            body="Lembrete",
            purpose="test",
            dedupe_key=f"permissions-{clinic.pk}",
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
