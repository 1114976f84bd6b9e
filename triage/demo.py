"""Demo emergency: physicians on duty, a year of walk-ins, and each hospital's door as it is now.

What it loads:
- four emergency physicians per clinic (``ps.<clinic>.<n>``, Clínica médica) on a 12x36 rota in the
  clinic's emergency unit from yesterday to a week ahead, day shifts 07-19 and nights 19-07; and
  "medico" on duty in SP-PAU's emergency now (a shift that covers the moment the demo runs);
- a year of closed visits in every clinic (a few hundred each, more in the hospitals), some patients
  coming back several times so their charts show series of vital signs. Each visit has its
  assessment (a re-triage now and then) with vital signs that fit the complaint and the colour the
  rules suggest (``triage.rules``), the nurse overriding it now and then with a reason; then the
  urgent consultation with the doctor on duty (its appointment and steps), exams (released
  results, through ``exams.demo``'s ledger), a discharge from the door, or leaving unseen. The
  admission requests the beds demo made from triage get the visit they came from;
- today's queue of each hospital through the triage services themselves: 9 to 13 walk-ins, some
  waiting for triage (one just registered without documents), the others classified in every
  colour, some past their colour's target time, the red one and an orange one routed to the doctor
  on duty and waiting for them; in SP-PAU also one sent for exams and one for a bed earlier today.

The year is written in bulk (COPY) with the rows the services write, at their own times: through
the services it would take minutes, and ``make run`` loads this for a newcomer. The patients'
status changes of those old consultations are not written (the scheduling demo does the same).

Runs once: with visits in the database, only the rota and the physician on duty are checked.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from datetime import time as clock
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from beds.models import OPEN_ADMISSION, Admission, AdmissionSource, Priority, WardKind
from clinic.demo import Output
from clinic.models import Clinic, Room
from exams import demo as exams_demo
from exams.catalog import RADIOLOGY, ULTRASOUND
from exams.models import Exam, ExamKind, OrderOrigin, OrderPriority
from patients.models import Patient, PatientStatus, RiskColour
from scheduling.models import Appointment, AppointmentEvent, AppointmentStatus
from staff import roles
from staff.demo import DEMO_PASSWORD
from staff.models import CareUnit, Practitioner, PractitionerSpecialty, Shift, ShiftFunction, Specialty, User
from triage import rules, selectors, services
from triage.models import RISK_RANK, Assessment, Destination, Visit, VisitStatus

SEED = 2027
HISTORY_DAYS = 365
HOSPITALS = exams_demo.HOSPITALS
VISITS_PER_HOSPITAL = 400
VISITS_PER_CLINIC = 120
# A visit in this many comes from a regular (a patient who comes back several times in the year).
REGULARS_SHARE = 0.3
ER_DOCTORS = 4
ER_SPECIALTY = "clinica-medica"
ROTA_DAYS = range(-1, 8)  # from yesterday to a week ahead
DAY_SHIFT, NIGHT_SHIFT = 7, 19
ON_DUTY_LOGIN, ON_DUTY_CLINIC = "medico", "SP-PAU"
NURSE_LOGIN = "triagem"
RED, ORANGE, YELLOW, GREEN, BLUE = RiskColour.values


# What brings people to the door ----------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """A reason for coming: the patient's words, the nurse's, the vital signs and signs that go with it."""

    arrival: str
    complaint: str
    vitals: dict[str, tuple[float, float]] = field(default_factory=dict)  # ranges replacing the normal ones
    signs: tuple[str, ...] = ()
    exams: tuple[str, ...] = ()  # what the nurse asks for when she sends the walk-in for exams


HEMOGRAMA, PCR, EAS, TROPONINA, GASOMETRIA = "40304361", "40308391", "40311210", "40302571", "40302016"
RX_TORAX, ECG, GLICOSE = "40805026", "40101010", "40302040"

SCENARIOS: dict[str, list[Scenario]] = {
    RED: [
        Scenario(
            "Desmaiou e está muito pálido",
            "Síncope com hipotensão e sudorese fria",
            {"systolic": (55, 68), "diastolic": (30, 40), "heart_rate": (125, 145)},
            ("shock",),
            (HEMOGRAMA, GASOMETRIA, ECG),
        ),
        Scenario("Está se debatendo e não responde", "Crise convulsiva em curso", {"glasgow": (6, 8)}, ("seizing",)),
        Scenario(
            "Muita falta de ar, não consegue falar",
            "Insuficiência respiratória com uso de musculatura acessória",
            {"spo2": (78, 84), "respiratory_rate": (32, 40)},
            ("breathing",),
            (GASOMETRIA, RX_TORAX),
        ),
    ],
    ORANGE: [
        Scenario(
            "Dor no peito em aperto que vai para o braço",
            "Dor torácica típica há 1 hora",
            {"pain": (6, 7)},
            ("cardiac_pain",),
            (TROPONINA, ECG, HEMOGRAMA),
        ),
        Scenario(
            "Falta de ar desde a madrugada",
            "Dispneia com dessaturação",
            {"spo2": (86, 89), "respiratory_rate": (24, 28)},
            (),
            (GASOMETRIA, RX_TORAX, HEMOGRAMA),
        ),
        Scenario(
            "A boca entortou e o braço ficou fraco",
            "Déficit motor à direita, início há 2 horas",
            {"systolic": (150, 175)},
            ("neuro_deficit",),
            (GLICOSE, HEMOGRAMA),
        ),
        Scenario("Dor muito forte na barriga", "Dor abdominal intensa", {"pain": (8, 10)}, (), (HEMOGRAMA, PCR, EAS)),
    ],
    YELLOW: [
        Scenario("Dor na barriga desde ontem", "Dor abdominal moderada", {"pain": (5, 7)}, (), (HEMOGRAMA, PCR, EAS)),
        Scenario(
            "Febre há três dias",
            "Febre e prostração",
            {"temperature": (39.0, 39.8), "heart_rate": (100, 115)},
            (),
            (HEMOGRAMA, PCR),
        ),
        Scenario(
            "Pressão alta e dor de cabeça", "Cefaleia com pressão elevada", {"systolic": (182, 205), "pain": (3, 4)}
        ),
        Scenario("Chiado no peito", "Crise de asma", {"spo2": (91, 93), "respiratory_rate": (22, 26)}, (), (RX_TORAX,)),
        Scenario("Vomitou sangue hoje cedo", "Hematêmese", {}, ("vomiting_blood",), (HEMOGRAMA,)),
    ],
    GREEN: [
        Scenario(
            "Dor de garganta",
            "Odinofagia há 2 dias",
            {"pain": (2, 4), "temperature": (37.2, 37.9)},
            ("recent_problem",),
        ),
        Scenario("Dor nas costas", "Lombalgia após esforço", {"pain": (3, 4)}, ("recent_problem",)),
        Scenario("Torci o pé jogando bola", "Entorse de tornozelo", {"pain": (3, 4)}, ("recent_problem",)),
        Scenario(
            "Tosse e nariz escorrendo",
            "Sintomas gripais",
            {"temperature": (37.0, 37.6), "pain": (1, 2)},
            ("recent_problem",),
        ),
        Scenario("Ardência para urinar", "Disúria há 2 dias", {"pain": (2, 3)}, ("recent_problem",), (EAS,)),
    ],
    BLUE: [
        Scenario("Vim renovar a receita", "Renovação de receita de uso contínuo", {"pain": (0, 0)}),
        Scenario("Vim trocar o curativo", "Troca de curativo", {"pain": (0, 0)}),
        Scenario("Quero mostrar um exame", "Mostrar resultado de exame", {"pain": (0, 0)}),
    ],
}
# Of a hundred walk-ins, how many of each colour (Brazilian emergency rooms).
COLOUR_WEIGHTS = {RED: 2, ORANGE: 9, YELLOW: 30, GREEN: 44, BLUE: 15}
# An adult's usual vital signs: nothing here makes a rule suggest a colour.
NORMAL = {
    "systolic": (105, 139),
    "diastolic": (65, 88),
    "heart_rate": (62, 98),
    "respiratory_rate": (14, 19),
    "temperature": (36.0, 37.3),
    "spo2": (95, 99),
    "pain": (0, 0),
    "glasgow": (15, 15),
}
OVERRIDES = {
    "up": "Paciente idoso com comorbidades e piora referida: prioridade clínica",
    "down": "Queixa crônica, sem sinais de alarme ao exame",
}
DISCHARGE_ADVICE = [
    "Orientado(a) sobre sinais de alarme; procurar a UBS para acompanhamento.",
    "Receita renovada pela equipe; retorno ambulatorial agendado.",
    "Curativo realizado; retornar em 48 horas.",
]
LEFT_NOTES = ["Não respondeu ao chamado", "Informou que iria embora", ""]


def vitals_for(rng: random.Random, scenario: Scenario, *, glucose: bool = False) -> dict[str, int | Decimal | None]:
    """Vital signs for ``scenario``: its own ranges where it has them, an adult's usual ones elsewhere."""
    ranges = {**NORMAL, **scenario.vitals}
    vitals: dict[str, int | Decimal | None] = {name: None for name in rules.VITAL_FIELDS}
    for name, (low, high) in ranges.items():
        if name == "temperature":
            vitals[name] = Decimal(str(round(rng.uniform(low, high), 1)))
        else:
            vitals[name] = rng.randint(int(low), int(high))
    systolic, diastolic = vitals["systolic"], vitals["diastolic"]
    assert systolic is not None and diastolic is not None
    vitals["diastolic"] = min(int(diastolic), int(systolic) - 25)
    if glucose:
        vitals["glucose"] = rng.randint(80, 160)
    return vitals


