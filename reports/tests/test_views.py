"""The occupancy report as a manager reaches it: the page, its three downloads, bad input, permissions."""

from __future__ import annotations

import csv
import io
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html import unescape
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.test import Client
from openpyxl import load_workbook
from pypdf import PdfReader

from beds.models import Ward
from clinic.models import Clinic
from reports.tests.setup import END, NOW, START, WARD_DAYS, WARD_TOTALS, HandCase, build_hand_case, simulate
from staff import roles
from staff.models import User
from tests.factories import ClinicFactory, UserFactory, WardFactory

PAGE = "/reports/occupancy/"
PERIOD = {"start": START.isoformat(), "end": END.isoformat()}


def download_url(fmt: str) -> str:
    return f"/reports/occupancy/download/{fmt}/"


@pytest.fixture(autouse=True)
def _frozen_now() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def hand(clinic: Clinic) -> HandCase:
    return build_hand_case(clinic)


@pytest.fixture
def manager(hand: HandCase, make_user: Callable[..., User]) -> User:
    return make_user(roles.MANAGER, clinics=[hand.clinic])


@pytest.fixture
def english(client_for: Callable[[User], Client]) -> Callable[[User], Client]:
    def make(user: User) -> Client:
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


def ward_query(hand: HandCase) -> dict[str, Any]:
    return {**PERIOD, "clinic": hand.clinic.pk, "ward": hand.ward.pk}


def text_of(response: Any) -> str:
    return unescape(response.content.decode()).replace("\xa0", " ")


def table_rows(page: str) -> list[list[str]]:
    """The cells of the daily table's rows, tags stripped."""
    rows = re.findall(r'<tr data-testid="day">(.*?)</tr>', page, re.S)
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in rows
    ]


def by_testid(page: str, name: str) -> str:
    match = re.search(rf'data-testid="{name}"[^>]*>(.*?)</', page, re.S)
    assert match, name
    return " ".join(match.group(1).split())


# The page ------------------------------------------------------------------------------------------


