"""The rota page, as the people who use it: managers draw the rota up, the rest of the staff read it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from clinic.models import Clinic
from staff import roles
from staff.models import CareUnit, Leave, Shift, ShiftFunction, User
from staff.services import shift_add
from tests.factories import ClinicFactory, PractitionerFactory, UserFactory

pytestmark = pytest.mark.django_db

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
MONDAY = date(2026, 3, 9)  # ISO week 2026-W11
NOW = datetime(2026, 3, 11, 10, tzinfo=SAO_PAULO)  # the Wednesday of that week
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
HTMX = {**EN, "HTTP_HX_REQUEST": "true"}
DASH = "\N{EN DASH}"  # between the times of a shift on the rota


@pytest.fixture(autouse=True)
def _now() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def at(day: date, hour: int, zone: ZoneInfo = SAO_PAULO) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=zone)


@pytest.fixture
def ward(clinic: Clinic) -> CareUnit:
    return CareUnit.objects.create(clinic=clinic, name="Enfermaria 3º andar", kind=CareUnit.Kind.WARD)


@pytest.fixture
def nurse(make_user: Callable[..., User]) -> User:
    return make_user(roles.WARD_NURSE, first_name="Joana", last_name="Prado")


@pytest.fixture
def manager(make_user: Callable[..., User]) -> User:
    return make_user(roles.MANAGER, first_name="Gabriela", last_name="Gestão")


@pytest.fixture
def manager_client(manager: User, client_for: Callable[[User], Client]) -> Client:
    return client_for(manager)


def put_on(user: User, unit: CareUnit, starts_at: datetime, hours: int = 12, **extra: Any) -> Shift:
    fields = {"function": ShiftFunction.NURSE, **extra}
    return shift_add(
        user=user, unit=unit, starts_at=starts_at, ends_at=starts_at + timedelta(hours=hours), by=None, **fields
    )


def shift_form(nurse: User, **overrides: str) -> dict[str, str]:
    return {
        "user": str(nurse.pk),
        "day": "2026-03-10",
        "start_time": "19:00",
        "end_time": "07:00",
        "function": "nurse",
        "notes": "",
        "week": "2026-W11",
        **overrides,
    }


def grid(html: str) -> str:
    match = re.search(r'<table[^>]*data-testid="rota-grid".*?</table>', html, re.S)
    assert match, "the page has no rota grid"
    return match.group(0)


# Reading the rota -----------------------------------------------------------------------------------


def test_the_rota_shows_people_days_shifts_and_counts(
    nurse: User, ward: CareUnit, make_user: Callable[..., User], client_for: Callable[[User], Client]
) -> None:
    colleague = make_user(roles.WARD_NURSE, first_name="Ana", last_name="Brito")
    put_on(nurse, ward, at(MONDAY, 19), notes="Isolamento leito 12")
    put_on(nurse, ward, at(MONDAY + timedelta(days=2), 19))
    put_on(colleague, ward, at(MONDAY, 7), function=ShiftFunction.NURSING_TECHNICIAN)
    put_on(colleague, ward, at(MONDAY + timedelta(days=7), 7))  # next week

    response = client_for(nurse).get(f"/staff/rota/?unit={ward.pk}&week=2026-W11", **EN)

    assert response.status_code == 200
    table = grid(response.content.decode())
    assert table.index("Ana Brito") < table.index("Joana Prado")
    assert table.count('data-testid="shift"') == 3
    assert f"19:00{DASH}07:00" in table
    assert "+1</abbr>" in table
    assert f"07:00{DASH}19:00" in table
    assert "Nursing technician" in table
    assert "Isolamento leito 12" in table
    counts = re.search(r'data-testid="rota-counts".*?</tr>', table, re.S)
    assert counts
    assert re.findall(r"<strong>(\d+)</strong>", counts.group(0)) == ["2", "0", "1", "0", "0", "0", "0"]
    assert "Mon<br>" in table
    assert "09/03" in table


def test_times_are_shown_in_the_clinics_time_zone(
    make_user: Callable[..., User], client_for: Callable[[User], Client]
) -> None:
    manaus = ClinicFactory(time_zone="America/Manaus")
    unit = CareUnit.objects.create(clinic=manaus, name="UTI", kind=CareUnit.Kind.ICU)
    nurse = make_user(roles.WARD_NURSE, clinics=[manaus])
    put_on(nurse, unit, at(MONDAY, 19, zone=ZoneInfo("America/Manaus")))
    table = grid(client_for(nurse).get(f"/staff/rota/?unit={unit.pk}&week=2026-W11", **EN).content.decode())
    assert f"19:00{DASH}07:00" in table


def test_readers_see_no_editing(nurse: User, ward: CareUnit, client_for: Callable[[User], Client]) -> None:
    put_on(nurse, ward, at(MONDAY, 7))
    page = client_for(nurse).get(f"/staff/rota/?unit={ward.pk}", **EN).content.decode()
    assert "Joana Prado" in grid(page)
    assert 'data-testid="shift-form"' not in page
    assert 'data-testid="copy-form"' not in page
    assert "/remove/" not in page


def test_the_page_opens_on_this_week_of_the_first_unit(manager_client: Client, ward: CareUnit) -> None:
    page = manager_client.get("/staff/rota/", **EN).content.decode()
    assert "Enfermaria 3º andar" in page
    assert "2026-W11, 03/09/2026 to 03/15/2026" in page
    assert f'href="/staff/rota/?unit={ward.pk}&amp;week=2026-W10"' in page
    assert f'href="/staff/rota/?unit={ward.pk}&amp;week=2026-W12"' in page
    assert 'value="2026-W11"' in page  # the week input


def test_previous_and_next_weeks(nurse: User, ward: CareUnit, manager_client: Client) -> None:
    put_on(nurse, ward, at(MONDAY + timedelta(days=7), 7))
    page = manager_client.get(f"/staff/rota/?unit={ward.pk}&week=2026-W12", **EN).content.decode()
    assert "Joana Prado" in grid(page)
    assert "03/16/2026 to 03/22/2026" in page
    assert "Joana Prado" not in grid(manager_client.get(f"/staff/rota/?unit={ward.pk}&week=2026-W11").content.decode())


@pytest.mark.parametrize("week", ["2026-W54", "semana 3", "2026-W00", "<script>alert(1)</script>"])
def test_a_bad_week_is_explained_and_this_week_shown(manager_client: Client, ward: CareUnit, week: str) -> None:
    response = manager_client.get("/staff/rota/", {"unit": ward.pk, "week": week}, **EN)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter a week as year and week number, e.g. 2026-W10." in page
    assert "03/09/2026 to 03/15/2026" in page
    assert "<script>alert(1)</script>" not in page


def test_units_are_those_of_the_users_clinics(
    nurse: User, ward: CareUnit, client_for: Callable[[User], Client], manager_client: Client
) -> None:
    other = CareUnit.objects.create(clinic=ClinicFactory(), name="Pronto-socorro distante", kind="emergency")
    closed = CareUnit.objects.create(clinic=ward.clinic, name="Ala fechada", kind="ward", is_active=False)
    client = client_for(nurse)
    page = client.get("/staff/rota/", **EN).content.decode()
    assert "Enfermaria 3º andar" in page
    assert "Pronto-socorro distante" not in page
    assert closed.name not in page
    refused = client.get(f"/staff/rota/?unit={other.pk}", **EN).content.decode()
    assert "Select a valid choice" in refused
    assert "Pronto-socorro distante" not in refused
    assert "Pronto-socorro distante" in manager_client.get(f"/staff/rota/?unit={other.pk}").content.decode()


def test_a_clinic_without_units_says_so(make_user: Callable[..., User], client_for: Callable[[User], Client]) -> None:
    page = client_for(make_user(roles.RECEPTION)).get("/staff/rota/", **EN).content.decode()
    assert 'data-testid="no-units"' in page


def test_leave_is_marked_on_the_rota(make_user: Callable[..., User], ward: CareUnit, manager_client: Client) -> None:
    doctor = make_user(roles.DOCTOR, first_name="Paulo", last_name="Plantonista")
    practitioner = PractitionerFactory(user=doctor)
    put_on(doctor, ward, at(MONDAY, 7), function=ShiftFunction.PHYSICIAN)
    Leave.objects.create(
        practitioner=practitioner,
        kind="sick",
        start_date=MONDAY + timedelta(days=3),
        end_date=MONDAY + timedelta(days=4),
    )
    table = grid(manager_client.get(f"/staff/rota/?unit={ward.pk}", **EN).content.decode())
    assert table.count("On leave") == 2


def test_the_menu_leads_to_the_rota(make_user: Callable[..., User], client_for: Callable[[User], Client]) -> None:
    assert 'href="/staff/rota/"' in client_for(make_user(roles.TRIAGE_NURSE)).get("/").content.decode()
    assert 'href="/staff/rota/"' not in client_for(make_user(roles.LAB)).get("/").content.decode()


def test_the_page_costs_the_same_queries_for_5_and_50_shifts(
    manager_client: Client, ward: CareUnit, make_user: Callable[..., User], django_assert_max_num_queries: Any
) -> None:
    people = [make_user(roles.WARD_NURSE) for _ in range(10)]
    leave_taker = PractitionerFactory(user=people[0])
    Leave.objects.create(
        practitioner=leave_taker,
        kind="training",
        start_date=MONDAY + timedelta(days=6),
        end_date=MONDAY + timedelta(days=6),
    )

    def fill(count: int) -> None:
        for index in range(Shift.objects.count(), count):
            put_on(people[index % 10], ward, at(MONDAY + timedelta(days=index // 10), 7 if index % 2 else 19), hours=8)

    path = f"/staff/rota/?unit={ward.pk}&week=2026-W11"
    fill(5)
    manager_client.get(path)  # fills per-process caches (content types) before counting
    with CaptureQueriesContext(connection) as with_five:
        page = manager_client.get(path).content.decode()
    assert grid(page).count('data-testid="shift"') == 5

    fill(50)
    with django_assert_max_num_queries(len(with_five)):
        page = manager_client.get(path).content.decode()
    assert grid(page).count('data-testid="shift"') == 50


# Adding -------------------------------------------------------------------------------------------


def test_a_manager_adds_a_night_shift(manager: User, manager_client: Client, nurse: User, ward: CareUnit) -> None:
    response = manager_client.post(f"/staff/rota/{ward.pk}/shifts/new/", shift_form(nurse), **EN)
    assert response.status_code == 302
    assert response["Location"] == f"/staff/rota/?unit={ward.pk}&week=2026-W11"
    shift = Shift.objects.get()
    assert (shift.user, shift.unit, shift.function, shift.created_by) == (nurse, ward, "nurse", manager)
    assert (shift.starts_at, shift.ends_at) == (at(date(2026, 3, 10), 19), at(date(2026, 3, 11), 7))
    page = manager_client.get(response["Location"], **EN).content.decode()
    assert "Shift added: Joana Prado, Tue 10/03 19:00-07:00." in page


def test_times_are_read_in_the_clinics_time_zone(
    make_user: Callable[..., User], client_for: Callable[[User], Client]
) -> None:
    belem = ClinicFactory(time_zone="America/Belem")
    unit = CareUnit.objects.create(clinic=belem, name="Recepção", kind=CareUnit.Kind.RECEPTION)
    receptionist = make_user(roles.RECEPTION, clinics=[belem])
    client = client_for(make_user(roles.MANAGER))
    form = shift_form(receptionist, start_time="07:00", end_time="07:00", function="receptionist")
    client.post(f"/staff/rota/{unit.pk}/shifts/new/", form)
    shift = Shift.objects.get()
    assert shift.starts_at == datetime(2026, 3, 10, 10, tzinfo=ZoneInfo("UTC"))  # 07:00 in Belém
    assert shift.ends_at - shift.starts_at == timedelta(hours=24)


def test_adding_through_htmx_refreshes_the_rota_in_place(manager_client: Client, nurse: User, ward: CareUnit) -> None:
    response = manager_client.post(f"/staff/rota/{ward.pk}/shifts/new/", shift_form(nurse, day="2026-03-17"), **HTMX)
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert response["HX-Push-Url"] == f"/staff/rota/?unit={ward.pk}&week=2026-W12"
    assert "Joana Prado" in grid(page)
    assert 'data-testid="notice"' in page
    # the form is ready for the next person of the same shift
    assert 'value="2026-03-17"' in page
    assert 'value="19:00"' in page
    assert Shift.objects.count() == 1


def test_a_clash_is_shown_in_the_form_without_reload(manager_client: Client, nurse: User, ward: CareUnit) -> None:
    put_on(nurse, ward, at(date(2026, 3, 11), 6), hours=6)
    response = manager_client.post(f"/staff/rota/{ward.pk}/shifts/new/", shift_form(nurse, notes="Cobertura"), **HTMX)
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in page
    assert 'data-testid="shift-form-errors"' in page
    assert "Joana Prado already has a shift then: nurse at" in page
    assert "03/11/2026 06:00 - 12:00" in page
    assert 'value="Cobertura"' in page  # what was typed is kept
    assert Shift.objects.count() == 1


def test_leave_is_shown_in_the_form(manager_client: Client, make_user: Callable[..., User], ward: CareUnit) -> None:
    doctor = make_user(roles.DOCTOR, first_name="Paulo", last_name="Plantonista")
    Leave.objects.create(
        practitioner=PractitionerFactory(user=doctor),
        kind="vacation",
        start_date=date(2026, 3, 11),
        end_date=date(2026, 3, 20),
    )
    page = manager_client.post(
        f"/staff/rota/{ward.pk}/shifts/new/", shift_form(doctor, function="physician"), **HTMX
    ).content.decode()
    assert "Paulo Plantonista is on leave (vacation) from 03/11/2026 to 03/20/2026." in page
    assert not Shift.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("user", "", "This field is required."),
        ("user", "999999", "Select a valid choice."),
        ("day", "31/02/2026", "Enter a valid date."),
        ("day", "2031-03-10", "Choose a day within a year from today."),
        ("start_time", "25:00", "Enter a valid time."),
        ("end_time", "", "This field is required."),
        ("function", "astronaut", "Select a valid choice."),
        ("notes", "x" * 201, "Ensure this value has at most 200 characters"),
    ],
)
def test_bad_input_is_refused_next_to_the_field(
    manager_client: Client, nurse: User, ward: CareUnit, field: str, value: str, message: str
) -> None:
    response = manager_client.post(f"/staff/rota/{ward.pk}/shifts/new/", shift_form(nurse, **{field: value}), **HTMX)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Shift.objects.exists()


def test_without_htmx_errors_come_back_on_the_whole_page(manager_client: Client, nurse: User, ward: CareUnit) -> None:
    response = manager_client.post(
        f"/staff/rota/{ward.pk}/shifts/new/", shift_form(nurse, start_time="", notes="Extra"), **EN
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "<html" in page
    assert "This field is required." in page
    assert 'value="Extra"' in page


def test_someone_of_another_clinic_cannot_be_put_on_the_rota(manager_client: Client, ward: CareUnit) -> None:
    outsider = UserFactory(role=roles.WARD_NURSE, clinics=[ClinicFactory()])
    response = manager_client.post(f"/staff/rota/{ward.pk}/shifts/new/", shift_form(outsider), **HTMX)
    assert "Select a valid choice." in response.content.decode()
    assert not Shift.objects.exists()


def test_html_in_notes_is_shown_as_text(manager_client: Client, nurse: User, ward: CareUnit) -> None:
    manager_client.post(f"/staff/rota/{ward.pk}/shifts/new/", shift_form(nurse, notes="<b onmouseover=x>leito</b>"))
    page = manager_client.get(f"/staff/rota/?unit={ward.pk}").content.decode()
    assert "&lt;b onmouseover=x&gt;leito&lt;/b&gt;" in page
    assert "<b onmouseover" not in page


# Removing and copying -------------------------------------------------------------------------------


def test_removing_a_shift_through_htmx(manager_client: Client, nurse: User, ward: CareUnit) -> None:
    shift = put_on(nurse, ward, at(MONDAY, 7))
    response = manager_client.post(f"/staff/shifts/{shift.pk}/remove/", **HTMX)
    page = response.content.decode()
    assert response.status_code == 200
    assert "Shift removed: Joana Prado, Mon 09/03 07:00-19:00." in page
    assert "Joana Prado" not in grid(page)
    assert not Shift.objects.exists()


def test_removing_without_htmx_goes_back_to_the_week(manager_client: Client, nurse: User, ward: CareUnit) -> None:
    shift = put_on(nurse, ward, at(MONDAY + timedelta(days=14), 7))
    response = manager_client.post(f"/staff/shifts/{shift.pk}/remove/", **EN)
    assert response["Location"] == f"/staff/rota/?unit={ward.pk}&week=2026-W13"
    assert not Shift.objects.exists()


def test_copying_a_week_reports_what_was_left_out(
    manager_client: Client, nurse: User, ward: CareUnit, make_user: Callable[..., User]
) -> None:
    doctor = make_user(roles.DOCTOR, first_name="Paulo", last_name="Plantonista")
    Leave.objects.create(
        practitioner=PractitionerFactory(user=doctor),
        kind="vacation",
        start_date=date(2026, 3, 17),
        end_date=date(2026, 3, 17),
    )
    put_on(nurse, ward, at(MONDAY, 19))
    put_on(doctor, ward, at(MONDAY + timedelta(days=1), 7), function=ShiftFunction.PHYSICIAN)
    response = manager_client.post(f"/staff/rota/{ward.pk}/copy/", {"week": "2026-W11"}, **EN)
    assert response["Location"] == f"/staff/rota/?unit={ward.pk}&week=2026-W12"
    page = manager_client.get(response["Location"], **EN).content.decode()
    assert "1 shift copied to the week of 03/16/2026. 1 shift was not copied:" in page
    assert "Paulo Plantonista, Tue 10/03 07:00-19:00: Paulo Plantonista is on leave (vacation)" in page
    assert "Joana Prado" in grid(page)
    assert Shift.objects.count() == 3


def test_copying_through_htmx_shows_the_next_week_with_the_report(
    manager_client: Client, nurse: User, ward: CareUnit
) -> None:
    put_on(nurse, ward, at(MONDAY, 7))
    put_on(nurse, ward, at(MONDAY + timedelta(days=7), 8), hours=2)  # in the way of the copy
    response = manager_client.post(f"/staff/rota/{ward.pk}/copy/", {"week": "2026-W11"}, **HTMX)
    page = response.content.decode()
    assert response["HX-Push-Url"] == f"/staff/rota/?unit={ward.pk}&week=2026-W12"
    assert "0 shifts copied to the week of 03/16/2026. 1 shift was not copied:" in page
    assert "Joana Prado already has a shift then" in page
    assert Shift.objects.count() == 2


@pytest.mark.parametrize("week", ["", "2026-13", "2026-W60"])
def test_copying_a_bad_week_changes_nothing(manager_client: Client, nurse: User, ward: CareUnit, week: str) -> None:
    put_on(nurse, ward, at(MONDAY, 7))
    response = manager_client.post(f"/staff/rota/{ward.pk}/copy/", {"week": week}, **HTMX)
    assert response.status_code == 200
    assert 'class="alert alert-danger"' in response.content.decode()
    assert Shift.objects.count() == 1


# Permissions --------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [roles.WARD_NURSE, roles.TRIAGE_NURSE, roles.DOCTOR, roles.RECEPTION, roles.LAB])
def test_only_managers_and_admins_change_the_rota(
    role: str, nurse: User, ward: CareUnit, make_user: Callable[..., User], client_for: Callable[[User], Client]
) -> None:
    shift = put_on(nurse, ward, at(MONDAY, 7))
    client = client_for(make_user(role))
    assert client.post(f"/staff/rota/{ward.pk}/shifts/new/", shift_form(nurse, day="2026-03-12")).status_code == 403
    assert client.post(f"/staff/shifts/{shift.pk}/remove/").status_code == 403
    assert client.post(f"/staff/rota/{ward.pk}/copy/", {"week": "2026-W11"}).status_code == 403
    assert list(Shift.objects.all()) == [shift]


def test_a_head_nurse_given_the_permissions_edits_only_her_clinics(
    nurse: User, ward: CareUnit, make_user: Callable[..., User], client_for: Callable[[User], Client]
) -> None:
    head = make_user(roles.WARD_NURSE)
    head.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="staff", codename__in=["add_shift", "delete_shift"])
    )
    client = client_for(head)
    assert client.post(f"/staff/rota/{ward.pk}/shifts/new/", shift_form(nurse)).status_code == 302
    far = CareUnit.objects.create(clinic=ClinicFactory(), name="UTI", kind="icu")
    stranger = UserFactory(clinics=[far.clinic])
    elsewhere = put_on(stranger, far, at(MONDAY, 7))
    assert client.post(f"/staff/rota/{far.pk}/shifts/new/", shift_form(stranger)).status_code == 404
    assert client.post(f"/staff/shifts/{elsewhere.pk}/remove/").status_code == 404
    assert client.post(f"/staff/rota/{far.pk}/copy/", {"week": "2026-W11"}).status_code == 404
    assert Shift.objects.count() == 2