def classify(
    rng: random.Random, colour: str, *, glucose: bool = False
) -> tuple[Scenario, dict[str, Any], list[str], str]:
    """A scenario of ``colour``, its vital signs and signs, and the colour the rules suggest for them."""
    scenario = rng.choice(SCENARIOS[colour])
    vitals = vitals_for(rng, scenario, glucose=glucose)
    signs = list(scenario.signs)
    suggested, _reasons = rules.suggest(vitals, signs)
    return scenario, vitals, signs, suggested


def _nurse_colour(rng: random.Random, suggested: str) -> tuple[str, str]:
    """Mostly the suggestion; now and then one colour more or less urgent, with the nurse's reason."""
    rank = RISK_RANK[suggested]
    if rng.random() < 0.05 and rank > 0:
        return RiskColour.values[rank - 1], OVERRIDES["up"]
    if rng.random() < 0.03 and rank < len(RiskColour.values) - 1:
        return RiskColour.values[rank + 1], OVERRIDES["down"]
    return suggested, ""


# Physicians on duty -----------------------------------------------------------------------------


_ER_NAMES = ["Alice", "Bernardo", "Cecília", "Diego", "Elaine", "Fábio", "Giovana", "Hugo", "Íris", "Jonas", "Kátia"]


def ensure_er_doctors(clinics: list[Clinic]) -> dict[int, list[Practitioner]]:
    """Four emergency physicians per clinic (``ps.<clinic>.<n>``), created where missing."""
    specialty = Specialty.objects.get(code=ER_SPECIALTY)
    group = Group.objects.get(name=roles.DOCTOR)
    wanted = [(clinic, n) for clinic in clinics for n in range(1, ER_DOCTORS + 1)]
    found = {
        p.user.username: p
        for p in Practitioner.objects.filter(
            user__username__in=[f"ps.{c.code.lower()}.{n}" for c, n in wanted]
        ).select_related("user")
    }
    password = make_password(DEMO_PASSWORD) if len(found) < len(wanted) else ""
    doctors: dict[int, list[Practitioner]] = defaultdict(list)
    for index, (clinic, number) in enumerate(wanted):
        username = f"ps.{clinic.code.lower()}.{number}"
        practitioner = found.get(username)
        if practitioner is None:
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": _ER_NAMES[index % len(_ER_NAMES)],
                    "last_name": f"Plantonista {clinic.code}",
                    "email": f"{username}@clinica.localhost",
                    "password": password,
                },
            )
            if created:
                user.groups.add(group)
                user.clinics.add(clinic)
            practitioner = Practitioner.objects.create(
                user=user, council="CRM", council_number=f"{500000 + index}", council_uf=clinic.uf
            )
            PractitionerSpecialty.objects.create(practitioner=practitioner, specialty=specialty)
        doctors[clinic.pk].append(practitioner)
    return dict(doctors)


