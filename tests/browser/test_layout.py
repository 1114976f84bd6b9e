"""Issue 11, item 9: every role's pages fit an ordinary laptop (1366 x 768) and a tablet, in Portuguese.

Nothing makes the page scroll sideways, the expanded navigation bar is one row with every item on
screen, and on a tablet the bar folds behind the toggler and opens inside the screen.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.conf import settings
from django.test import Client
from django.utils import timezone
from playwright.sync_api import Page, expect

from beds.services import admission_admit, admission_discharge, bed_block, bed_reserve
from clinic.models import Clinic, Room
from exams.services import order_create
from messaging.services import message_enqueue
from patients.models import Patient
from scheduling.services import appointment_book
from staff import roles
from staff.models import CareUnit, PractitionerSpecialty, User, WorkingHours
from tests.factories import (
    BedFactory,
    CareUnitFactory,
    ClinicFactory,
    FloorFactory,
    PractitionerFactory,
    RoomFactory,
    SpecialtyFactory,
    UserFactory,
    WardFactory,
    WardRoomFactory,
    make_blood_count,
    make_patient,
    make_request,
)
from triage.services import assessment_record, visit_arrive

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}
# Smaller laptops (a 1920 px screen at 150 %), down to where the bar folds.
LAPTOPS = [LAPTOP, {"width": 1280, "height": 800}, {"width": 1200, "height": 800}]
TABLETS = [{"width": 1024, "height": 768}, {"width": 768, "height": 1024}]
LONG_BED_CODES = ["205-A", "205-B", "UTI-12B", "UTI-12C", "UTI-NEO-12B", "ISOLAMENTO-PED-01", "UTI-NEONATAL-0012-AB"]
PRACTITIONERS = 8


@dataclass
class Hospital:
    clinic: Clinic
    patient: Patient
    day: date


def _clinic_day(clinic: Clinic, patients: list[Patient], by: User) -> date:
    """Eight practitioners with appointments tomorrow, so the clinic day has more columns than fit."""
    zone = ZoneInfo(clinic.time_zone)
    day = datetime.now(tz=zone).date() + timedelta(days=1)
    specialty = SpecialtyFactory(name="Clínica médica", code="clinica-medica", default_duration=30)
    for n in range(PRACTITIONERS):
        room = RoomFactory(floor__clinic=clinic, clinic=clinic, kind=Room.Kind.CONSULTING, code=f"C-{n + 1:02d}")
        practitioner = PractitionerFactory(user__clinics=[clinic], user__role=roles.DOCTOR)
        PractitionerSpecialty.objects.create(practitioner=practitioner, specialty=specialty, duration=30)
        WorkingHours.objects.create(
            practitioner=practitioner,
            clinic=clinic,
            room=room,
            weekday=day.weekday(),
            start_time=time(8),
            end_time=time(12),
            valid_from=day - timedelta(days=7),
        )
        for offset, patient in zip((0, 3, 6), patients, strict=False):
            slot = (n + offset) % PRACTITIONERS  # a patient is in one place at a time
            appointment_book(
                patient=patient,
                practitioner=practitioner,
                specialty=specialty,
                starts_at=datetime.combine(day, time(8 + slot // 2, 30 * (slot % 2)), tzinfo=zone),
                by=by,
            )
    return day


def _ward(clinic: Clinic, patients: list[Patient], by: User) -> None:
    """A ward whose beds have long codes, in every state, the occupied ones by patients with long names."""
    ward = WardFactory(clinic=clinic, floor=FloorFactory(clinic=clinic), code="UTI-ADULTO", name="Terapia intensiva")
    room = WardRoomFactory(ward=ward, code="205")
    beds = {code: BedFactory(room=room, code=code) for code in LONG_BED_CODES}
    for code, patient in zip(["205-A", "205-B"], patients, strict=True):
        admission_admit(admission=make_request(patient=patient, clinic=clinic, by=by), bed=beds[code], by=by)
    for code in ["UTI-12B", "UTI-NEONATAL-0012-AB"]:
        admission = make_request(clinic=clinic, by=by)
        admission_admit(admission=admission, bed=beds[code], by=by)
        admission_discharge(admission=admission, kind="home", by=by)
    bed_block(bed=beds["UTI-12C"], reason="Manutenção do monitor multiparamétrico", by=by)
    waiting = make_request(clinic=clinic, by=by)
    bed_reserve(bed=beds["UTI-NEO-12B"], admission=waiting, until=timezone.now() + timedelta(hours=2), by=by)


def hospital() -> Hospital:
    clinic = ClinicFactory(name="Hospital Municipal Doutor Arthur Ribeiro de Saboya")
    author = UserFactory(username="author", clinics=[clinic])
    patients = [
        make_patient(by=author, full_name=name, home_clinic=clinic)
        for name in (
            "Maria Aparecida dos Santos Albuquerque",
            "José Carlos Pereira da Silva Nogueira",
            "Ana Beatriz Cavalcanti de Oliveira",
        )
    ]
    day = _clinic_day(clinic, patients, author)
    _ward(clinic, patients[:2], author)
    CareUnitFactory(clinic=clinic, name="Laboratório central", kind=CareUnit.Kind.LABORATORY)
    order_create(patient=patients[0], exam=make_blood_count(), clinic=clinic, by=author)
    visit = visit_arrive(clinic=clinic, patient=patients[2], by=author, note="Dor torácica há duas horas")
    assessment_record(visit=visit, by=author, complaint="Dor torácica", vitals={"spo2": 93}, signs=[])
    message_enqueue(
        channel="sms",
        to="+5511987654321",
        body="Lembrete da sua consulta de amanhã",
        purpose="appointment_reminder",
        dedupe_key="layout",
        clinic=clinic,
        send_after=timezone.now() + timedelta(hours=1),
    )
    return Hospital(clinic=clinic, patient=patients[0], day=day)


def sign_in_as(page: Page, base_url: str, role: str, clinic: Clinic) -> User:
    """A user of ``role`` with a long name, signed in through the session cookie."""
    user = UserFactory(
        role=role,
        clinics=[clinic],
        first_name="Maria Aparecida",
        last_name="Albuquerque dos Santos",
        is_staff=role == roles.ADMIN,
    )
    if role == roles.ADMIN:
        TOTP.activate(user, generate_totp_secret())
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": base_url}])
    return user


@dataclass(frozen=True)
class MainPage:
    name: str
    path: str  # with {clinic}, {patient} and {day} from the hospital
    permission: str  # the one its menu entry asks for


MAIN_PAGES = [
    MainPage("patient search", "/patients/?q=maria", "patients.view_patient"),
    MainPage("chart", "/patients/{patient}/", "patients.view_patient"),
    MainPage("booking", "/scheduling/book/", "scheduling.add_appointment"),
    MainPage("reception board", "/scheduling/board/?clinic={clinic}&date={day}", "scheduling.change_appointment"),
    MainPage("agenda", "/scheduling/agenda/?date={day}", "scheduling.view_appointment"),
    MainPage("clinic day", "/scheduling/day/?clinic={clinic}&date={day}", "scheduling.view_appointment"),
    MainPage("ward board", "/beds/?clinic={clinic}", "beds.view_bed"),
    MainPage("triage queue", "/triage/?clinic={clinic}", "triage.view_visit"),
    MainPage("exam worklist", "/exams/worklist/", "exams.enter_result"),
    MainPage("outbox", "/messages/", "messaging.view_message"),
    MainPage("occupancy report", "/reports/occupancy/", "reports.view_occupancy_report"),
]

NAVBAR_ITEMS = """() => [
  document.querySelector("[data-testid=brand]"),
  ...document.querySelectorAll("[data-testid=menu] > li > a"),
  document.querySelector("[data-testid=language] > button"),
  document.querySelector("[data-testid=notification-bell]"),
  document.querySelector("[data-testid=user-menu]"),
].map((item) => {
  const box = item.getBoundingClientRect();
  return {name: item.textContent.replace(/\\s+/g, " ").trim() || item.dataset.testid,
          left: box.left, right: box.right, top: box.top, bottom: box.bottom};
})"""


@dataclass(frozen=True)
class Box:
    name: str
    left: float
    right: float
    top: float
    bottom: float

    def inside(self, viewport: dict[str, int]) -> bool:
        shown = self.right > self.left and self.bottom > self.top
        return shown and self.left >= 0 and self.top >= 0 and self.right <= viewport["width"]


def navbar_items(page: Page) -> list[Box]:
    return [Box(**item) for item in page.evaluate(NAVBAR_ITEMS)]


def sideways_scroll(page: Page, where: str) -> list[str]:
    scroll_width, window_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    if scroll_width <= window_width:
        return []
    return [f"{where}: the page is {scroll_width} px wide in a {window_width} px window"]


def assert_no_sideways_scroll(page: Page, where: str) -> None:
    assert sideways_scroll(page, where) == []


def bar_not_one_row(page: Page, where: str) -> list[str]:
    viewport = page.viewport_size
    assert viewport
    expect(page.locator(".navbar-toggler")).to_be_hidden()
    items = navbar_items(page)
    problems = [f"{where}: {item.name!r} is cut off the bar" for item in items if not item.inside(viewport)]
    middles = [(item.top + item.bottom) / 2 for item in items]
    tallest = max(item.bottom - item.top for item in items)
    if max(middles) - min(middles) > 4 or tallest > 44:
        problems.append(f"{where}: the bar is not one row: {items}")
    return problems


def drop_downs_off_screen(page: Page, where: str) -> list[str]:
    viewport = page.viewport_size
    assert viewport
    problems = []
    toggles = page.locator("nav [data-bs-toggle=dropdown]")
    for index in range(toggles.count()):
        toggle = toggles.nth(index)
        toggle.click()
        menu = toggle.locator("xpath=following-sibling::ul[contains(@class, 'dropdown-menu')]")
        expect(menu).to_be_visible()
        box = menu.bounding_box()
        if not box or box["x"] < 0 or box["x"] + box["width"] > viewport["width"]:
            problems.append(f"{where}: the drop-down of {toggle.inner_text()!r} opens off screen: {box}")
        page.keyboard.press("Escape")
        expect(menu).to_be_hidden()
    return problems


def bar_not_folded(page: Page, where: str) -> list[str]:
    viewport = page.viewport_size
    assert viewport
    toggler = page.locator(".navbar-toggler")
    expect(toggler).to_be_visible()
    expect(page.get_by_test_id("menu")).to_be_hidden()
    toggler.click()
    expect(page.locator("#main-nav")).to_have_class(re.compile(r"\bshow\b"))  # the opening animation is over
    items = navbar_items(page)
    problems = [f"{where}: {item.name!r} is cut off the opened menu" for item in items if not item.inside(viewport)]
    if max(item.bottom for item in items) > viewport["height"]:
        problems.append(f"{where}: the opened menu is taller than the screen")
    problems += sideways_scroll(page, f"{where}, menu open")
    toggler.click()
    expect(page.get_by_test_id("menu")).to_be_hidden()
    return problems


def open_page(page: Page, path: str) -> None:
    """Open ``path`` and wait for the parts HTMX loads with it (chart panels, the bell)."""
    response = page.goto(path)
    assert response and response.ok, f"{path}: {response and response.status}"
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def size_name(size: dict[str, int]) -> str:
    return f"{size['width']}x{size['height']}"


def test_every_roles_pages_fit_a_laptop_and_a_tablet(new_page: Callable[..., Page], live_server: Any) -> None:
    """One hospital for all the roles; every problem found is reported at the end, for all roles at once."""
    place = hospital()
    problems: list[str] = []
    for role in roles.ALL_ROLES:
        found_before = len(problems)
        page = new_page("pt-BR")
        page.emulate_media(reduced_motion="reduce")  # Bootstrap then opens the menu without animating it
        user = sign_in_as(page, live_server.url, role, place.clinic)

        page.set_viewport_size(LAPTOP)
        open_page(page, "/")
        for size in LAPTOPS:
            page.set_viewport_size(size)
            problems += bar_not_one_row(page, f"{role}, home, {size_name(size)}")
            problems += sideways_scroll(page, f"{role}, home, {size_name(size)}")
        page.set_viewport_size(LAPTOP)
        problems += drop_downs_off_screen(page, f"{role}, home, {size_name(LAPTOP)}")
        for size in TABLETS:
            page.set_viewport_size(size)
            problems += bar_not_folded(page, f"{role}, home, {size_name(size)}")

        for main_page in [main_page for main_page in MAIN_PAGES if user.has_perm(main_page.permission)]:
            page.set_viewport_size(LAPTOP)
            open_page(page, main_page.path.format(clinic=place.clinic.pk, patient=place.patient.pk, day=place.day))
            for size in [LAPTOP, *TABLETS]:
                page.set_viewport_size(size)
                problems += sideways_scroll(page, f"{role}, {main_page.name}, {size_name(size)}")
        if len(problems) == found_before:
            page.context.close()  # only a role with problems leaves its screenshot in test-artifacts/
    assert problems == [], "\n".join(problems)


BED_CODES = """() => [...document.querySelectorAll("[data-testid=bed-tile]")].map((tile) => {
  const code = tile.querySelector("[data-testid=bed-code]");
  const text = document.createRange();
  text.selectNodeContents(code);
  const lines = new Set([...text.getClientRects()].map((line) => Math.round(line.top))).size;
  const [box, inner] = [code.getBoundingClientRect(), tile.getBoundingClientRect()];
  return {code: code.textContent.trim(), lines, inside: box.left >= inner.left && box.right <= inner.right};
})"""


def test_the_ward_board_shows_long_bed_codes_whole(new_page: Callable[..., Page], live_server: Any) -> None:
    clinic = ClinicFactory(name="Hospital Municipal Doutor Arthur Ribeiro de Saboya")
    author = UserFactory(clinics=[clinic])
    _ward(clinic, [make_patient(by=author, full_name="Maria Aparecida dos Santos Albuquerque"), make_patient()], author)
    page = new_page("pt-BR")
    sign_in_as(page, live_server.url, roles.WARD_NURSE, clinic)
    page.set_viewport_size(LAPTOP)
    open_page(page, f"/beds/?clinic={clinic.pk}")
    expect(page.get_by_test_id("bed-tile")).to_have_count(len(LONG_BED_CODES))
    expect(page.get_by_test_id("count-cleaning")).to_contain_text("2")  # "Em higienização", the longest state

    for size in [LAPTOP, *TABLETS]:
        page.set_viewport_size(size)
        codes = page.evaluate(BED_CODES)
        assert sorted(code["code"] for code in codes) == sorted(LONG_BED_CODES)
        assert [code for code in codes if code["lines"] != 1 or not code["inside"]] == [], size_name(size)
        assert_no_sideways_scroll(page, f"ward board, {size_name(size)}")


COLUMNS = """(box) => {
  const edge = box.getBoundingClientRect();
  const columns = [...box.querySelectorAll("[data-testid=calendar-column]")].map((c) => c.getBoundingClientRect());
  return {cut: columns.filter((c) => c.right > edge.right + 1).length,
          firstShown: columns.findIndex((c) => c.left >= edge.left - 1),
          scrolls: box.scrollWidth > box.clientWidth,
          fadeAtEnd: getComputedStyle(box.parentElement, "::after").opacity};
}"""


def test_the_clinic_day_scrolls_its_columns_in_their_box_and_says_how_many_more(
    new_page: Callable[..., Page], live_server: Any
) -> None:
    clinic = ClinicFactory(name="Hospital Municipal Doutor Arthur Ribeiro de Saboya")
    author = UserFactory(clinics=[clinic])
    day = _clinic_day(clinic, [make_patient(by=author) for _ in range(3)], author)
    page = new_page("pt-BR")
    page.emulate_media(reduced_motion="reduce")  # the button's scroll jumps instead of gliding
    sign_in_as(page, live_server.url, roles.RECEPTION, clinic)
    page.set_viewport_size(LAPTOP)
    open_page(page, f"/scheduling/day/?clinic={clinic.pk}&date={day}")
    box = page.get_by_test_id("calendar-columns")
    more = page.get_by_test_id("more-columns")
    expect(page.get_by_test_id("calendar-column")).to_have_count(PRACTITIONERS)

    # Eight practitioners side by side do not fit: the row scrolls in its box, the page does not.
    for size in [LAPTOP, *TABLETS]:
        page.set_viewport_size(size)
        columns = box.evaluate(COLUMNS)
        assert columns["scrolls"] and 0 < columns["cut"] < PRACTITIONERS, size_name(size)
        expect(more).to_be_visible()
        expect(more.locator("span:visible")).to_have_text(re.compile(rf"(^|\D){columns['cut']}(\D|$)"))
        assert columns["fadeAtEnd"] == "1", f"no fade on the cut edge at {size_name(size)}"
        assert_no_sideways_scroll(page, f"clinic day, {size_name(size)}")

    # The button brings the first cut column to the front; at the end of the row nothing more is announced.
    page.set_viewport_size(LAPTOP)
    first_cut = PRACTITIONERS - box.evaluate(COLUMNS)["cut"]
    more.click()
    expect(box.locator("xpath=..")).to_have_class(re.compile(r"\bcut-start\b"))
    assert box.evaluate(COLUMNS)["firstShown"] == first_cut
    box.evaluate("(box) => box.scrollTo({left: box.scrollWidth})")
    expect(more).to_be_hidden()
    assert box.evaluate(COLUMNS)["cut"] == 0
    assert_no_sideways_scroll(page, "clinic day, scrolled to the end")
