"""Demo staff: one known login per role. Development only (demo_data refuses production mode)."""

from __future__ import annotations

import re
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from datetime import time as clock

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q

from clinic.demo import CLINICS, HOSPITALS, Output
from clinic.models import Clinic, Room
from staff import roles
from staff.models import Practitioner, PractitionerSpecialty, Specialty, User, WorkingHours

DEMO_PASSWORD = "demo-clinica-2026"  # noqa: S105 (a published demo login, refused in production)

# username, first name, last name, role, clinic codes (empty: every clinic)
DEMO_USERS = [
    ("admin", "Ana", "Administradora", roles.ADMIN, []),
    ("recepcao", "Renata", "Recepção", roles.RECEPTION, ["SP-PAU", "SP-CAM"]),
    ("recepcao.rj", "Rafael", "Recepção RJ", roles.RECEPTION, ["RJ-BOT"]),
    ("triagem", "Tiago", "Triagem", roles.TRIAGE_NURSE, ["SP-PAU"]),
    ("enfermagem", "Elisa", "Enfermagem", roles.WARD_NURSE, ["SP-PAU"]),
    ("medico", "Marcos", "Médico", roles.DOCTOR, ["SP-PAU", "RJ-BOT"]),
    ("laboratorio", "Lúcia", "Laboratório", roles.LAB, ["SP-PAU"]),
    # A second pair of eyes: releases what "laboratorio" enters (one person may not release their own result).
    ("biomedico", "Bruno", "Biomédico", roles.LAB, ["SP-PAU"]),
    # Writes the imaging reports; exams/demo.py makes her a practitioner with hours in the exam rooms.
    ("radiologia", "Raquel", "Radiologia", roles.LAB, ["SP-PAU"]),
    ("faturamento", "Fábio", "Faturamento", roles.BILLING, ["SP-PAU"]),
    ("gestor", "Gabriela", "Gestão", roles.MANAGER, []),
]


@transaction.atomic
def load(stdout: Output) -> None:
    clinics = {c.code: c for c in Clinic.objects.all()}
    # Hashed once for every demo login: hashing costs a good part of a second each time.
    password = make_password(DEMO_PASSWORD)
    for username, first, last, role, codes in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@clinica.localhost",
                "password": password,
                "is_staff": role == roles.ADMIN,
            },
        )
        if created:
            user.groups.add(Group.objects.get(name=role))
            user.clinics.set([clinics[c] for c in codes] if codes else list(clinics.values()))
    load_practitioners(stdout, password=password)
    load_rota(stdout, password=password)
    admin = User.objects.get(username="admin")
    if not Authenticator.objects.filter(user=admin, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(admin, generate_totp_secret())
    stdout.write(f"staff: {User.objects.count()} users\n")


def admin_totp_secret() -> str:
    authenticator = Authenticator.objects.get(user__username="admin", type=Authenticator.Type.TOTP)
    return get_adapter().decrypt(authenticator.data["secret"])


def current_totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))


# The demo's logins ------------------------------------------------------------------------------

# Logins made per clinic, ``<prefix>.<clinic>.<n>``: prefix, what they are.
LOGIN_PATTERNS = [
    ("prof", "practitioners with weekly hours and an agenda"),
    ("enf", "ward nurses on this week's 12x36 rota"),
    ("ps", "emergency physicians on the 12x36 rota of the clinic's emergency"),
    ("lab", "the clinic's laboratory"),
    ("img", "radiologists (n = 1) and ultrasonographers (n = 2) with hours in the exam rooms"),
]
_PATTERN_LOGIN = re.compile(r"^(?P<prefix>[a-z]+)\.(?P<clinic>[a-z]{2}-[a-z]{3})\.(?P<n>[0-9]+)$")


@dataclass(frozen=True)
class Login:
    """One line of the demo's logins: a user name (or a pattern of them), the role, and where."""

    login: str
    role: str
    clinics: str
    what: str = ""


def _numbers(ns: list[int]) -> str:
    """1..4 for a run of three or more, else 1, 2."""
    if len(ns) >= 3 and ns == list(range(ns[0], ns[-1] + 1)):
        return f"{ns[0]}..{ns[-1]}"
    return ", ".join(str(n) for n in ns)


def _where(numbers: dict[str, list[int]], network: list[str]) -> str:
    """Which clinics have which numbers, most of the network first: ``every clinic: n = 1..4; SP-PAU: n = 1..12``."""
    groups: dict[tuple[int, ...], list[str]] = {}
    for code in network:
        if code in numbers:
            groups.setdefault(tuple(numbers[code]), []).append(code)
    parts = sorted(groups.items(), key=lambda item: -len(item[1]))
    if parts and len(parts[0][1]) * 2 > len(network):
        (most, _codes), rest = parts[0], parts[1:]
        missing = [code for code in network if code not in numbers]
        head = "every clinic" + (f" but {', '.join(missing)}" if missing else "")
        return "; ".join(
            [f"{head}: n = {_numbers(list(most))}"] + [f"{', '.join(c)}: n = {_numbers(list(n))}" for n, c in rest]
        )
    ordered = sorted(groups.items(), key=lambda item: network.index(item[1][0]))
    return "; ".join(f"{', '.join(codes)}: n = {_numbers(list(ns))}" for ns, codes in ordered)


