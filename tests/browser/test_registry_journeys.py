"""The issue's journeys, clicked through the real pages in Chromium."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, generate_totp_secret, hotp_value
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import Page, expect

from clinic.models import Clinic
from patients.models import ChartAccess, Patient, PatientDocument
from staff import roles
from staff.demo import DEMO_PASSWORD
from staff.models import User
from tests.factories import ClinicFactory, UserFactory, pdf_bytes, unique_cpf

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = pdf_bytes()


def sign_in(page: Page, username: str) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    page.fill("#id_login", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("main button[type=submit]")


def menu_links(page: Page) -> list[str]:
    return page.locator("[data-testid=menu] a").evaluate_all("links => links.map(a => a.getAttribute('href'))")


def test_reception_registers_finds_opens_and_files_a_document(new_page: Callable[..., Page], tmp_path: Path) -> None:
    clinic = ClinicFactory(name="Clínica Paulista")
    receptionist = UserFactory(username="recepcao", role=roles.RECEPTION, clinics=[clinic])
    page = new_page()
    sign_in(page, "recepcao")
    expect(page.locator("[data-testid=menu]")).to_be_visible()

    # Register.
    page.get_by_test_id("menu-group").filter(has_text="Pacientes").click()
    page.click("[data-testid=menu] a[href='/patients/new/']")
    cpf = unique_cpf()
    page.fill("#id_full_name", "João Araújo Conceição")
    page.fill("#id_birth_date", "1980-05-17")
    page.select_option("#id_sex", "M")
    page.fill("#id_cpf", cpf)
    page.fill("#id_mobile_phone", "(11) 98877-6655")
    page.select_option("#id_reminder_channel", "whatsapp")
    page.select_option("#id_home_clinic", str(clinic.pk))
    page.fill("#id_contacts-0-name", "Maria Conceição")
    page.fill("#id_contacts-0-relationship", "Mãe")
    page.fill("#id_contacts-0-phone", "11 3222-1100")
    page.click("main form button[type=submit]")
    expect(page.locator(".patient-header h1")).to_contain_text("João Araújo Conceição")
    patient = Patient.objects.get()
    assert patient.created_by == receptionist

    # Find by a name typed without accents: results arrive without a page load.
    page.get_by_test_id("menu-group").filter(has_text="Pacientes").click()
    page.click("[data-testid=menu] a[href='/patients/']")
    page.fill("#id_q", "joao araujo")
    result = page.locator("#results a", has_text="João Araújo Conceição")
    expect(result).to_be_visible()
    result.click()

    # The chart: header, masked CPF, panels loaded by the page.
    expect(page).to_have_url(re.compile(rf"/patients/{patient.pk}/$"))
    expect(page.get_by_test_id("masked-cpf")).to_have_text(f"***.{cpf[3:6]}.{cpf[6:9]}-**")
    documents = page.get_by_test_id("documents-panel")
    expect(documents).to_be_visible()

    # Upload a PDF and download it back.
    documents.locator(f"a[href='/patients/{patient.pk}/documents/new/']").click()
    upload = tmp_path / "hemograma.pdf"
    upload.write_bytes(PDF)
    page.select_option("#id_kind", "exam")
    page.fill("#id_title", "Hemograma completo")
    page.set_input_files("#id_file", str(upload))
    page.click("main form button[type=submit]")
    row = page.get_by_test_id("documents-panel").locator("li", has_text="Hemograma completo")
    expect(row).to_be_visible()
    with page.expect_download() as download_info:
        row.locator("a").click()
    downloaded = Path(download_info.value.path())
    assert downloaded.read_bytes() == PDF

    document = PatientDocument.objects.get()
    log = list(ChartAccess.objects.filter(patient=patient).order_by("id").values_list("action", "user", "document"))
    assert (ChartAccess.Action.VIEW_CHART, receptionist.pk, None) in log
    assert log[-1] == (ChartAccess.Action.DOWNLOAD_DOCUMENT, receptionist.pk, document.pk)


def _current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, int(timezone.now().timestamp()) // 30))


def test_admin_changes_a_role_and_the_users_menu_changes(new_page: Callable[..., Any]) -> None:
    clinic: Clinic = ClinicFactory()
    admin: User = UserFactory(username="chefe", role=roles.ADMIN, is_staff=True, clinics=[clinic])
    secret = generate_totp_secret()
    TOTP.activate(admin, secret)
    worker: User = UserFactory(username="ana", first_name="Ana", role=roles.MANAGER, clinics=[clinic])

    # Ana, a manager, has no patient registry in her menu.
    ana = new_page()
    sign_in(ana, "ana")
    expect(ana.locator("[data-testid=menu]")).to_be_attached()
    assert "/patients/" not in menu_links(ana)

    # The admin signs in with the second factor and makes Ana reception in Django admin.
    boss = new_page()
    sign_in(boss, "chefe")
    expect(boss).to_have_url(re.compile(r"/accounts/2fa/authenticate/"))
    boss.fill("#id_code", _current_code(secret))
    boss.click("main button[type=submit]")
    boss.goto(f"/admin/staff/user/{worker.pk}/change/")
    manager = Group.objects.get(name=roles.MANAGER)
    reception = Group.objects.get(name=roles.RECEPTION)
    boss.select_option("#id_groups_to", str(manager.pk))
    boss.click("#id_groups_remove")
    boss.select_option("#id_groups_from", str(reception.pk))
    boss.click("#id_groups_add")
    boss.click("input[name=_save]")
    expect(boss.locator(".messagelist .success")).to_be_visible()
    assert list(worker.groups.values_list("name", flat=True)) == [roles.RECEPTION]

    # Ana's next page shows the registry.
    ana.reload()
    assert "/patients/" in menu_links(ana)
    assert "/patients/new/" in menu_links(ana)