def on_duty(doctors: list[Practitioner], at: datetime, zone: tzinfo) -> Practitioner:
    """Who the 12x36 rota has on duty at ``at``: day shifts 07-19 and nights 19-07, each doctor every other day."""
    local = timezone.localtime(at, zone)
    shift_day = local.date() - timedelta(days=1) if local.hour < DAY_SHIFT else local.date()
    night = not DAY_SHIFT <= local.hour < NIGHT_SHIFT
    return doctors[2 * night + shift_day.toordinal() % 2]


def ensure_rota(clinics: list[Clinic], doctors: dict[int, list[Practitioner]], emergency: dict[int, CareUnit]) -> int:
    """The physicians' shifts in each emergency unit from yesterday to a week ahead; the missing ones are added."""
    manager = User.objects.filter(username="gestor").first()
    today = timezone.localdate()
    first = datetime.combine(
        today + timedelta(days=ROTA_DAYS.start - 1), clock.min, tzinfo=timezone.get_current_timezone()
    )
    taken = set(
        Shift.objects.filter(
            function=ShiftFunction.PHYSICIAN, unit__in=list(emergency.values()), starts_at__gte=first
        ).values_list("unit_id", "starts_at")
    )
    shifts = []
    for clinic in clinics:
        unit = emergency.get(clinic.pk)
        if unit is None:
            continue
        for offset in ROTA_DAYS:
            day = timezone.localdate(timezone=clinic.zone) + timedelta(days=offset)
            for hour in (DAY_SHIFT, NIGHT_SHIFT):
                starts_at = datetime.combine(day, clock(hour), tzinfo=clinic.zone)
                if (unit.pk, starts_at) in taken:
                    continue
                doctor = on_duty(doctors[clinic.pk], starts_at, clinic.zone)
                shifts.append(
                    Shift(
                        user_id=doctor.user_id,
                        unit=unit,
                        starts_at=starts_at,
                        ends_at=starts_at + timedelta(hours=12),
                        function=ShiftFunction.PHYSICIAN,
                        created_by=manager,
                    )
                )
    bulk_create_with_history(shifts, Shift, default_user=manager)
    return len(shifts)