def demo_logins() -> list[Login]:
    """The demo's logins as the database has them: the named ones, then one line per pattern.

    Clinics are named in the network's order (``clinic.demo.CLINICS``), those it does not know last.
    """
    order = {code: index for index, (code, *_rest) in enumerate(CLINICS)}
    network = sorted(
        Clinic.objects.values_list("code", flat=True), key=lambda code: (order.get(code, len(order)), code)
    )
    named = [username for username, *_rest in DEMO_USERS]
    prefixes = "|".join(prefix for prefix, _what in LOGIN_PATTERNS)
    users = {
        user.username: user
        for user in User.objects.filter(
            Q(username__in=named) | Q(username__regex=rf"^({prefixes})\.[a-z]{{2}}-[a-z]{{3}}\.[0-9]+$"),
            is_active=True,
        ).prefetch_related("groups", "clinics")
    }
    rows: list[Login] = []
    for username in named:
        if username in users:
            codes = {clinic.code for clinic in users[username].clinics.all()}
            where = "all" if codes >= set(network) else ", ".join(code for code in network if code in codes)
            rows.append(Login(username, _roles([users[username]]), where))
    for prefix, what in LOGIN_PATTERNS:
        numbers: dict[str, list[int]] = defaultdict(list)
        members = []
        for user in users.values():
            match = _PATTERN_LOGIN.match(user.username)
            if match and match["prefix"] == prefix:
                numbers[match["clinic"].upper()].append(int(match["n"]))
                members.append(user)
        if members:
            where = _where({code: sorted(ns) for code, ns in numbers.items()}, network)
            rows.append(Login(f"{prefix}.<clinic>.<n>", _roles(members), where, what))
    return rows


def _roles(users: list[User]) -> str:
    return ", ".join(sorted({group.name for user in users for group in user.groups.all()}))


def print_logins(stdout: Output) -> None:
    stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})\n")
    for row in demo_logins():
        stdout.write(f"  {row.login:<18} {row.role:<13} {row.clinics}\n")
        if row.what:
            stdout.write(f"  {'':<18} {'':<13} ({row.what})\n")
    secret = admin_totp_secret()
    stdout.write(
        "\nThe admin's second factor (TOTP) is enrolled. Add this secret to an authenticator app\n"
        f"(Google Authenticator, FreeOTP, 1Password...):  {secret}\n"
        f"  or as a link: otpauth://totp/Clinica:admin?secret={secret}&issuer=Clinica\n"
        "  or read the current code with: .venv/bin/python manage.py demo_totp\n"
    )


# Practitioners and their weekly hours -----------------------------------------------------------

# name, code, minutes, council
SPECIALTIES = [
    ("Clínica médica", "clinica-medica", 20, "CRM"),
    ("Pediatria", "pediatria", 30, "CRM"),
    ("Cardiologia", "cardiologia", 30, "CRM"),
    ("Ginecologia e obstetrícia", "ginecologia-obstetricia", 30, "CRM"),
    ("Ortopedia e traumatologia", "ortopedia", 20, "CRM"),
    ("Dermatologia", "dermatologia", 20, "CRM"),
    ("Oftalmologia", "oftalmologia", 20, "CRM"),
    ("Psiquiatria", "psiquiatria", 50, "CRM"),
    ("Endocrinologia", "endocrinologia", 30, "CRM"),
    ("Odontologia", "odontologia", 40, "CRO"),
    ("Psicologia", "psicologia", 50, "CRP"),
    ("Fisioterapia", "fisioterapia", 40, "CREFITO"),
]
# What every clinic books: general practice, paediatrics, gynaecology and cardiology.
CORE_SPECIALTIES = ["clinica-medica", "pediatria", "ginecologia-obstetricia", "cardiologia"]
# The outpatients of a clinic are seen in its first consulting rooms (by code): the benchmark
# (bench/schedules.py) gives the others to its own practitioners, and the emergency takes the
# last ones of the ground floor (triage/demo.py).
OUTPATIENT_ROOMS = 4

Session = tuple[int, clock, clock]  # weekday (Monday 0), start, end
_WEEKDAYS = range(5)
_MORNING, _AFTERNOON = (clock(8), clock(12)), (clock(13), clock(17))


def _sessions(days: Iterable[int], *periods: tuple[clock, clock]) -> list[Session]:
    return [(day, start, end) for day in days for start, end in periods]