def test_the_page_shows_the_hand_computed_figures_with_portuguese_decimals(
    hand: HandCase, manager: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(manager).get(PAGE, ward_query(hand))

    assert response.status_code == 200
    page = text_of(response)
    # Date, census, available beds, occupancy rate, admissions, discharges, deaths, as the ward computed by hand.
    assert [row[1:] for row in table_rows(page)] == [
        ["2", "2", "100,00", "1", "2", "0"],
        ["1", "2", "50,00", "2", "0", "0"],
        ["3", "3", "100,00", "1", "3", "1"],
    ]
    assert [row[0] for row in table_rows(page)] == ["dom. 01/03/2026", "seg. 02/03/2026", "ter. 03/03/2026"]
    assert by_testid(page, "occupancy-rate") == "85,71 %"
    assert by_testid(page, "average-length-of-stay").startswith("1,40 ")
    assert by_testid(page, "bed-turnover") == "2,14"
    assert by_testid(page, "patient-days") == "6"
    assert by_testid(page, "available-bed-days").startswith("7 <span")
    assert "(2,33 " in page
    assert by_testid(page, "deaths") == "1"
    assert f"{hand.clinic.code} · W · Enfermaria W" in by_testid(page, "scope")


def test_the_page_draws_the_chart_on_the_server(
    hand: HandCase, manager: User, english: Callable[[User], Client]
) -> None:
    page = text_of(english(manager).get(PAGE, ward_query(hand)))

    svg = re.search(r'<svg [^>]*data-testid="chart".*?</svg>', page, re.S)
    assert svg
    chart = svg.group(0)
    assert 'role="img"' in chart
    assert '<title id="chart-title">Census at midnight and available beds</title>' in chart
    assert "highest census 3 on 03/03/2026; occupancy rate of the period 85.71 %" in chart
    # One bar per day, each telling its day; the census of 2, 1, 3 beds in bars of those heights.
    titles = re.findall(r"<rect [^>]*><title>(.*?)</title></rect>", chart)
    assert titles == [
        "03/01/2026: census 2, available beds 2",
        "03/02/2026: census 1, available beds 2",
        "03/03/2026: census 3, available beds 3",
    ]
    heights = [float(h) for h in re.findall(r'<rect [^>]*height="([\d.]+)"><title>', chart)]
    assert heights[0] == pytest.approx(2 * heights[1])
    assert heights[2] == pytest.approx(3 * heights[1])
    # Coordinates keep a dot as the decimal mark in every language.
    assert re.search(r'<polyline points="[\d., ]+"', chart)


def test_the_page_opens_on_the_last_30_days_of_all_my_clinics(
    hand: HandCase, manager: User, english: Callable[[User], Client]
) -> None:
    page = text_of(english(manager).get(PAGE))

    assert len(table_rows(page)) == 30
    assert 'name="start" value="2026-02-09"' in page
    assert 'name="end" value="2026-03-10"' in page
    assert "All my clinics" in by_testid(page, "scope")


def test_the_page_offers_the_downloads_with_the_same_parameters(
    hand: HandCase, manager: User, english: Callable[[User], Client]
) -> None:
    page = english(manager).get(PAGE, ward_query(hand)).content.decode()

    query = f"start=2026-03-01&amp;end=2026-03-03&amp;clinic={hand.clinic.pk}&amp;ward={hand.ward.pk}"
    for fmt in ("csv", "xlsx", "pdf"):
        assert f'href="{download_url(fmt)}?{query}"' in page


def test_the_menu_shows_the_report_to_managers_only(
    hand: HandCase, manager: User, make_user: Callable[..., User], english: Callable[[User], Client]
) -> None:
    assert f'href="{PAGE}"' in english(manager).get("/").content.decode()
    assert f'href="{PAGE}"' not in english(make_user(roles.WARD_NURSE)).get("/").content.decode()


# The downloads -------------------------------------------------------------------------------------


def csv_parts(response: Any, delimiter: str) -> tuple[list[list[str]], dict[str, str]]:
    """The daily table's rows and the totals (measure: value), read as a program reads the file."""
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    days_part, totals_part = text.split("\r\n\r\n")
    days = list(csv.reader(io.StringIO(days_part), delimiter=delimiter))
    totals = dict(csv.reader(io.StringIO(totals_part), delimiter=delimiter))
    return days, totals


def test_the_csv_speaks_portuguese_with_decimal_commas_semicolons_and_iso_dates(
    hand: HandCase, manager: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(manager).get(download_url("csv"), ward_query(hand))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="occupancy-2026-03-01-2026-03-03.csv"'
    days, totals = csv_parts(response, delimiter=";")
    assert days[0] == [
        "Data",
        "Censo",
        "Leitos disponíveis",
        "Taxa de ocupação (%)",
        "Internações",
        "Altas",
        "Óbitos",
    ]
    assert days[1:] == [
        ["2026-03-01", "2", "2", "100,00", "1", "2", "0"],
        ["2026-03-02", "1", "2", "50,00", "2", "0", "0"],
        ["2026-03-03", "3", "3", "100,00", "1", "3", "1"],
    ]
    assert totals["Medida"] == "Valor"
    assert totals["A partir de"] == "2026-03-01"
    assert totals["Até"] == "2026-03-03"
    assert totals["Taxa de ocupação (%)"] == "85,71"
    assert totals["Tempo médio de permanência (dias)"] == "1,40"
    assert totals["Pacientes-dia"] == "6"
    assert totals["Óbitos"] == "1"


def test_the_csv_in_english_has_commas_between_fields_and_dots_in_decimals(
    hand: HandCase, manager: User, english: Callable[[User], Client]
) -> None:
    days, totals = csv_parts(english(manager).get(download_url("csv"), ward_query(hand)), delimiter=",")

    assert days[0] == ["Date", "Census", "Available beds", "Occupancy rate (%)", "Admissions", "Discharges", "Deaths"]
    assert days[1:] == [[d.isoformat(), *(str(v) for v in rest)] for d, *rest in WARD_DAYS]
    assert totals["Measure"] == "Value"
    assert totals["From"] == "2026-03-01"
    assert totals["To"] == "2026-03-03"
    labels = {
        "patient_days": "Patient-days",
        "available_bed_days": "Available bed-days",
        "occupancy_rate": "Occupancy rate (%)",
        "admissions": "Admissions",
        "discharges": "Discharges",
        "deaths": "Deaths",
        "average_length_of_stay": "Average length of stay (days)",
        "bed_turnover": "Bed turnover",
        "average_available_beds": "Average available beds",
    }
    assert {labels[key]: totals[labels[key]] for key in WARD_TOTALS} == {
        labels[key]: str(value) for key, value in WARD_TOTALS.items()
    }
    assert totals["Occupancy rate (%)"] == "85.71"


def test_the_csv_starts_with_the_byte_order_mark_that_tells_excel_it_is_utf8(
    hand: HandCase, manager: User, client_for: Callable[[User], Client]
) -> None:
    content = b"".join(client_for(manager).get(download_url("csv"), ward_query(hand)).streaming_content)

    assert content.startswith("\ufeffData;Censo;".encode())


def test_the_xlsx_has_the_hand_computed_figures(
    hand: HandCase, manager: User, english: Callable[[User], Client]
) -> None:
    response = english(manager).get(download_url("xlsx"), ward_query(hand))

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="occupancy-2026-03-01-2026-03-03.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    header = rows.index(
        ["Date", "Census", "Available beds", "Occupancy rate (%)", "Admissions", "Discharges", "Deaths"]
    )
    days = [[cell.date(), *cells] for cell, *cells in rows[header + 1 :]]
    assert days == [[d, c, a, float(r), ad, di, de] for d, c, a, r, ad, di, de in WARD_DAYS]
    labels = {row[0]: row[1] for row in rows[:header] if row and row[0]}
    assert labels["Occupancy rate (%)"] == 85.71
    assert labels["Average length of stay (days)"] == 1.4
    assert labels["Patient-days"] == 6
    assert labels["Available bed-days"] == 7
    assert labels["Bed turnover"] == 2.14
    assert labels["Deaths"] == 1
    assert labels["From"].date().isoformat() == "2026-03-01"


def pdf_text(response: Any) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)


