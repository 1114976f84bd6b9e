"""Reads of the consultation page and of the appointments panel on the patient's chart."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import F, Q, QuerySet
from django.utils import timezone

from clinic.access import in_chart, in_clinics_or_404, one_or_404, require, works_in
from patients.models import Condition, Medication, Patient
from scheduling.models import Appointment, AppointmentStatus, Consultation, Diagnosis
from staff.models import User

# Lines of each list of the panel before "show more".
PANEL_PAGE = 10
# Earlier consultations shown beside the one being recorded.
RECENT_CONSULTATIONS = 5
CONSULTATION_STATUSES = (AppointmentStatus.WAITING, AppointmentStatus.IN_PROGRESS, AppointmentStatus.FINISHED)
_DONE = (AppointmentStatus.FINISHED, AppointmentStatus.NO_SHOW)
_UNDER_WAY = (AppointmentStatus.WAITING, AppointmentStatus.IN_PROGRESS)


def appointment_for_consultation(user: User, pk: int) -> Appointment:
    """The appointment ``pk``, with what its consultation page shows, if ``user`` sees consultations of its clinic."""
    require(user, "scheduling.view_consultation")
    appointments = Appointment.objects.select_related("patient", "practitioner__user", "specialty", "clinic", "room")
    return in_clinics_or_404(appointments, user, pk)


def diagnosis_of(appointment: Appointment, pk: int) -> Diagnosis:
    """A diagnosis of the appointment's consultation (fetched with ``appointment_for_consultation``), or 404."""
    return one_or_404(Diagnosis.objects.filter(consultation__appointment=appointment), pk)


def consultation_of(appointment: Appointment) -> Consultation | None:
    return Consultation.objects.filter(appointment=appointment).select_related("recorded_by").first()


def consultation_diagnoses(consultation: Consultation | None) -> list[Diagnosis]:
    if consultation is None:
        return []
    return list(consultation.diagnoses.select_related("recorded_by"))


@dataclass
class PastConsultation:
    appointment: Appointment
    diagnoses: list[Diagnosis] = field(default_factory=list)
    opens: bool = True  # its page is in one of the reader's clinics


@dataclass
class RecentHistory:
    conditions: list[Condition]
    medications: list[Medication]
    consultations: list[PastConsultation]


def patient_recent_history(*, user: User, appointment: Appointment) -> RecentHistory:
    """What the doctor reads before and during the consultation: active conditions, medications in
    use, and the patient's last finished consultations (the chart's, across the network for clinical
    roles: clinic/access.py) with their diagnoses."""
    patient = appointment.patient
    earlier = list(
        _listed(in_chart(Appointment.objects.filter(patient=patient), user))
        .filter(status=AppointmentStatus.FINISHED)
        .exclude(pk=appointment.pk)
        .order_by("-starts_at", "-id")[:RECENT_CONSULTATIONS]
    )
    diagnoses = _diagnoses_by_appointment([a.pk for a in earlier])
    return RecentHistory(
        conditions=list(patient.conditions.filter(status=Condition.Status.ACTIVE).order_by("-recorded_at")),
        medications=list(patient.medications.filter(active=True).order_by("-recorded_at")),
        consultations=[PastConsultation(a, diagnoses.get(a.pk, []), works_in(user, a.clinic_id)) for a in earlier],
    )


# The appointments panel -------------------------------------------------------------------------


@dataclass
class PanelLine:
    appointment: Appointment
    diagnoses: list[Diagnosis]
    # Another clinic's appointment is part of the chart, but its pages are that clinic's.
    opens: bool = True

    @property
    def has_consultation_page(self) -> bool:
        """Checked in, under way or finished: the doctor's page is where it is (or was) recorded."""
        return self.appointment.status in CONSULTATION_STATUSES


@dataclass
class PanelList:
    lines: list[PanelLine]
    more: bool
    next_offset: int


def _listed(appointments: QuerySet[Appointment]) -> QuerySet[Appointment]:
    return appointments.select_related("practitioner__user", "specialty", "clinic").only(
        "starts_at",
        "ends_at",
        "status",
        "patient_id",
        "clinic__name",
        "clinic__time_zone",
        "specialty__name",
        "practitioner__council",
        "practitioner__council_uf",
        "practitioner__council_number",
        "practitioner__user__first_name",
        "practitioner__user__last_name",
        "practitioner__user__username",
    )


def _diagnoses_by_appointment(appointment_ids: list[int]) -> dict[int, list[Diagnosis]]:
    found: dict[int, list[Diagnosis]] = defaultdict(list)
    if not appointment_ids:
        return found
    for diagnosis in Diagnosis.objects.filter(consultation__appointment_id__in=appointment_ids).annotate(
        appointment_pk=F("consultation__appointment_id")
    ):
        found[diagnosis.appointment_pk].append(diagnosis)  # type: ignore[attr-defined]
    return found


def patient_appointments(
    *,
    user: User,
    patient: Patient,
    upcoming: bool,
    offset: int = 0,
    limit: int = PANEL_PAGE,
    now: datetime | None = None,
) -> PanelList:
    """One page of the patient's appointments as the chart shows them to ``user`` (every clinic's to
    clinical roles, their own clinics' to others: clinic/access.py): those to come or under way
    (soonest first; cancelled ones too, marked so), or the past ones (latest first). Finished ones
    carry their diagnoses when the user may see consultations. At most two queries, whatever the
    number of appointments.
    """
    now = now or timezone.now()
    appointments = _listed(in_chart(Appointment.objects.filter(patient=patient), user))
    # A consultation finished before its booked end is past; one running late is still current.
    to_come = (Q(ends_at__gt=now) & ~Q(status__in=_DONE)) | Q(status__in=_UNDER_WAY)
    if upcoming:
        appointments = appointments.filter(to_come).order_by("starts_at", "id")
    else:
        appointments = appointments.exclude(to_come).order_by("-starts_at", "-id")
    page = list(appointments[offset : offset + limit + 1])
    more, page = len(page) > limit, page[:limit]
    diagnoses: dict[int, list[Diagnosis]] = {}
    if user.has_perm("scheduling.view_consultation"):
        diagnoses = _diagnoses_by_appointment([a.pk for a in page if a.status == AppointmentStatus.FINISHED])
    return PanelList(
        lines=[PanelLine(a, diagnoses.get(a.pk, []), opens=works_in(user, a.clinic_id)) for a in page],
        more=more,
        next_offset=offset + len(page),
    )