# specialty, room (index among the outpatient rooms), weekly sessions
_CLINIC_PLAN: list[tuple[str, int, list[Session]]] = [
    (code, room, _sessions(_WEEKDAYS, _MORNING, _AFTERNOON)) for room, code in enumerate(CORE_SPECIALTIES)
]
# The hospitals see every specialty in the same four rooms: the core ones most of the week, the
# others a few mornings or afternoons each, as visiting specialists do.
_HOSPITAL_PLAN: list[tuple[str, int, list[Session]]] = [
    ("clinica-medica", 0, _sessions(_WEEKDAYS, _MORNING, _AFTERNOON)),
    ("pediatria", 1, _sessions(_WEEKDAYS, _MORNING)),
    ("ginecologia-obstetricia", 1, _sessions(_WEEKDAYS, _AFTERNOON)),
    ("cardiologia", 2, _sessions(range(4), _MORNING)),
    ("ortopedia", 2, _sessions((0, 2), _AFTERNOON) + _sessions((4,), _MORNING)),
    ("dermatologia", 2, _sessions((1, 3), _AFTERNOON)),
    ("fisioterapia", 2, _sessions((4,), _AFTERNOON) + _sessions((5,), _MORNING)),
    ("oftalmologia", 3, _sessions((0, 2), _MORNING)),
    ("endocrinologia", 3, _sessions((1, 3), _MORNING)),
    ("psiquiatria", 3, _sessions((4,), _MORNING, _AFTERNOON)),
    ("odontologia", 3, _sessions((0, 2), _AFTERNOON)),
    ("psicologia", 3, _sessions((1, 3), _AFTERNOON)),
]


def outpatient_plan(clinic_code: str) -> list[tuple[str, int, list[Session]]]:
    """The specialties a clinic books, each with its room (index among the outpatient rooms) and weekly sessions."""
    return _HOSPITAL_PLAN if clinic_code in HOSPITALS else _CLINIC_PLAN


_FIRST_NAMES = ["Ana", "Bruno", "Camila", "Daniel", "Eduarda", "Felipe", "Gabriela", "Henrique", "Isabela", "João"]
_LAST_NAMES = ["Almeida", "Barbosa", "Cardoso", "Dias", "Esteves", "Ferreira", "Gomes", "Hoffmann", "Ibrahim", "Jesus"]


def _free_room(rooms: list[Room], planned: int, sessions: list[Session], taken: set[tuple[int, int, clock]]) -> Room:
    """The planned room, or (on a database an older demo filled) the first consulting room free at those times."""
    for room in [rooms[planned], *rooms]:
        if not any((room.pk, day, start) in taken for day, start, _end in sessions):
            return room
    return rooms[planned]


@transaction.atomic
def load_practitioners(stdout: Output, *, password: str = "") -> None:
    """Specialties, the demo doctor, and each clinic's outpatient practitioners (``prof.<clinic>.<n>``)
    with their weekly hours: a practitioner is added for each specialty the clinic's plan has and no
    practitioner with hours there sees (so a run on an older demo adds only what it lacks)."""
    specialties = {
        code: Specialty.objects.get_or_create(code=code, defaults={"name": name, "default_duration": minutes})[0]
        for name, code, minutes, _council in SPECIALTIES
    }
    councils = {code: council for _name, code, _minutes, council in SPECIALTIES}
    doctor_group = Group.objects.get(name=roles.DOCTOR)
    since = date(2026, 1, 1)
    # The demo's own (a benchmark database has others in the same clinics).
    seen = set(
        WorkingHours.objects.filter(
            practitioner__is_active=True, practitioner__user__username__startswith="prof."
        ).values_list("clinic_id", "practitioner__specialty_links__specialty__code")
    )
    # Every demo session starts at 8 or 13: a room is taken at a time if a session starts there then.
    taken = {
        (room_id, weekday, start)
        for room_id, weekday, start in WorkingHours.objects.values_list("room_id", "weekday", "start_time")
    }
    logins = set(User.objects.filter(username__startswith="prof.").values_list("username", flat=True))
    number = len(logins)
    added = 0
    for clinic in Clinic.objects.order_by("code"):
        rooms = list(Room.objects.filter(clinic=clinic, kind=Room.Kind.CONSULTING, is_active=True).order_by("code"))
        if len(rooms) < OUTPATIENT_ROOMS:
            continue
        index = 0
        for code, planned, sessions in outpatient_plan(clinic.code):
            if (clinic.pk, code) in seen:
                continue
            index += 1
            while f"prof.{clinic.code.lower()}.{index}" in logins:
                index += 1
            username = f"prof.{clinic.code.lower()}.{index}"
            logins.add(username)
            number += 1
            password = password or make_password(DEMO_PASSWORD)
            user = User.objects.create(
                username=username,
                first_name=_FIRST_NAMES[number % len(_FIRST_NAMES)],
                last_name=f"{_LAST_NAMES[(number // 10) % len(_LAST_NAMES)]} {clinic.code}",
                email=f"{username}@clinica.localhost",
                password=password,
            )
            user.groups.add(doctor_group)
            user.clinics.add(clinic)
            practitioner = Practitioner.objects.create(
                user=user, council=councils[code], council_number=f"{200000 + number}", council_uf=clinic.uf
            )
            PractitionerSpecialty.objects.create(practitioner=practitioner, specialty=specialties[code])
            room = _free_room(rooms, planned, sessions, taken)
            taken.update((room.pk, day, start) for day, start, _end in sessions)
            WorkingHours.objects.bulk_create(
                WorkingHours(
                    practitioner=practitioner,
                    clinic=clinic,
                    room=room,
                    weekday=day,
                    start_time=start,
                    end_time=end,
                    valid_from=since,
                )
                for day, start, end in sessions
            )
            seen.add((clinic.pk, code))
            added += 1
    medico = User.objects.get(username="medico")
    if not hasattr(medico, "practitioner"):
        practitioner = Practitioner.objects.create(user=medico, council="CRM", council_number="123456", council_uf="SP")
        PractitionerSpecialty.objects.create(practitioner=practitioner, specialty=specialties["clinica-medica"])
        PractitionerSpecialty.objects.create(practitioner=practitioner, specialty=specialties["cardiologia"])
    stdout.write(
        f"practitioners: {Practitioner.objects.count()} in {len(specialties)} specialties ({added} new with hours)\n"
    )