def test_the_pdf_has_the_hand_computed_figures_and_the_chart(
    hand: HandCase, manager: User, english: Callable[[User], Client]
) -> None:
    response = english(manager).get(download_url("pdf"), ward_query(hand))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="occupancy-2026-03-01-2026-03-03.pdf"'
    text = pdf_text(response)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    # The daily table: date, census, available beds, occupancy rate, admissions, discharges, deaths.
    assert "03/01/2026 2 2 100.00 1 2 0" in lines
    assert "03/02/2026 1 2 50.00 2 0 0" in lines
    assert "03/03/2026 3 3 100.00 1 3 1" in lines
    assert "Occupancy rate (%) 85.71" in " ".join(lines)
    assert "Average length of stay (days) 1.40" in " ".join(lines)
    assert "Census at midnight" in text
    assert "Occupancy report" in text


def test_the_pdf_speaks_portuguese_by_default(
    hand: HandCase, manager: User, client_for: Callable[[User], Client]
) -> None:
    text = pdf_text(client_for(manager).get(download_url("pdf"), ward_query(hand)))

    lines = [" ".join(line.split()) for line in text.splitlines()]
    assert "02/03/2026 1 2 50,00 2 0 0" in lines
    assert "85,71" in text
    assert "1,40" in text


def test_an_unknown_format_is_not_found(hand: HandCase, manager: User, english: Callable[[User], Client]) -> None:
    assert english(manager).get(download_url("docx"), ward_query(hand)).status_code == 404


