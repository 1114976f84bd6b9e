"""The ICD-10 catalog: loaded from the package's data, searched by code and by words, used by the history form."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import translation

from patients import services
from patients.icd10 import catalog_entries, catalog_load, icd10_entry, icd10_search, normalize_code
from patients.models import Condition, ICD10Code
from staff import roles
from staff.models import User
from tests.factories import make_patient


def codes(entries: list[ICD10Code]) -> list[str]:
    return [entry.code for entry in entries]


# The catalog ---------------------------------------------------------------------------------


def test_the_migration_loads_every_code_of_the_package(db: None) -> None:
    assert ICD10Code.objects.count() == len(catalog_entries()) > 12000
    asthma = ICD10Code.objects.get(code="J45.0")
    assert (asthma.description, asthma.chapter, asthma.block) == ("Predominantly allergic asthma", "X", "J40-J47")
    assert asthma.selectable
    assert ICD10Code.objects.get(code="J45").selectable  # three-character categories may be coded
    assert ICD10Code.objects.get(code="I10").description == "Essential (primary) hypertension"


def test_only_subcategories_divided_further_are_not_selectable(db: None) -> None:
    assert sorted(ICD10Code.objects.filter(selectable=False).values_list("code", flat=True)) == ["B18.0", "B18.1"]
    assert ICD10Code.objects.filter(code__in=["B18.00", "B18.09"], selectable=True).count() == 2


def test_loading_again_adds_nothing_and_an_empty_table_is_filled(db: None) -> None:
    assert catalog_load() == 0
    ICD10Code.objects.all().delete()
    assert catalog_load() == len(catalog_entries())
    assert ICD10Code.objects.filter(code="E11.9").exists()


@pytest.mark.parametrize(
    ("typed", "normal"),
    [
        ("J45", "J45"),
        ("j45.0", "J45.0"),
        ("j450", "J45.0"),
        (" e11.9 ", "E11.9"),
        ("J45.", "J45"),
        ("b1800", "B18.00"),
        ("J4", "J4"),
        ("asthma", ""),
        ("J45.000", ""),
        ("45.0", ""),
        ("<b>J45</b>", ""),
        ("", ""),
    ],
)
def test_normalize_code(typed: str, normal: str) -> None:
    assert normalize_code(typed) == normal


def test_entry_of_a_code_in_the_catalog(db: None) -> None:
    assert icd10_entry("j450").description == "Predominantly allergic asthma"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("asthma", "Choose a code from the ICD-10 list: search by code (J45) or by words (asthma)."),
        ("Z99.89", "Z99.89 is not a code of the ICD-10 catalog."),
        ("U99", "U99 is not a code of the ICD-10 catalog."),
        ("B18.0", "B18.0 is divided further: choose one of its more detailed codes."),
    ],
)
def test_entry_refuses_what_is_not_a_selectable_code(db: None, typed: str, message: str) -> None:
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        icd10_entry(typed)
    assert caught.value.messages == [message]


# Search ---------------------------------------------------------------------------------------


def test_search_by_code_prefix(db: None) -> None:
    found = codes(icd10_search("J45"))
    assert found == ["J45", "J45.0", "J45.1", "J45.8", "J45.9"]
    assert codes(icd10_search("j45.0")) == ["J45.0"]
    assert codes(icd10_search("j450")) == ["J45.0"]


def test_search_by_code_leaves_out_what_may_not_be_coded(db: None) -> None:
    assert codes(icd10_search("B18.0")) == ["B18.00", "B18.09"]


def test_search_by_a_short_prefix_is_limited(db: None) -> None:
    found = icd10_search("J4", limit=7)
    assert len(found) == 7
    assert all(code.startswith("J4") for code in codes(found))
    assert codes(found) == sorted(codes(found))


def test_search_by_words_puts_the_most_general_code_first(db: None) -> None:
    found = codes(icd10_search("asthma"))
    assert found[0] == "J45"
    assert {"J45.0", "J45.9", "J46"} <= set(found)


def test_every_typed_word_must_match(db: None) -> None:
    found = icd10_search("allergic asthma")
    assert codes(found)[0] == "J45.0"
    assert all("asthma" in entry.search_text for entry in found)
    assert all("allerg" in entry.search_text for entry in found)


@pytest.mark.parametrize("typed", ["ménière", "Meniere", "MENIÈRE disease", "meniere dis"])
def test_search_by_words_ignores_accents_and_capitals(db: None, typed: str) -> None:
    assert codes(icd10_search(typed))[0] == "H81.0"


def test_search_with_accents_typed_where_the_catalog_has_none_and_the_other_way(db: None) -> None:
    assert "M35.0" in codes(icd10_search("sjogren"))
    assert "G61.0" in codes(icd10_search("guillain-barré"))
    assert "G61.0" in codes(icd10_search("GUILLAIN BARRE"))


def test_search_forgives_a_typing_error(db: None) -> None:
    assert "J45" in codes(icd10_search("asthmma"))


def test_a_short_word_matches_the_start_of_a_word(db: None) -> None:
    found = icd10_search("hepatitis b")
    assert "B16.9" in codes(found)  # Acute hepatitis B without delta-agent and without hepatic coma
    assert all(" b" in entry.search_text or entry.search_text.startswith("b") for entry in found)


@pytest.mark.parametrize(
    "typed", ["", "   ", "a", "of", "%", "_", "%%%", "'; drop table x; --", "<script>", "zq" * 500]
)
def test_search_with_nothing_useful_or_hostile_text_finds_nothing_and_does_not_fail(db: None, typed: str) -> None:
    assert icd10_search(typed) == []


def test_search_reads_only_the_start_of_a_very_long_text(db: None) -> None:
    assert codes(icd10_search("asthma" + " " * 200 + "qzqz"))[0] == "J45"


def test_search_is_one_query(db: None, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        icd10_search("asthma")
    with django_assert_num_queries(1):
        icd10_search("J45")


# The search endpoint --------------------------------------------------------------------------


def test_endpoint_lists_choices_as_radio_buttons(doctor: User, client_for: Callable[[User], Client]) -> None:
    response = client_for(doctor).get("/patients/icd10/", {"q": "asthma"})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'type="radio" name="icd10_code" value="J45"' in page
    assert "Predominantly allergic asthma" in page


def test_endpoint_names_the_radio_buttons_after_the_picker_and_keeps_the_chosen_code(
    doctor: User, client_for: Callable[[User], Client]
) -> None:
    response = client_for(doctor).get(
        "/patients/icd10/", {"field": "diagnosis", "diagnosis_search": "hypertension", "diagnosis": "J45.0"}
    )
    page = response.content.decode()
    assert 'name="diagnosis" value="J45.0" checked' in page
    assert page.index("J45.0") < page.index("I10")


def test_endpoint_says_when_nothing_matches(doctor: User, client_for: Callable[[User], Client]) -> None:
    page = client_for(doctor).get("/patients/icd10/", {"q": "zzzzqqq"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "No ICD-10 code matches." in page
    assert 'type="radio"' not in page


@pytest.mark.parametrize(
    "params",
    [
        {"field": '"><script>alert(1)</script>', "q": "asthma"},
        {"q": "<script>alert(1)</script>"},
        {"q": "a" * 10000, "icd10_code": "x" * 10000},
        {"field": "", "icd10_code": "J45.0"},
    ],
)
def test_endpoint_with_hostile_parameters_answers_without_echoing_them(
    doctor: User, client_for: Callable[[User], Client], params: dict[str, str]
) -> None:
    response = client_for(doctor).get("/patients/icd10/", params)
    assert response.status_code == 200
    assert "<script>" not in response.content.decode()


# The history form picks from the catalog -----------------------------------------------------


@pytest.fixture
def nurse(make_user: Callable[..., User]) -> User:
    return make_user(roles.TRIAGE_NURSE)


def test_condition_form_shows_the_picker(nurse: User, client_for: Callable[[User], Client]) -> None:
    patient = make_patient(by=nurse)
    page = client_for(nurse).get(f"/patients/{patient.pk}/conditions/new/").content.decode()
    assert 'data-testid="icd10-picker"' in page
    assert 'hx-get="/patients/icd10/"' in page
    assert 'name="icd10_code_search"' in page


def test_condition_chosen_from_the_catalog_takes_its_description(
    nurse: User, client_for: Callable[[User], Client]
) -> None:
    patient = make_patient(by=nurse)
    response = client_for(nurse).post(
        f"/patients/{patient.pk}/conditions/new/", {"icd10_code_search": "asthma", "icd10_code": "J45.0"}
    )
    assert response.status_code == 302
    condition = Condition.objects.get(patient=patient)
    assert (condition.icd10_code, condition.description) == ("J45.0", "Predominantly allergic asthma")


def test_condition_keeps_a_description_typed_by_hand(nurse: User, client_for: Callable[[User], Client]) -> None:
    patient = make_patient(by=nurse)
    client_for(nurse).post(
        f"/patients/{patient.pk}/conditions/new/", {"icd10_code": "I10", "description": "Hipertensão essencial"}
    )
    assert Condition.objects.get(patient=patient).description == "Hipertensão essencial"


def test_condition_code_typed_in_the_search_box_counts_without_javascript(
    nurse: User, client_for: Callable[[User], Client]
) -> None:
    patient = make_patient(by=nurse)
    response = client_for(nurse).post(f"/patients/{patient.pk}/conditions/new/", {"icd10_code_search": "e119"})
    assert response.status_code == 302
    assert Condition.objects.get(patient=patient).icd10_code == "E11.9"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"icd10_code": "Z99.89", "description": "?"}, "Z99.89 is not a code of the ICD-10 catalog."),
        ({"icd10_code_search": "asthma"}, "Choose a code from the ICD-10 list"),
        ({"icd10_code": "B18.0"}, "B18.0 is divided further"),
        ({"icd10_code": "", "description": "Asma"}, "This field is required."),
    ],
)
def test_condition_form_refuses_what_is_not_in_the_catalog(
    nurse: User, client_for: Callable[[User], Client], data: dict[str, str], message: str
) -> None:
    patient = make_patient(by=nurse)
    response = client_for(nurse).post(f"/patients/{patient.pk}/conditions/new/", data, HTTP_ACCEPT_LANGUAGE="en")
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert 'data-testid="icd10-picker"' in page
    assert not Condition.objects.exists()


def test_condition_form_keeps_the_words_typed_when_it_fails(nurse: User, client_for: Callable[[User], Client]) -> None:
    patient = make_patient(by=nurse)
    page = (
        client_for(nurse)
        .post(f"/patients/{patient.pk}/conditions/new/", {"icd10_code_search": "asthma"})
        .content.decode()
    )
    assert 'name="icd10_code_search" value="asthma"' in page


def test_condition_service_refuses_a_code_not_in_the_catalog(nurse: User) -> None:
    patient = make_patient(by=nurse)
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        services.condition_add(patient=patient, by=nurse, icd10_code="U99.9", description="?")
    assert caught.value.message_dict == {"icd10_code": ["U99.9 is not a code of the ICD-10 catalog."]}
    assert not Condition.objects.exists()
