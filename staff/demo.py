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
    secret = admin_totp_secret()
    stdout.write(
        "\nThe admin's second factor (TOTP) is enrolled. Add this secret to an authenticator app\n"
        f"(Google Authenticator, FreeOTP, 1Password...):  {secret}\n"
        f"  or as a link: otpauth://totp/Clinica:admin?secret={secret}&issuer=Clinica\n"
        "  or read the current code with: .venv/bin/python manage.py demo_totp\n"
    )