def test_names_typed_by_administrators_stay_text_in_every_format(
    hand: HandCase, manager: User, english: Callable[[User], Client]
) -> None:
    # A code that starts like a formula, a name with markup and characters outside Latin-1.
    Clinic.objects.filter(pk=hand.clinic.pk).update(code="-1-1")
    Ward.objects.filter(pk=hand.ward.pk).update(name="<script>alert(1)</script> — 東")
    client = english(manager)

    csv_text = b"".join(client.get(download_url("csv"), ward_query(hand)).streaming_content).decode()
    sheet = load_workbook(io.BytesIO(client.get(download_url("xlsx"), ward_query(hand)).content)).active
    pdf = client.get(download_url("pdf"), ward_query(hand))
    page = client.get(PAGE, ward_query(hand)).content.decode()

    assert "Scope,'-1-1 · W · <script>alert(1)</script> — 東\r\n" in csv_text
    assert sheet["B2"].value == "-1-1 · W · <script>alert(1)</script> — 東"
    assert sheet["B2"].data_type == "s"
    assert pdf.status_code == 200
    assert "-1-1 · W · <script>alert(1)</script> - ?" in pdf_text(pdf)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; — 東" in page
    assert "<script>alert(1)" not in page


# Bad input -----------------------------------------------------------------------------------------


@dataclass
class Network:
    """The reader's clinic with a ward, a sister clinic they also have, and a clinic that is not theirs."""

    clinic: Clinic
    ward: Ward
    sister_clinic: Clinic
    sister_ward: Ward
    other_clinic: Clinic
    other_ward: Ward
    reader: User


@pytest.fixture
def network(clinic: Clinic) -> Network:
    sister_clinic, other_clinic = ClinicFactory(), ClinicFactory()
    reader = UserFactory(clinics=[clinic, sister_clinic])
    # The report's permission given one by one: a head of ward, who does not see every clinic.
    reader.user_permissions.add(Permission.objects.get(codename="view_occupancy_report"))
    return Network(
        clinic=clinic,
        ward=WardFactory(floor__clinic=clinic),
        sister_clinic=sister_clinic,
        sister_ward=WardFactory(floor__clinic=sister_clinic),
        other_clinic=other_clinic,
        other_ward=WardFactory(floor__clinic=other_clinic),
        reader=reader,
    )


# Name -> (parameters, the message the reader gets).
BAD_INPUT: dict[str, tuple[Callable[[Network], dict[str, Any]], str]] = {
    "end before start": (
        lambda n: {"start": "2026-03-03", "end": "2026-03-01"},
        "The period must end on or after the day it starts.",
    ),
    "400 days": (
        lambda n: {"start": "2025-01-01", "end": "2026-02-04"},
        "The period can be 366 days long at most; this one has 400.",
    ),
    "words for a date": (lambda n: {"start": "yesterday", "end": "2026-03-01"}, "Enter a valid date."),
    "a day that does not exist": (lambda n: {"start": "2026-02-30", "end": "2026-03-01"}, "Enter a valid date."),
    "script for a date": (lambda n: {"start": "<script>alert(1)</script>", "end": "2026-03-01"}, "Enter a valid date."),
    "year 10000": (lambda n: {"start": "2026-03-01", "end": "10000-01-01"}, "Enter a valid date."),
    "a date too long": (lambda n: {"start": "2026-03-01" * 500, "end": "2026-03-01"}, "Enter a valid date."),
    "no dates": (lambda n: {"clinic": ""}, "This field is required."),
    "a clinic not mine": (lambda n: {**PERIOD, "clinic": n.other_clinic.pk}, "Select a valid choice."),
    "a ward not mine": (lambda n: {**PERIOD, "ward": n.other_ward.pk}, "Select a valid choice."),
    "a ward of another clinic": (
        lambda n: {**PERIOD, "clinic": n.clinic.pk, "ward": n.sister_ward.pk},
        "This ward belongs to another clinic; choose one of",
    ),
    "a clinic that is not a number": (lambda n: {**PERIOD, "clinic": "1 OR 1=1"}, "Select a valid choice."),
    "a ward beyond any id": (lambda n: {**PERIOD, "ward": "9" * 30}, "Select a valid choice."),
}


