"""Demo staff: one known login per role. Development only (demo_data refuses production mode)."""

from __future__ import annotations

import time

from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.adapter import get_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.contrib.auth.models import Group
from django.db import transaction

from clinic.demo import Output
from clinic.models import Clinic
from staff import roles
from staff.models import User

DEMO_PASSWORD = "demo-clinica-2026"  # noqa: S105 (a published demo login, refused in production)

# username, first name, last name, role, clinic codes (empty: every clinic)
DEMO_USERS = [
    ("admin", "Ana", "Administradora", roles.ADMIN, []),
    ("recepcao", "Renata", "Recepção", roles.RECEPTION, ["SP-PAU", "SP-CAM"]),
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
    ("recepcao.rj", "Rafael", "Recepção RJ", roles.RECEPTION, ["RJ-BOT"]),
]


@transaction.atomic
def load(stdout: Output) -> None:
    clinics = {c.code: c for c in Clinic.objects.all()}
    for username, first, last, role, codes in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@clinica.localhost"},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.is_staff = role == roles.ADMIN
            user.save()
            user.groups.add(Group.objects.get(name=role))
            user.clinics.set([clinics[c] for c in codes] if codes else list(clinics.values()))
    load_practitioners(stdout)
    load_rota(stdout)
    admin = User.objects.get(username="admin")
    if not Authenticator.objects.filter(user=admin, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(admin, generate_totp_secret())
    stdout.write(f"staff: {User.objects.count()} users\n")


def admin_totp_secret() -> str:
    authenticator = Authenticator.objects.get(user__username="admin", type=Authenticator.Type.TOTP)
    return get_adapter().decrypt(authenticator.data["secret"])


def current_totp_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // mfa_settings.TOTP_PERIOD))


def print_logins(stdout: Output) -> None:
    stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})\n")
    for username, _first, _last, role, codes in DEMO_USERS:
        where = ", ".join(codes) if codes else "all clinics"
        stdout.write(f"  {username:<14} {role:<13} {where}\n")
    stdout.write(
        f"  {'prof.<clinic>.<n>':<14} {roles.DOCTOR:<13} practitioners with weekday hours, e.g. prof.sp-pau.1 "
        f"(n = 1..{PRACTITIONERS_PER_CLINIC})\n"
    )
    stdout.write(
        f"  {'enf.<clinic>.<n>':<14} {roles.WARD_NURSE:<13} ward nurses on this week's rota, e.g. enf.sp-pau.1 "
        f"(n = 1..{NURSES_PER_CLINIC})\n"
    )
    for pattern, role, what in (
        ("ps.<clinic>.<n>", roles.DOCTOR, "emergency physicians on the rota, e.g. ps.sp-pau.1 (n = 1..4)"),
        ("lab.<clinic>.<n>", roles.LAB, "the clinic's laboratory, e.g. lab.rj-bot.1 (n = 1, 2)"),
        ("img.<clinic>.<n>", roles.LAB, "radiologists and ultrasonographers of SP-PAU, RJ-BOT and BA-SSA"),
    ):
        stdout.write(f"  {pattern:<14} {role:<13} {what}\n")
    secret = admin_totp_secret()
    stdout.write(
        "\nThe admin's second factor (TOTP) is enrolled. Add this secret to an authenticator app\n"
        f"(Google Authenticator, FreeOTP, 1Password...):  {secret}\n"
        f"  or as a link: otpauth://totp/Clinica:admin?secret={secret}&issuer=Clinica\n"
        "  or read the current code with: .venv/bin/python manage.py demo_totp\n"
    )


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
PRACTITIONERS_PER_CLINIC = 4
_FIRST_NAMES = ["Ana", "Bruno", "Camila", "Daniel", "Eduarda", "Felipe", "Gabriela", "Henrique", "Isabela", "João"]
_LAST_NAMES = ["Almeida", "Barbosa", "Cardoso", "Dias", "Esteves", "Ferreira", "Gomes", "Hoffmann", "Ibrahim", "Jesus"]


@transaction.atomic
def load_practitioners(stdout: Output) -> None:
    """Specialties, the demo doctor, and a few practitioners per clinic with weekday hours."""
    from datetime import date, time

    from django.contrib.auth.hashers import make_password

    from clinic.models import Room
    from staff.models import Practitioner, PractitionerSpecialty, Specialty, WorkingHours

    specialties = [
        Specialty.objects.get_or_create(code=code, defaults={"name": name, "default_duration": minutes})[0]
        for name, code, minutes, _council in SPECIALTIES
    ]
    councils = {code: council for _name, code, _minutes, council in SPECIALTIES}
    doctor_group = Group.objects.get(name=roles.DOCTOR)
    password = make_password(DEMO_PASSWORD)  # hashed once: hashing 80 times would take half a minute
    since = date(2026, 1, 1)
    number = 0
    for clinic_index, clinic in enumerate(Clinic.objects.order_by("code")):
        rooms = list(Room.objects.filter(clinic=clinic, kind=Room.Kind.CONSULTING).order_by("code"))
        for index in range(PRACTITIONERS_PER_CLINIC):
            number += 1
            specialty = specialties[(clinic_index + index) % len(specialties)]
            username = f"prof.{clinic.code.lower()}.{index + 1}"
            if User.objects.filter(username=username).exists():
                continue
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
                user=user, council=councils[specialty.code], council_number=f"{200000 + number}", council_uf=clinic.uf
            )
            PractitionerSpecialty.objects.create(practitioner=practitioner, specialty=specialty)
            room = rooms[index % len(rooms)]
            WorkingHours.objects.bulk_create(
                WorkingHours(
                    practitioner=practitioner,
                    clinic=clinic,
                    room=room,
                    weekday=weekday,
                    start_time=start,
                    end_time=end,
                    valid_from=since,
                )
                for weekday in range(5)
                for start, end in ((time(8), time(12)), (time(13), time(17)))
            )
    medico = User.objects.get(username="medico")
    if not hasattr(medico, "practitioner"):
        practitioner = Practitioner.objects.create(user=medico, council="CRM", council_number="123456", council_uf="SP")
        PractitionerSpecialty.objects.create(practitioner=practitioner, specialty=specialties[0])
        PractitionerSpecialty.objects.create(practitioner=practitioner, specialty=specialties[2])
    stdout.write(f"practitioners: {Practitioner.objects.count()} in {len(specialties)} specialties\n")


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
def load_rota(stdout: Output) -> None:
    """Care units in every clinic, and this week's 12x36 rota of four ward nurses per clinic.

    The nurses log in as ``enf.<clinic>.<n>``. A clinic whose ward has shifts this week is left as it is.
    """
    from datetime import datetime, timedelta
    from datetime import time as clock
    from zoneinfo import ZoneInfo

    from django.contrib.auth.hashers import make_password
    from django.utils import timezone
    from simple_history.utils import bulk_create_with_history

    from staff.models import CareUnit, Shift, ShiftFunction
    from staff.selectors import current_week, week_bounds

    nurse_group = Group.objects.get(name=roles.WARD_NURSE)
    password = make_password(DEMO_PASSWORD)
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
