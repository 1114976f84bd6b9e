"""A ward nurse runs her ward in Chromium while a colleague's board follows every step without a reload."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from beds.models import Bed, BedState, RoomSex, WardKind
from staff import roles
from staff.demo import DEMO_PASSWORD
from tests.factories import (
    BedFactory,
    ClinicFactory,
    FloorFactory,
    UserFactory,
    WardFactory,
    WardRoomFactory,
    make_patient,
    make_request,
)


def _sign_in(page: Any, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_login", username)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("main button[type=submit]")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_nurse_admits_transfers_and_discharges_while_the_board_follows(new_page: Callable[..., Any]) -> None:
    from playwright.sync_api import expect

    clinic = ClinicFactory(name="Hospital Paulista")
    floor = FloorFactory(clinic=clinic, level=2, name="2º andar")
    ward = WardFactory(clinic=clinic, floor=floor, code="CM-2", name="Clínica médica", kind=WardKind.GENERAL)
    BedFactory(room=WardRoomFactory(ward=ward, code="201", sex=RoomSex.FEMALE), code="201-A")
    room_202 = WardRoomFactory(ward=ward, code="202")
    BedFactory(room=room_202, code="202-A")
    BedFactory(room=room_202, code="202-B")
    BedFactory(room=WardRoomFactory(ward=ward, code="203"), code="203-A")
    UserFactory(username="enf.ana", role=roles.WARD_NURSE, clinics=[clinic])
    UserFactory(username="enf.bia", role=roles.WARD_NURSE, clinics=[clinic])
    UserFactory(username="dr.rui", role=roles.DOCTOR, clinics=[clinic])
    patient = make_patient(full_name="Carlos Souza", social_name="", sex="M")

    # The doctor asks for a bed from the patient's chart.
    doctor = new_page(locale="en")
    _sign_in(doctor, "dr.rui")
    doctor.goto(f"/patients/{patient.pk}/")
    doctor.get_by_test_id("request-admission").click()
    doctor.locator("#id_origin_floor").select_option(label=str(floor))
    doctor.locator("#id_ward_kind").select_option(label="General ward")
    doctor.locator("#id_priority").select_option(label="Urgent")
    doctor.locator("#id_risk").select_option(label="Orange (very urgent)")
    doctor.fill("#id_reason", "Community-acquired pneumonia, needs IV antibiotics")
    doctor.get_by_role("button", name="Request a bed").click()
    expect(doctor.get_by_test_id("admission-status")).to_have_text("Requested")

    # A colleague at another station keeps the board open.
    watcher = new_page()
    _sign_in(watcher, "enf.bia")
    watcher.goto(f"/beds/?ward={ward.pk}")
    expect(watcher.get_by_test_id("bed-tile")).to_have_count(4)
    watcher.evaluate("window.notReloaded = true")

    def tile(code: str) -> Any:
        return watcher.locator(f"[data-testid=bed-tile][data-bed='{code}']")

    # The nurse opens her ward from the menu and picks the patient waiting for a bed.
    page = new_page(locale="en")
    page.set_viewport_size({"width": 820, "height": 1180})  # a tablet, upright
    _sign_in(page, "enf.ana")
    page.get_by_role("button", name="Open menu").click()
    page.get_by_test_id("menu-group").filter(has_text="Beds").click()
    page.get_by_test_id("menu").get_by_role("link", name="Ward board").click()
    page.locator("#id_ward").select_option(label="CM-2 · Clínica médica")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("state-counts")).to_contain_text("4 beds")
    page.get_by_test_id("board-requests").get_by_role("link", name="Carlos Souza").click()

    # The suggestion leaves out the women's room and says why the first bed comes first.
    suggestions = page.get_by_test_id("suggestion")
    expect(suggestions).to_have_count(3)
    expect(suggestions.first).to_have_attribute("data-bed", "202-A")
    expect(suggestions.first.get_by_test_id("reasons")).to_contain_text("Same floor (2º andar)")
    suggestions.first.get_by_role("button", name="Admit here").click()
    expect(page.get_by_test_id("notice").or_(page.locator(".messages"))).to_contain_text(
        "Carlos Souza admitted to bed 202-A."
    )
    expect(tile("202-A")).to_have_attribute("data-state", "occupied")
    expect(tile("202-A")).to_contain_text("Carlos Souza")

    # Transfer: the empty room comes before the bed beside the one he leaves.
    page.get_by_test_id("transfer-link").click()
    expect(page.get_by_test_id("current-bed")).to_have_text("202-A")
    expect(page.get_by_test_id("suggestion").first).to_have_attribute("data-bed", "203-A")
    page.get_by_test_id("suggestion").first.get_by_role("button", name="Transfer here").click()
    expect(page.locator(".messages")).to_contain_text("Transferred to bed 203-A.")
    expect(tile("203-A")).to_have_attribute("data-state", "occupied")
    expect(tile("202-A")).to_have_attribute("data-state", "cleaning")

    # Discharge home: the bed goes to cleaning, then housekeeping marks it clean.
    page.get_by_test_id("discharge-link").click()
    page.get_by_label("Home").check()
    page.get_by_test_id("discharge-submit").click()
    expect(page.get_by_test_id("admission-status")).to_have_text("Discharged")
    expect(tile("203-A")).to_have_attribute("data-state", "cleaning")
    page.get_by_test_id("admission-stays").get_by_role("link", name="203-A").click()
    page.get_by_test_id("mark-clean").click()
    expect(page.locator(".messages")).to_contain_text("Bed 203-A is clean and available.")
    expect(tile("203-A")).to_have_attribute("data-state", "available")
    expect(watcher.get_by_test_id("count-available")).to_contain_text("3")
    assert watcher.evaluate("window.notReloaded") is True

    # The board works from the keyboard: from the filters, Tab reaches the bed tiles; Enter opens one.
    watcher.get_by_role("button", name="Exibir").focus()
    for _ in range(10):
        watcher.keyboard.press("Tab")
        if watcher.evaluate("document.activeElement.dataset.testid") == "bed-tile":
            break
    assert watcher.evaluate("document.activeElement.dataset.bed") == "201-A"
    watcher.keyboard.press("Enter")
    expect(watcher.get_by_role("heading", level=1)).to_contain_text("201-A")
    assert Bed.objects.get(code="203-A").state == BedState.AVAILABLE


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_manager_downloads_the_occupancy_report_as_xlsx_and_pdf(new_page: Callable[..., Any]) -> None:
    """Two beds, three days, one patient in bed at each of the three midnights: 50 % occupancy."""
    import io
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    import openpyxl
    import pypdf
    from playwright.sync_api import expect

    from beds.services import admission_admit, admission_discharge

    clinic = ClinicFactory(name="Hospital Paulista", time_zone="America/Sao_Paulo")
    zone = ZoneInfo(clinic.time_zone)
    ward = WardFactory(clinic=clinic, floor=FloorFactory(clinic=clinic), code="CM-2", name="Clínica médica")
    room = WardRoomFactory(ward=ward, code="202")
    first = BedFactory(room=room, code="202-A")
    BedFactory(room=room, code="202-B")
    nurse = UserFactory(role=roles.WARD_NURSE, clinics=[clinic])
    UserFactory(username="gestora", role=roles.MANAGER, clinics=[clinic])
    end = datetime.now(tz=zone).date() - timedelta(days=1)
    start = end - timedelta(days=2)
    admission = make_request(clinic=clinic, by=nurse)
    admit_at = datetime.combine(start - timedelta(days=1), time(20), tzinfo=zone)
    admission_admit(admission=admission, bed=first, by=nurse, at=admit_at)
    admission_discharge(admission=admission, kind="home", by=nurse, at=datetime.combine(end, time(10), tzinfo=zone))

    page = new_page(locale="en")
    _sign_in(page, "gestora")
    page.get_by_test_id("menu-group").filter(has_text="Management").click()
    page.get_by_test_id("menu").get_by_role("link", name="Occupancy report").click()
    page.fill("#id_start", start.isoformat())
    page.fill("#id_end", end.isoformat())
    page.locator("#id_clinic").select_option(value=str(clinic.pk))
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("occupancy-rate")).to_have_text("50.00 %")
    expect(page.get_by_test_id("average-length-of-stay")).to_contain_text("3.00")
    expect(page.get_by_test_id("day")).to_have_count(3)

    with page.expect_download() as xlsx_download:
        page.get_by_test_id("downloads").get_by_role("link", name="XLSX").click()
    assert xlsx_download.value.suggested_filename == f"occupancy-{start}-{end}.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(xlsx_download.value.path().read_bytes()))
    cells = [cell for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for cell in row]
    assert 50 in cells or 50.0 in cells  # the period's occupancy rate, as a number
    assert 3 in cells  # patient-days and the average length of stay

    with page.expect_download() as pdf_download:
        page.get_by_test_id("downloads").get_by_role("link", name="PDF").click()
    pdf = pypdf.PdfReader(pdf_download.value.path())
    text = " ".join(p.extract_text() for p in pdf.pages)
    assert "50.00" in text and "Hospital Paulista" in text
