"""Patient search (patients/selectors.py) and the search page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape
from django.utils.translation import gettext, override

from clinic.brazil import cpf_check_digits, format_cpf
from patients.models import Patient
from patients.selectors import parse_search, patient_possible_duplicates, patient_search
from staff.models import User
from tests.factories import make_patient

pytestmark = pytest.mark.django_db

JOAO_CPF = "52998224725"
JOAO_MOBILE = "+5511987654321"
OTHER_PHONE = "+551134567890"


@pytest.fixture
def registry(reception: User) -> dict[str, Patient]:
    """A small registry with near-miss names, shared phones and birth dates."""
    return {
        "joao": make_patient(
            by=reception,
            full_name="João Araújo",
            cpf=JOAO_CPF,
            mobile_phone=JOAO_MOBILE,
            home_phone="",
            birth_date=date(1980, 3, 15),
        ),
        "joana": make_patient(
            by=reception,
            full_name="Joana Araújo Prado",
            mobile_phone="+5511955554444",
            home_phone=OTHER_PHONE,
            birth_date=date(1982, 7, 1),
        ),
        "maria": make_patient(by=reception, full_name="Maria Silva", mobile_phone="", birth_date=date(1980, 3, 15)),
        "silvana": make_patient(by=reception, full_name="Maria Silvana", mobile_phone="", home_phone=OTHER_PHONE),
        "pedro": make_patient(by=reception, full_name="Pedro Henrique Costa", mobile_phone="+5521998887777"),
    }


def found(text: str = "", **kwargs: Any) -> list[str]:
    return [p.full_name for p in patient_search(text=text, **kwargs)]


# Names --------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["JOAO", "joão", "João", "  joao  ", "joao araujo", "JOÃO ARAÚJO", "arauj", "ARAUJ"])
def test_name_search_ignores_accents_and_case_and_matches_in_part(registry: dict[str, Patient], text: str) -> None:
    names = found(text)
    assert "João Araújo" in names
    assert "Pedro Henrique Costa" not in names
    assert "Maria Silva" not in names


def test_name_search_puts_the_closer_match_first(registry: dict[str, Patient]) -> None:
    # "Maria Silva" was registered first and sorts first alphabetically; the rank must beat both.
    assert found("maria silvana") == ["Maria Silvana", "Maria Silva"]
    assert found("maria silva") == ["Maria Silva", "Maria Silvana"]
    assert found("joao araujo")[0] == "João Araújo"


def test_name_search_matches_social_name(reception: User) -> None:
    make_patient(by=reception, full_name="Carlos Pereira Gomes", social_name="Carla Pereira Gomes")
    assert found("carla") == ["Carlos Pereira Gomes"]


@pytest.mark.parametrize("text", ["jo", "a", " J ", "ão"])
def test_too_short_text_finds_nothing(registry: dict[str, Patient], text: str) -> None:
    assert parse_search(text).kind == "too_short"
    assert found(text) == []


def test_empty_text_finds_nothing(registry: dict[str, Patient]) -> None:
    assert found("   ") == []


# CPF ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", [JOAO_CPF, format_cpf(JOAO_CPF), f" {format_cpf(JOAO_CPF)} "])
def test_cpf_finds_exactly_that_patient(registry: dict[str, Patient], text: str) -> None:
    assert parse_search(text).kind == "cpf"
    assert found(text) == ["João Araújo"]


def test_another_valid_cpf_finds_nobody(registry: dict[str, Patient]) -> None:
    other = "111444777" + cpf_check_digits("111444777")
    assert parse_search(other).kind == "cpf"
    assert found(other) == []
    assert found(format_cpf(other)) == []


# Phones -------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["(11) 98765-4321", "11987654321", "+55 11 98765-4321", "11 98765 4321"])
def test_phone_typed_in_usual_forms_finds_the_mobile(registry: dict[str, Patient], text: str) -> None:
    assert found(text) == ["João Araújo"]


@pytest.mark.parametrize("text", ["(11) 3456-7890", "1134567890", "+55 11 3456-7890"])
def test_phone_finds_every_patient_with_it_as_mobile_or_other_phone(registry: dict[str, Patient], text: str) -> None:
    assert sorted(found(text)) == ["Joana Araújo Prado", "Maria Silvana"]


def test_phone_registered_nowhere_finds_nobody(registry: dict[str, Patient]) -> None:
    assert found("(11) 91111-2222") == []


def test_mobile_whose_digits_form_a_valid_cpf_is_still_found(reception: User) -> None:
    # One 11-digit mobile number in a hundred also passes the CPF check; it must still find its owner.
    nine = "119876543"
    mobile = nine + cpf_check_digits(nine)
    owner = make_patient(by=reception, full_name="Rita Moura", mobile_phone=mobile)
    typed = f"({mobile[:2]}) {mobile[2:7]}-{mobile[7:]}"
    assert found(typed) == [owner.full_name]
    assert found(mobile) == [owner.full_name]


# Birth date ---------------------------------------------------------------------------------


def test_birth_date_filter_alone_and_with_a_name(registry: dict[str, Patient]) -> None:
    assert found(birth_date=date(1980, 3, 15)) == ["João Araújo", "Maria Silva"]
    assert found("maria", birth_date=date(1980, 3, 15)) == ["Maria Silva"]
    assert found("maria", birth_date=date(1999, 1, 1)) == []


@pytest.mark.parametrize("text", ["15/03/1980", "15/3/1980"])
def test_birth_date_typed_in_the_search_box(registry: dict[str, Patient], text: str) -> None:
    assert parse_search(text).kind == "birth_date"
    assert found(text) == ["João Araújo", "Maria Silva"]


def test_impossible_date_in_the_box_is_not_a_date(registry: dict[str, Patient]) -> None:
    assert parse_search("31/02/1980").kind == "name"
    assert found("31/02/1980") == []


# Possible duplicates ------------------------------------------------------------------------


def test_duplicates_by_name_and_birth_date(registry: dict[str, Patient]) -> None:
    maybe = patient_possible_duplicates(full_name="MARIA  SÍLVA", birth_date=date(1980, 3, 15), phones=[])
    assert [p.full_name for p in maybe] == ["Maria Silva"]
    assert not patient_possible_duplicates(full_name="Maria Silva", birth_date=date(1980, 3, 16), phones=[])


def test_duplicates_by_phone_in_any_form(registry: dict[str, Patient]) -> None:
    maybe = patient_possible_duplicates(full_name="Outra Pessoa", birth_date=None, phones=["(11) 3456-7890", ""])
    assert [p.full_name for p in maybe] == ["Joana Araújo Prado", "Maria Silvana"]
    maybe = patient_possible_duplicates(full_name="", birth_date=None, phones=["11 98765-4321"])
    assert [p.full_name for p in maybe] == ["João Araújo"]


def test_duplicates_leave_out_the_patient_being_edited(registry: dict[str, Patient]) -> None:
    joao = registry["joao"]
    assert not patient_possible_duplicates(
        full_name="João Araújo", birth_date=joao.birth_date, phones=[JOAO_MOBILE], exclude_pk=joao.pk
    )
    assert patient_possible_duplicates(full_name="João Araújo", birth_date=joao.birth_date, phones=[JOAO_MOBILE])


def test_no_duplicates_without_name_date_or_phone(registry: dict[str, Patient]) -> None:
    assert not patient_possible_duplicates(full_name="Maria Silva", birth_date=None, phones=["", "12"])


# The page -----------------------------------------------------------------------------------


def _translated(message: str) -> str:
    with override("pt-br"):
        return escape(gettext(message))


def test_search_page_lists_matches_with_masked_cpf(
    client_for: Callable[[User], Client], reception: User, registry: dict[str, Patient]
) -> None:
    response = client_for(reception).get("/patients/", {"q": "joao"})

    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="/patients/{registry["joao"].pk}/"' in html
    assert "***.982.247-**" in html
    assert format_cpf(JOAO_CPF) not in html
    assert "Pedro Henrique Costa" not in html


def test_search_page_asks_for_more_letters(
    client_for: Callable[[User], Client], reception: User, registry: dict[str, Patient]
) -> None:
    response = client_for(reception).get("/patients/", {"q": "jo"})
    html = response.content.decode()
    assert _translated("Type at least three letters of the name.") in html
    assert "João Araújo" not in html


def test_search_page_htmx_request_gets_only_the_results(
    client_for: Callable[[User], Client], reception: User, registry: dict[str, Patient]
) -> None:
    response = client_for(reception).get("/patients/", {"q": "arauj"}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "João Araújo" in html
    assert "<html" not in html


def _register_silvas(reception: User, registered: list[Patient], total: int) -> None:
    while len(registered) < total:
        registered.append(make_patient(by=reception, full_name=f"Paciente {len(registered):02d} da Silva"))


def _listed(html: str, patients: list[Patient]) -> int:
    return sum(f'href="/patients/{p.pk}/"' in html for p in patients)


def test_search_page_query_count_does_not_grow_with_matches(
    client_for: Callable[[User], Client], reception: User, django_assert_max_num_queries: Any
) -> None:
    client = client_for(reception)
    silvas: list[Patient] = []
    _register_silvas(reception, silvas, 5)
    client.get("/patients/", {"q": "silva"})  # fills per-process caches (content types) before counting
    with CaptureQueriesContext(connection) as with_five:
        response = client.get("/patients/", {"q": "silva"})
    assert _listed(response.content.decode(), silvas) == 5

    _register_silvas(reception, silvas, 40)
    with django_assert_max_num_queries(len(with_five)):
        response = client.get("/patients/", {"q": "silva"})
    assert _listed(response.content.decode(), silvas) == 25
    assert _listed(client.get("/patients/", {"q": "silva", "page": "2"}).content.decode(), silvas) == 15