# name, kind: the care units of every demo clinic
CARE_UNITS = [
    ("Pronto-socorro", "emergency"),
    ("Enfermaria", "ward"),
    ("UTI adulto", "icu"),
    ("Recepção", "reception"),
]
NURSES_PER_CLINIC = 4
# 12x36 nursing rota: (first weekday, start hour); each nurse works every other day from there.
_NURSE_PATTERN = [(0, 7), (1, 7), (0, 19), (1, 19)]
_NURSE_NAMES = ["Beatriz", "Carolina", "Débora", "Fernanda", "Juliana", "Larissa", "Patrícia", "Roberta"]


@transaction.atomic
def load_rota(stdout: Output, *, password: str = "") -> None:
    """Care units in every clinic, and this week's 12x36 rota of four ward nurses per clinic.

    The nurses log in as ``enf.<clinic>.<n>``. A clinic whose ward has shifts this week is left as it is.
    """
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from django.utils import timezone
    from simple_history.utils import bulk_create_with_history

    from staff.models import CareUnit, Shift, ShiftFunction
    from staff.selectors import current_week, week_bounds

    nurse_group = Group.objects.get(name=roles.WARD_NURSE)
    manager = User.objects.filter(username="gestor").first()
    added = 0
    for clinic_index, clinic in enumerate(Clinic.objects.order_by("code")):
        units = {
            kind: CareUnit.objects.get_or_create(clinic=clinic, name=name, defaults={"kind": kind})[0]
            for name, kind in CARE_UNITS
        }
        ward = units["ward"]
        zone = ZoneInfo(clinic.time_zone)
        monday = current_week(clinic)
        first, after = week_bounds(monday, zone)
        if Shift.objects.filter(unit=ward, starts_at__gte=first, starts_at__lt=after).exists():
            continue
        shifts = []
        for index, (first_day, hour) in enumerate(_NURSE_PATTERN[:NURSES_PER_CLINIC]):
            username = f"enf.{clinic.code.lower()}.{index + 1}"
            nurse = User.objects.filter(username=username).first()
            if nurse is None:
                password = password or make_password(DEMO_PASSWORD)
                nurse = User.objects.create(
                    username=username,
                    first_name=_NURSE_NAMES[(clinic_index + index) % len(_NURSE_NAMES)],
                    last_name=f"Enfermeira {clinic.code}",
                    email=f"{username}@clinica.localhost",
                    password=password,
                )
                nurse.groups.add(nurse_group)
                nurse.clinics.add(clinic)
            for day in range(first_day, 7, 2):
                starts_at = timezone.make_aware(datetime.combine(monday + timedelta(days=day), clock(hour)), zone)
                shifts.append(
                    Shift(
                        user=nurse,
                        unit=ward,
                        starts_at=starts_at,
                        ends_at=starts_at + timedelta(hours=12),
                        function=ShiftFunction.NURSE,
                        created_by=manager,
                    )
                )
        bulk_create_with_history(shifts, Shift, default_user=manager)
        added += len(shifts)
    stdout.write(f"rota: {CareUnit.objects.count()} care units, {added} nurse shifts added this week\n")