def ensure_on_duty_now(clinic: Clinic, unit: CareUnit, user: User, now: datetime) -> Shift | None:
    """A physician's shift of ``user`` in ``unit`` that covers ``now``, added if none does.

    It starts on the hour before ``now`` (or when their last shift ended) and lasts twelve hours,
    or until their next shift: one person's shifts never overlap.
    """
    shifts = Shift.objects.filter(
        user=user, ends_at__gt=now - timedelta(hours=24), starts_at__lt=now + timedelta(hours=24)
    )
    if shifts.filter(unit=unit, starts_at__lte=now, ends_at__gt=now).exists():
        return None
    if shifts.filter(starts_at__lte=now, ends_at__gt=now).exists():
        return None  # on duty elsewhere now
    start = timezone.localtime(now, clinic.zone).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    ended = [shift.ends_at for shift in shifts if shift.ends_at <= now]
    following = [shift.starts_at for shift in shifts if shift.starts_at > now]
    start = max([start, *ended])
    end = min([start + timedelta(hours=12), *following])
    return Shift.objects.create(
        user=user, unit=unit, starts_at=start, ends_at=end, function=ShiftFunction.PHYSICIAN, notes="Plantão"
    )


# Who works at the door --------------------------------------------------------------------------


@dataclass
class People:
    """By clinic pk: who triages, who registers arrivals, the physicians, the consulting rooms the emergency uses."""

    nurses: dict[int, list[User]]
    reception: dict[int, User]
    doctors: dict[int, list[Practitioner]]
    rooms: dict[int, list[Room]]

    @classmethod
    def read(cls, clinics: list[Clinic], doctors: dict[int, list[Practitioner]]) -> People:
        nurses: dict[int, list[User]] = defaultdict(list)
        reception: dict[int, User] = {}
        staff = (
            User.objects.filter(username__regex=rf"^(enf\.|{NURSE_LOGIN}$)")
            | User.objects.filter(groups__name=roles.RECEPTION)
        ).prefetch_related("clinics", "groups")
        for user in staff.distinct().order_by("username"):
            receptionist = any(group.name == roles.RECEPTION for group in user.groups.all())
            for clinic in user.clinics.all():
                if receptionist:
                    reception.setdefault(clinic.pk, user)
                elif user.username == NURSE_LOGIN:
                    nurses[clinic.pk].insert(0, user)
                else:
                    nurses[clinic.pk].append(user)
        rooms: dict[int, list[Room]] = defaultdict(list)
        consulting = Room.objects.filter(kind=Room.Kind.CONSULTING, is_active=True, floor__level=0)
        for room in consulting.order_by("-code"):
            if len(rooms[room.clinic_id]) < 2:
                rooms[room.clinic_id].append(room)
        return cls(nurses=dict(nurses), reception=reception, doctors=doctors, rooms=dict(rooms))


def _urgent_reason(risk: str) -> str:
    """The reason ``route_consultation`` gives the urgent appointment."""
    return _("Emergency · %(colour)s") % {"colour": RiskColour(risk).label}


# A year of visits -------------------------------------------------------------------------------

# Arrivals by hour of the day (few at night, most from the morning to the evening).
HOURLY = [1, 1, 1, 1, 1, 2, 3, 5, 7, 8, 8, 8, 7, 7, 7, 7, 8, 8, 8, 7, 6, 5, 3, 2]
# Minutes from routing to the doctor's start, by colour.
DOCTOR_WAIT = {RED: (0, 5), ORANGE: (3, 20), YELLOW: (15, 90), GREEN: (30, 170), BLUE: (45, 280)}