@pytest.mark.parametrize("case", BAD_INPUT)
def test_bad_parameters_get_a_clear_message_on_the_page(
    case: str, network: Network, english: Callable[[User], Client]
) -> None:
    build, message = BAD_INPUT[case]

    response = english(network.reader).get(PAGE, build(network))

    assert response.status_code == 200
    page = text_of(response)
    assert message in page
    assert 'data-testid="days"' not in page
    assert "<script>alert(1)</script>" not in response.content.decode()


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "pdf"])
@pytest.mark.parametrize("case", BAD_INPUT)
def test_bad_parameters_make_a_download_answer_400_with_the_message(
    case: str, fmt: str, network: Network, english: Callable[[User], Client]
) -> None:
    build, message = BAD_INPUT[case]

    response = english(network.reader).get(download_url(fmt), build(network))

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    page = text_of(response)
    assert "The download could not be made." in page
    assert message in page


def test_the_same_reader_gets_the_report_of_the_ward_with_its_clinic(
    network: Network, english: Callable[[User], Client]
) -> None:
    """The failures above fail for their reason: with good parameters this reader gets the report."""
    client = english(network.reader)

    good = {**PERIOD, "clinic": network.clinic.pk, "ward": network.ward.pk}

    page = text_of(client.get(PAGE, good))
    csv_response = client.get(download_url("csv"), good)

    assert [row[0] for row in table_rows(page)] == ["Sun 03/01/2026", "Mon 03/02/2026", "Tue 03/03/2026"]
    assert csv_response.status_code == 200


def test_the_form_offers_only_the_readers_clinics(network: Network, english: Callable[[User], Client]) -> None:
    page = english(network.reader).get(PAGE, PERIOD).content.decode()

    assert f">{network.clinic.code} · " in page
    assert f">{network.sister_clinic.code} · " in page
    assert f">{network.other_clinic.code} · " not in page
    assert f"· {network.other_ward.code} · " not in page


# Who may see it ------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [PAGE, download_url("csv"), download_url("pdf")])
def test_a_ward_nurse_is_refused(
    url: str, hand: HandCase, make_user: Callable[..., User], english: Callable[[User], Client]
) -> None:
    nurse = make_user(roles.WARD_NURSE, clinics=[hand.clinic])

    assert english(nurse).get(url, ward_query(hand)).status_code == 403


@pytest.mark.parametrize("url", [PAGE, download_url("xlsx")])
def test_anonymous_visitors_are_sent_to_sign_in(url: str, hand: HandCase) -> None:
    response = Client().get(url, ward_query(hand))

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# Queries ---------------------------------------------------------------------------------------------


def test_the_page_and_downloads_make_as_many_queries_for_a_year_as_for_three_days(
    hand: HandCase, manager: User, english: Callable[[User], Client], django_assert_max_num_queries: Any
) -> None:
    """Session, user, two permission reads, the clinic chosen, the report; the page adds the form's choices."""
    client = english(manager)
    three_days = {**PERIOD, "clinic": hand.clinic.pk}
    a_year = {"start": "2026-01-01", "end": "2026-12-31", "clinic": hand.clinic.pk}
    with django_assert_max_num_queries(8):
        assert client.get(PAGE, three_days).status_code == 200
    simulate(random.Random(11), [hand.clinic], days=30, beds_per_ward=5)

    with django_assert_max_num_queries(8):
        page = client.get(PAGE, a_year)
    assert len(table_rows(text_of(page))) == 365
    for fmt in ("csv", "xlsx", "pdf"):
        with django_assert_max_num_queries(6):
            response = client.get(download_url(fmt), a_year)
            content = b"".join(response.streaming_content) if response.streaming else response.content
        assert len(content) > 5000
