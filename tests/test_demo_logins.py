"""The README's demo logins are the demo's: every login it names exists with the role and clinics it
gives and signs in with the password it gives, and every login the demo makes is in it.

Each failed try counts toward the lockout, so a login the README invents costs a newcomer more than
a moment. The people come from the demo steps that make logins (staff, the labs and imaging of
``exams.demo``, the emergency physicians of ``triage.demo``) over the whole network.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from clinic import demo as clinic_demo
from clinic.models import Clinic
from exams import demo as exams_demo
from exams.catalog import RADIOLOGY, ULTRASOUND, catalog_load
from staff import demo as staff_demo
from staff.models import Specialty, User
from triage import demo as triage_demo

pytestmark = pytest.mark.django_db

README = Path(settings.BASE_DIR, "README.md").read_text()
PATTERN = re.compile(r"^(?P<prefix>[a-z]+)\.<clinic>\.<n>$")


@dataclass(frozen=True)
class Row:
    login: str
    role: str
    clinics: str


def _readme_rows() -> list[Row]:
    section = README[README.index("### Demo logins") :]
    rows = []
    for line in section.splitlines()[1:]:
        if line.startswith("#"):
            break
        if not line.startswith("| `"):
            continue
        user, role, clinics = (cell.strip() for cell in line.strip().strip("|").split(" | "))
        login = re.match(r"`([^`]+)`", user)
        assert login, line
        rows.append(Row(login[1], role, clinics))
    return rows


def _readme_password() -> str:
    match = re.search(r"Every demo user's password is `([^`]+)`", README)
    assert match, "the README gives no demo password"
    return match[1]


def _numbers(text: str) -> list[int]:
    if ".." in text:
        first, last = text.split("..")
        return list(range(int(first), int(last) + 1))
    return [int(n) for n in text.split(",")]


def _expand(prefix: str, clinics: str, network: list[str]) -> set[str]:
    """The logins a README line stands for: "every clinic but SP-PAU: n = 1, 2; RJ-BOT: n = 1..12"."""
    numbers: dict[str, list[int]] = {}
    for part in clinics.split(";"):
        where, _, ns = part.partition(": n = ")
        where = where.strip()
        if where.startswith("every clinic"):
            but = where.removeprefix("every clinic").removeprefix(" but ")
            codes = [code for code in network if code not in {c.strip() for c in but.split(",") if c.strip()}]
        else:
            codes = [code.strip() for code in where.split(",")]
        for code in codes:
            assert code in network, f"{code} is no clinic of the demo"
            numbers[code] = _numbers(ns)
    return {f"{prefix}.{code.lower()}.{n}" for code, ns in numbers.items() for n in ns}


@pytest.fixture
def network() -> Iterator[list[str]]:
    """Every login the demo makes, over the whole network; the codes of its clinics."""
    out = io.StringIO()
    clinic_demo.load(out)
    staff_demo.load(out)
    catalog_load()
    clinics = list(Clinic.objects.order_by("code"))
    exams_demo.ensure_staff(clinics, {s.code: s for s in Specialty.objects.filter(code__in=[RADIOLOGY, ULTRASOUND])})
    triage_demo.ensure_er_doctors(clinics)
    yield [code for code, *_rest in clinic_demo.CLINICS]


def test_the_readme_names_the_logins_the_demo_makes(network: list[str]) -> None:
    readme, demo = _readme_rows(), staff_demo.demo_logins()

    assert [row.login for row in readme] == [row.login for row in demo]
    for written, made in zip(readme, demo, strict=True):
        assert re.match(rf"{re.escape(made.role)}($|[ ,(])", written.role), (written, made)
        assert written.clinics == made.clinics, written.login
    # Every user there is, named or by a pattern, and nobody else.
    expected = {row.login for row in readme if not PATTERN.match(row.login)}
    for row in readme:
        if match := PATTERN.match(row.login):
            expected |= _expand(match["prefix"], row.clinics, network)
    assert set(User.objects.values_list("username", flat=True)) == expected


def test_every_login_signs_in_with_the_readme_password(network: list[str]) -> None:
    password = _readme_password()
    users = list(User.objects.all())
    assert len(users) > 200
    assert [user.username for user in users if not user.check_password(password)] == []

    # One of each line through the sign-in page, as a newcomer would.
    for row in _readme_rows():
        prefix = PATTERN.match(row.login)
        username = sorted(_expand(prefix["prefix"], row.clinics, network))[0] if prefix else row.login
        client = Client()
        response = client.post(reverse("account_login"), {"login": username, "password": password})
        assert response.status_code == 302, username
        if username == "admin":  # the second factor comes next
            assert response["Location"] == reverse("mfa_authenticate")
        else:
            assert client.get(reverse("home")).context["user"].username == username


def test_make_run_prints_the_same_logins(network: list[str]) -> None:
    out = io.StringIO()
    staff_demo.print_logins(out)
    printed = out.getvalue()
    for row in _readme_rows():
        assert re.search(
            rf"^  {re.escape(row.login)} +{re.escape(row.role.split(' (')[0].split(',')[0])} ", printed, re.M
        )
        assert row.clinics in printed