@dataclass
class Year:
    """The year's visits as rows, in the shape the triage and scheduling services write them."""

    rng: random.Random
    now: datetime
    people: People
    exams: exams_demo.History
    specialty: Specialty
    visits: list[dict[str, Any]] = field(default_factory=list)
    assessments: list[dict[str, Any]] = field(default_factory=list)
    appointments: list[dict[str, Any]] = field(default_factory=list)
    appointment_events: list[dict[str, Any]] = field(default_factory=list)
    orders: list[tuple[int, exams_demo.LedgerOrder]] = field(default_factory=list)

    def run(self, clinics: list[Clinic], patients: dict[int, list[Patient]], admissions: list[Admission]) -> None:
        rng = self.rng
        plans: list[tuple[Clinic, Patient, datetime, Admission | None]] = []
        for clinic in clinics:
            local = patients.get(clinic.pk, [])
            if not local or not self.people.nurses.get(clinic.pk) or not self.people.rooms.get(clinic.pk):
                continue
            count = VISITS_PER_HOSPITAL if clinic.code in HOSPITALS else VISITS_PER_CLINIC
            regulars = rng.sample(local, min(len(local), max(2, count // 8)))
            for _n in range(count):
                patient = rng.choice(regulars) if rng.random() < REGULARS_SHARE else rng.choice(local)
                day = timezone.localdate(self.now, clinic.zone) - timedelta(days=rng.randint(2, HISTORY_DAYS))
                hour = rng.choices(range(24), weights=HOURLY)[0]
                plans.append(
                    (clinic, patient, datetime.combine(day, clock(hour, rng.randint(0, 59)), tzinfo=clinic.zone), None)
                )
        by_pk = {clinic.pk: clinic for clinic in clinics}
        for request in admissions:
            door = by_pk.get(request.clinic_id)
            if door is not None and self.people.nurses.get(door.pk) and self.people.rooms.get(door.pk):
                arrived = request.requested_at - timedelta(minutes=rng.randint(40, 150))
                plans.append((door, request.patient, arrived, request))
        for (clinic, patient, arrived, admission), pk in zip(plans, exams_demo.new_ids(Visit, len(plans)), strict=True):
            self._visit(pk, clinic, patient, arrived, admission)

    def _assessment(
        self, visit_id: int, patient: Patient, nurse: User, started: datetime, colour: str, *, forced: bool = False
    ) -> tuple[dict[str, Any], Scenario]:
        """An assessment whose vitals fit ``colour``; ``forced``: that colour (with the nurse's override if need be)."""
        rng = self.rng
        scenario, vitals, signs, suggested = classify(rng, colour, glucose=rng.random() < 0.2)
        if forced:
            risk = colour
            reason = (
                "" if suggested == colour else OVERRIDES["up" if RISK_RANK[colour] < RISK_RANK[suggested] else "down"]
            )
        else:
            risk, reason = _nurse_colour(rng, suggested)
        finished = started + timedelta(minutes=rng.randint(3, 9))
        row = {
            "visit_id": visit_id,
            "patient_id": patient.pk,
            "started_at": started,
            "finished_at": finished,
            "by_id": nurse.pk,
            "complaint": scenario.complaint,
            **vitals,
            "discriminators": signs,
            "flags": rules.flags(vitals),
            "suggested_risk": suggested,
            "risk": risk,
            "override_reason": reason,
        }
        self.assessments.append(row)
        return row, scenario

    def _visit(self, pk: int, clinic: Clinic, patient: Patient, arrived: datetime, admission: Admission | None) -> None:
        rng, people = self.rng, self.people
        nurse = rng.choice(people.nurses[clinic.pk])
        visit: dict[str, Any] = {
            "id": pk,
            "clinic_id": clinic.pk,
            "patient_id": patient.pk,
            "status": VisitStatus.ROUTED,
            "in_queue": False,
            "arrival_note": "",
            "arrived_at": arrived,
            "arrived_by_id": (people.reception.get(clinic.pk) or nurse).pk,
            "risk": "",
            "risk_rank": len(RISK_RANK),
            "triage_started_at": None,
            "triage_ended_at": None,
            "destination": "",
            "routed_at": None,
            "routed_by_id": None,
            "routing_note": "",
            "appointment_id": None,
            "admission_id": admission.pk if admission else None,
            "doctor_started_at": None,
            "left_at": None,
        }
        self.visits.append(visit)
        started = arrived + timedelta(minutes=rng.randint(2, 30))
        if admission is None and rng.random() < 0.01:  # called for triage, gone
            visit.update(status=VisitStatus.LEFT, left_at=started, routing_note=LEFT_NOTES[0])
            return
        colour = (
            admission.risk
            if admission and admission.risk
            else rng.choices(list(COLOUR_WEIGHTS), weights=list(COLOUR_WEIGHTS.values()))[0]
        )
        first, scenario = self._assessment(pk, patient, nurse, started, colour, forced=admission is not None)
        last = first
        if admission is None and rng.random() < 0.12:  # re-triage while waiting
            last, _scenario = self._assessment(
                pk, patient, nurse, first["finished_at"] + timedelta(minutes=rng.randint(20, 60)), first["risk"]
            )
        visit.update(
            arrival_note=scenario.arrival,
            risk=last["risk"],
            risk_rank=RISK_RANK[last["risk"]],
            triage_started_at=started,
            triage_ended_at=first["finished_at"],
        )
        risk, after = last["risk"], last["finished_at"]
        if admission is not None:
            visit.update(
                destination=Destination.ADMISSION,
                routed_at=admission.requested_at,
                routed_by_id=admission.requested_by_id or nurse.pk,
            )
        elif risk in (GREEN, BLUE) and rng.random() < 0.05:
            visit.update(
                status=VisitStatus.LEFT,
                left_at=after + timedelta(minutes=rng.randint(30, 180)),
                routing_note=rng.choice(LEFT_NOTES[1:]),
            )
        elif (risk == BLUE and rng.random() < 0.45) or (risk == GREEN and rng.random() < 0.08):
            visit.update(
                destination=Destination.DISCHARGED,
                routed_at=after + timedelta(minutes=rng.randint(5, 20)),
                routed_by_id=nurse.pk,
                routing_note=rng.choice(DISCHARGE_ADVICE),
            )
        elif scenario.exams and rng.random() < 0.15:
            routed = after + timedelta(minutes=rng.randint(2, 10))
            visit.update(destination=Destination.EXAMS, routed_at=routed, routed_by_id=nurse.pk)
            self._exams(pk, clinic, patient, scenario, nurse, routed)
        else:
            self._consultation(visit, clinic, patient, nurse, after + timedelta(minutes=rng.randint(1, 10)))

    def _consultation(
        self, visit: dict[str, Any], clinic: Clinic, patient: Patient, nurse: User, routed: datetime
    ) -> None:
        """The urgent appointment with the physician on duty, as ``appointment_urgent`` books it, and its steps."""
        rng = self.rng
        doctor = on_duty(self.people.doctors[clinic.pk], routed, clinic.zone)
        low, high = DOCTOR_WAIT[visit["risk"]]
        started = routed + timedelta(minutes=rng.randint(low, high))
        finished = started + timedelta(minutes=rng.randint(10, 40))
        reason = _urgent_reason(visit["risk"])
        pk = len(self.appointments)  # a placeholder, replaced by a real id when saved
        self.appointments.append(
            {
                "id": pk,
                "patient_id": patient.pk,
                "practitioner_id": doctor.pk,
                "specialty_id": self.specialty.pk,
                "clinic_id": clinic.pk,
                "room_id": rng.choice(self.people.rooms[clinic.pk]).pk,
                "starts_at": routed,
                "ends_at": routed + timedelta(minutes=self.specialty.default_duration),
                "status": AppointmentStatus.FINISHED,
                "overbooked": True,
                "overbooking_reason": reason[:200],
                "group_session": False,
                "cancellation_reason": "",
                "rescheduled_from_id": None,
                "booked_by_id": nurse.pk,
                "booked_at": routed,
                "checked_in_at": routed,
                "started_at": started,
                "finished_at": finished,
            }
        )
        for from_status, to_status, at, by, why in (
            (AppointmentStatus.SCHEDULED, AppointmentStatus.WAITING, routed, nurse.pk, reason[:200]),
            (AppointmentStatus.WAITING, AppointmentStatus.IN_PROGRESS, started, doctor.user_id, ""),
            (AppointmentStatus.IN_PROGRESS, AppointmentStatus.FINISHED, finished, doctor.user_id, ""),
        ):
            self.appointment_events.append(
                {
                    "appointment_id": pk,
                    "from_status": from_status,
                    "to_status": to_status,
                    "at": at,
                    "by_id": by,
                    "reason": why,
                }
            )
        visit.update(
            destination=Destination.CONSULTATION,
            routed_at=routed,
            routed_by_id=nurse.pk,
            appointment_id=pk,
            doctor_started_at=started,
        )

    def _exams(
        self, visit_id: int, clinic: Clinic, patient: Patient, scenario: Scenario, nurse: User, routed: datetime
    ) -> None:
        """One urgent order per exam the complaint calls for, from triage, done and released as the lab does."""
        rng, history = self.rng, self.exams
        profile = history.profiles.get(patient.pk) or exams_demo.profile_for(
            rng, sex=patient.sex, birth_date=patient.birth_date, conditions=set(), today=routed.date()
        )
        enters, releases = history.staff.lab[clinic.pk]
        reporter = history.staff.reporters[clinic.pk]
        for code in scenario.exams:
            exam = history.catalog.exams[code]
            lab = exam.kind == ExamKind.LAB
            order = history.ledger.order(
                patient=patient,
                exam=exam,
                clinic=clinic,
                unit=history.units[clinic.pk, CareUnit.Kind.LABORATORY if lab else CareUnit.Kind.IMAGING],
                by=nurse,
                at=routed,
                priority=OrderPriority.URGENT,
                origin=OrderOrigin.TRIAGE,
                indication=scenario.complaint,
            )
            done = routed + timedelta(minutes=rng.randint(10, 40))
            by = enters if lab else reporter
            history.ledger.collect(order, by=by, at=done)
            resulted = done + timedelta(hours=exam.turnaround_hours * rng.uniform(0.2, 0.6))
            report = exams_demo.report_for(rng, code) if not lab else ""
            history.ledger.result(
                order, by=by, at=resulted, values=history.results.values(code, profile, done), report=report
            )
            history.ledger.release(
                order, by=releases if releases != by else enters, at=resulted + timedelta(minutes=rng.randint(5, 30))
            )
            self.orders.append((visit_id, order))

    def save(self) -> None:
        """The exam orders first (the visits link to them), then visits, assessments and consultations."""
        self.exams.ledger.save()
        real = dict(
            zip(range(len(self.appointments)), exams_demo.new_ids(Appointment, len(self.appointments)), strict=True)
        )
        for row in self.appointments:
            row["id"] = real[row["id"]]
        for row in self.appointment_events:
            row["appointment_id"] = real[row["appointment_id"]]
        for row in self.visits:
            if row["appointment_id"] is not None:
                row["appointment_id"] = real[row["appointment_id"]]
        exams_demo.copy_rows(Appointment, self.appointments)
        exams_demo.copy_rows(AppointmentEvent, self.appointment_events)
        exams_demo.copy_rows(Visit, self.visits)
        exams_demo.copy_rows(Assessment, self.assessments)
        exams_demo.copy_rows(
            Visit.exam_orders.through,
            [{"visit_id": visit_id, "examorder_id": order.pk} for visit_id, order in self.orders],
        )


# The door now, through the services -------------------------------------------------------------

# (what has become of the walk-in, the colour its triage gives, minutes since arrival)
TODAY = [
    ("waiting", None, 34),
    ("waiting", None, 9),
    ("in_triage", None, 18),
    ("doctor", RED, 14),
    ("doctor", ORANGE, 26),
    ("classified", ORANGE, 7),
    ("classified", YELLOW, 84),  # past its 60 minutes
    ("classified", YELLOW, 32),
    ("classified", GREEN, 155),  # past its 120 minutes
    ("classified", GREEN, 47),
    ("classified", BLUE, 262),  # past its 240 minutes
    ("classified", BLUE, 58),
]
# Lines a hospital may do without (the queue is 9 to 13 long with the walk-in registered without documents).
OPTIONAL = [1, 7, 9, 11]
# In SP-PAU, two walk-ins classified earlier this morning and already sent on: for exams, and for a bed.
SENT_ON = [("exams", YELLOW, 95), ("admission", ORANGE, 120)]
UNKNOWN_WALK_IN = ("Homem não identificado", "M", "Trazido pelo SAMU após queda de moto, consciente")


def _matching(
    rng: random.Random, colour: str, *, with_exams: bool = False
) -> tuple[Scenario, dict[str, Any], list[str]]:
    """A scenario of ``colour`` whose vital signs the rules classify as ``colour``."""
    while True:
        scenario, vitals, signs, suggested = classify(rng, colour)
        if suggested == colour and (scenario.exams or not with_exams):
            return scenario, vitals, signs


def _door_candidates(clinic: Clinic, now: datetime) -> list[Patient]:
    """Adults of the clinic who may walk in now: at home (not in consultation, not in a bed or queue)."""
    busy = Appointment.objects.filter(status__in=[AppointmentStatus.WAITING, AppointmentStatus.IN_PROGRESS])
    today = timezone.localdate(now, clinic.zone)
    born_after, born_before = today - timedelta(days=90 * 365), today - timedelta(days=16 * 366)
    return list(
        Patient.objects.filter(
            home_clinic=clinic,
            status=PatientStatus.OUTPATIENT,
            registration_complete=True,
            birth_date__range=(born_after, born_before),
        )
        .exclude(pk__in=busy.values("patient_id"))
        .exclude(pk__in=Admission.objects.filter(status__in=OPEN_ADMISSION).values("patient_id"))
        .exclude(visits__in_queue=True)
        .order_by("pk")[:300]
    )


def door_now(rng: random.Random, clinic: Clinic, people: People, specialty: Specialty, now: datetime) -> int:
    """The hospital's queue as the day has left it, walked through the triage services; how many wait."""
    nurse = people.nurses[clinic.pk][0]
    reception = people.reception.get(clinic.pk) or nurse
    doctor = next(
        (p for p in selectors.doctors_on_duty(clinic=clinic, at=now) if p.user.username == ON_DUTY_LOGIN), None
    ) or next(iter(selectors.doctors_on_duty(clinic=clinic, at=now)), None)
    dropped = set(rng.sample(OPTIONAL, rng.randint(0, len(OPTIONAL))))
    plan = [line for index, line in enumerate(TODAY) if index not in dropped]
    if clinic.code == ON_DUTY_CLINIC:
        plan += SENT_ON
    candidates = _door_candidates(clinic, now)
    rng.shuffle(candidates)
    patients = iter(candidates)
    for state, colour, minutes in plan:
        scenario, vitals, signs = _matching(rng, colour or rng.choice(list(SCENARIOS)), with_exams=state == "exams")
        for patient in patients:
            try:
                _walk_in(clinic, patient, state, scenario, vitals, signs, minutes, people, doctor, specialty, now)
            except ValidationError:
                continue  # this patient cannot come now (an appointment under way, say): the next one
            break
    name, sex, note = UNKNOWN_WALK_IN
    services.walk_in_register(
        clinic=clinic, by=reception, full_name=name, sex=sex, age_years=rng.randint(30, 55), note=note
    )
    return Visit.objects.filter(clinic=clinic, in_queue=True).count()


def _walk_in(
    clinic: Clinic,
    patient: Patient,
    state: str,
    scenario: Scenario,
    vitals: dict[str, Any],
    signs: list[str],
    minutes: int,
    people: People,
    doctor: Practitioner | None,
    specialty: Specialty,
    now: datetime,
) -> None:
    nurse = people.nurses[clinic.pk][0]
    with transaction.atomic():
        visit = services.visit_arrive(
            clinic=clinic,
            patient=patient,
            by=people.reception.get(clinic.pk) or nurse,
            note=scenario.arrival,
            at=now - timedelta(minutes=minutes),
        )
        if state == "waiting":
            return
        services.triage_start(visit=visit, by=nurse)
        if state == "in_triage":
            return
        services.assessment_record(visit=visit, by=nurse, complaint=scenario.complaint, vitals=vitals, signs=signs)
        if state == "doctor" and doctor is not None:
            services.route_consultation(
                visit=visit, practitioner=doctor, specialty=specialty, room=people.rooms[clinic.pk][0], by=nurse
            )
        elif state == "exams":
            catalog = {exam.code: exam for exam in Exam.objects.filter(code__in=scenario.exams)}
            services.route_exams(
                visit=visit, exams=[catalog[code] for code in scenario.exams], by=nurse, indication=scenario.complaint
            )
        elif state == "admission":
            services.route_admission(
                visit=visit,
                by=nurse,
                ward_kind=WardKind.OBSERVATION,
                reason=scenario.complaint,
                priority=Priority.URGENT,
            )


# Loading ----------------------------------------------------------------------------------------


def _emergency_units(clinics: list[Clinic]) -> dict[int, CareUnit]:
    """Each clinic's emergency unit (``staff/demo.py`` creates them), created where one is missing."""
    units: dict[int, CareUnit] = {}
    for unit in CareUnit.objects.filter(kind=CareUnit.Kind.EMERGENCY, is_active=True).order_by("name", "pk"):
        units.setdefault(unit.clinic_id, unit)
    missing = [
        CareUnit(clinic=clinic, name="Pronto-socorro", kind=CareUnit.Kind.EMERGENCY)
        for clinic in clinics
        if clinic.pk not in units
    ]
    for unit in bulk_create_with_history(missing, CareUnit):
        units[unit.clinic_id] = unit
    return units


@transaction.atomic
def load(stdout: Output) -> None:
    """The physicians' rota and "medico" on duty (every run); the year of visits and today's queues once."""
    now = timezone.now()
    clinics = list(Clinic.objects.order_by("code"))
    if not clinics:
        stdout.write("triage: no clinics\n")
        return
    emergency = _emergency_units(clinics)
    doctors = ensure_er_doctors(clinics)
    shifts = ensure_rota(clinics, doctors, emergency)
    medico = User.objects.filter(username=ON_DUTY_LOGIN, practitioner__isnull=False).first()
    door = next((clinic for clinic in clinics if clinic.code == ON_DUTY_CLINIC), None)
    if medico is not None and door is not None:
        ensure_on_duty_now(door, emergency[door.pk], medico, now)
    rota_line = (
        f"triage: {ER_DOCTORS} emergency physicians per clinic (ps.<clinic>.<n>), {shifts} shifts added, "
        f"{ON_DUTY_LOGIN} on duty in {ON_DUTY_CLINIC}"
    )
    if Visit.objects.exists():
        stdout.write(f"{rota_line}; {Visit.objects.count()} visits (demo visits already loaded)\n")
        return
    rng = random.Random(SEED)
    specialty = Specialty.objects.get(code=ER_SPECIALTY)
    people = People.read(clinics, doctors)
    catalog = exams_demo.StoredCatalog.read()
    exam_staff = exams_demo.ensure_staff(
        clinics, {s.code: s for s in Specialty.objects.filter(code__in=[RADIOLOGY, ULTRASOUND])}
    )
    history = exams_demo.History(
        rng=rng,
        now=now,
        catalog=catalog,
        results=exams_demo.Results(rng, now - timedelta(days=HISTORY_DAYS)),
        staff=exam_staff,
        units=exams_demo.ensure_units(clinics),
        ledger=exams_demo.OrderLedger(catalog),
    )
    patients: dict[int, list[Patient]] = defaultdict(list)
    for patient in (
        Patient.objects.filter(home_clinic__isnull=False, registration_complete=True)
        .only("pk", "sex", "birth_date", "home_clinic_id", "full_name", "social_name")
        .order_by("pk")
    ):
        patients[patient.home_clinic_id or 0].append(patient)
    admissions = list(Admission.objects.filter(source=AdmissionSource.TRIAGE).select_related("patient").order_by("pk"))
    year = Year(rng=rng, now=now, people=people, exams=history, specialty=specialty)
    year.run(clinics, patients, admissions)
    year.save()
    waiting = {
        clinic.code: door_now(rng, clinic, people, specialty, now)
        for clinic in clinics
        if clinic.code in HOSPITALS and people.nurses.get(clinic.pk) and people.rooms.get(clinic.pk)
    }
    queues = ", ".join(f"{count} in {code}" for code, count in sorted(waiting.items()))
    stdout.write(
        f"{rota_line}; {len(year.visits)} visits in {HISTORY_DAYS} days ({len(year.appointments)} seen by the doctor "
        f"on duty, {len(year.orders)} exam orders); waiting now: {queues or 'nobody'}\n"
    )
