"""CPF, CNS and CEP rules (shared/domain.md), checked against numbers computed here independently."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import phonenumbers
import pytest
from django.core.exceptions import ValidationError

from clinic.brazil import (
    cns_is_valid,
    cpf_check_digits,
    cpf_is_valid,
    format_cep,
    format_cpf,
    mask_cpf,
    only_digits,
    phone_number,
    validate_cep,
    validate_cns,
    validate_cpf,
    validate_phone,
)

# Helpers: the published algorithms, written out again so the tests do not check the code with itself.


def cpf_with_check_digits(first_nine: str) -> str:
    digits = [int(d) for d in first_nine]
    for length in (9, 10):
        total = sum(d * w for d, w in zip(digits, range(length + 1, 1, -1), strict=True))
        remainder = total % 11
        digits.append(0 if remainder < 2 else 11 - remainder)
    return "".join(map(str, digits))


def cns_weighted_sum(digits: str) -> int:
    return sum(int(d) * w for d, w in zip(digits, range(15, 0, -1), strict=True))


def definitive_cns(pis: str) -> str:
    """The CNS derived from an 11-digit PIS (DATASUS rule for numbers starting with 1 or 2)."""
    total = cns_weighted_sum(pis + "0000")
    check = 11 - total % 11
    if check == 11:
        check = 0
    if check == 10:
        check = 11 - (total + 2) % 11
        return f"{pis}001{check}"
    return f"{pis}000{check}"


def provisional_cns(first: str, middle: str) -> str:
    """A provisional CNS (first digit 7, 8 or 9) from 12 more digits, a free digit and a check digit.

    The check digit (weight 1) makes the weighted sum a multiple of 11; when it would have to be 10
    the free digit changes.
    """
    assert len(middle) == 12
    for filler in range(10):
        body = f"{first}{middle}{filler}"
        last = -cns_weighted_sum(body + "0") % 11
        if last < 10:
            return f"{body}{last}"
    raise AssertionError("no provisional CNS for this prefix")


VALID_CPFS = [cpf_with_check_digits(nine) for nine in ("529982247", "111444777", "935411347", "012345678")]


def test_helper_agrees_with_published_example() -> None:
    # 529.982.247-25 and 111.444.777-35 are the usual textbook examples of valid CPFs.
    assert VALID_CPFS[:2] == ["52998224725", "11144477735"]


@pytest.mark.parametrize("cpf", VALID_CPFS)
def test_valid_cpf_accepted_formatted_and_unformatted(cpf: str) -> None:
    formatted = f"{cpf[:3]}.{cpf[3:6]}.{cpf[6:9]}-{cpf[9:]}"
    assert cpf_is_valid(cpf)
    assert cpf_is_valid(formatted)
    validate_cpf(formatted)
    assert format_cpf(cpf) == formatted
    assert cpf_check_digits(cpf[:9]) == cpf[9:]


def _with_digit(cpf: str, position: int, shift: int = 1) -> str:
    return cpf[:position] + str((int(cpf[position]) + shift) % 10) + cpf[position + 1 :]


@pytest.mark.parametrize("cpf", VALID_CPFS)
@pytest.mark.parametrize("position", [9, 10], ids=["first-check-digit", "second-check-digit"])
def test_cpf_with_wrong_check_digit_refused(cpf: str, position: int) -> None:
    wrong = _with_digit(cpf, position)
    assert not cpf_is_valid(wrong)
    with pytest.raises(ValidationError) as caught:
        validate_cpf(wrong)
    assert caught.value.code == "invalid_cpf"


@pytest.mark.parametrize("digit", "0123456789")
def test_cpf_with_all_equal_digits_refused(digit: str) -> None:
    # Every such number passes the check-digit arithmetic, so the rule has to be explicit.
    same = digit * 11
    assert cpf_with_check_digits(same[:9]) == same
    assert not cpf_is_valid(same)
    assert not cpf_is_valid(format_cpf(same))


@pytest.mark.parametrize(
    "value",
    ["5299822472", "529982247250", "529.982.247-2", "", "abc.def.ghi-jk", "52998224A25", "529982247-2X"],
)
def test_cpf_with_wrong_length_or_letters_refused(value: str) -> None:
    assert not cpf_is_valid(value)
    with pytest.raises(ValidationError):
        validate_cpf(value)


@pytest.mark.parametrize("typed", ["52998224725", "529.982.247-25", " 529 982 247 25 ", "529982247-25"])
def test_cpf_typed_with_the_usual_separators_is_accepted(typed: str) -> None:
    assert cpf_is_valid(typed)
    validate_cpf(typed)


@pytest.mark.parametrize(
    "typed",
    [
        "206a108b86517",
        "529.982.247-25x",
        "529,982,247/25",
        "529.982.247_25",
        "\uff15\uff12\uff19\uff19\uff18\uff12\uff12\uff14\uff17\uff12\uff15",
        "529\u00a0982\u00a0247\u00a025",
    ],
    ids=["letters-inside", "letter-after", "comma-and-slash", "underscore", "fullwidth-digits", "non-breaking-spaces"],
)
def test_cpf_with_other_characters_is_refused_not_cleaned(typed: str) -> None:
    # Its digits, read generously, make a valid CPF: only the other characters are wrong.
    assert cpf_is_valid(re.sub(r"[^0-9]", "", unicodedata.normalize("NFKC", typed)))
    assert not cpf_is_valid(typed)
    with pytest.raises(ValidationError) as caught:
        validate_cpf(typed)
    assert caught.value.code == "cpf_characters"


def test_mask_cpf_shows_only_middle_six_digits() -> None:
    assert mask_cpf("123.456.789-09") == "***.456.789-**"
    assert mask_cpf("12345678909") == "***.456.789-**"
    assert mask_cpf("12345") == ""


def test_only_digits() -> None:
    assert only_digits(" 529.982.247-25 ") == "52998224725"
    assert only_digits("") == ""


VALID_CNS = [
    definitive_cns("12345678901"),
    definitive_cns("20000000000"),
    definitive_cns("17052384018"),
    provisional_cns("7", "000000000001"),
    provisional_cns("8", "987654321012"),
    provisional_cns("9", "123456789012"),
]


def test_cns_helpers_cover_every_kind() -> None:
    assert {cns[0] for cns in VALID_CNS} == {"1", "2", "7", "8", "9"}
    # At least one definitive number needs the "001" variant of the rule.
    assert {cns[11:14] for cns in VALID_CNS if cns[0] in "12"} == {"000", "001"}
    assert all(len(cns) == 15 and cns_weighted_sum(cns) % 11 == 0 for cns in VALID_CNS)


@pytest.mark.parametrize("cns", VALID_CNS)
def test_valid_cns_accepted(cns: str) -> None:
    spaced = f"{cns[:3]} {cns[3:7]} {cns[7:11]} {cns[11:]}"
    assert cns_is_valid(cns)
    assert cns_is_valid(spaced)
    validate_cns(spaced)


@pytest.mark.parametrize("cns", VALID_CNS)
def test_cns_with_wrong_sum_refused(cns: str) -> None:
    wrong = cns[:-1] + str((int(cns[-1]) + 1) % 10)
    assert not cns_is_valid(wrong)
    with pytest.raises(ValidationError) as caught:
        validate_cns(wrong)
    assert caught.value.code == "invalid_cns"


@pytest.mark.parametrize("start", "03456")
def test_cns_with_wrong_first_digit_refused(start: str) -> None:
    # Keep the weighted sum a multiple of 11, so only the first digit is wrong.
    cns = provisional_cns(start, "123456789012")
    assert cns_weighted_sum(cns) % 11 == 0
    assert not cns_is_valid(cns)


@pytest.mark.parametrize("cns", [VALID_CNS[0][:-1], VALID_CNS[3] + "0", "", "7" * 16, "8abc12345678901"])
def test_cns_with_wrong_length_refused(cns: str) -> None:
    assert not cns_is_valid(cns)
    with pytest.raises(ValidationError):
        validate_cns(cns)


@pytest.mark.parametrize("cns", VALID_CNS[:1] + VALID_CNS[3:4])
@pytest.mark.parametrize("spoil", [lambda c: f"{c[:5]}a{c[5:]}", lambda c: f"{c}/"], ids=["letter-inside", "slash"])
def test_cns_with_other_characters_is_refused_not_cleaned(cns: str, spoil: Callable[[str], str]) -> None:
    typed = spoil(cns)
    assert only_digits(typed) == cns  # only the other character is wrong
    assert not cns_is_valid(typed)
    with pytest.raises(ValidationError) as caught:
        validate_cns(typed)
    assert caught.value.code == "cns_characters"


@pytest.mark.parametrize("cep", ["01310-100", "01310100", "70040-010"])
def test_valid_cep_accepted(cep: str) -> None:
    validate_cep(cep)
    assert format_cep(cep) == f"{only_digits(cep)[:5]}-{only_digits(cep)[5:]}"


@pytest.mark.parametrize(
    "cep",
    [
        "0131-0100",
        "1310100",
        "01310-1000",
        "01310 100",
        "abcde-fgh",
        "",
        "01310-1O0",
        "\uff10\uff11\uff13\uff11\uff10-100",
    ],
)
def test_invalid_cep_refused(cep: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_cep(cep)
    assert caught.value.code == "invalid_cep"


# Phone numbers: the one rule for every phone stored or written to ---------------------------------


@pytest.mark.parametrize(
    ("typed", "region", "e164"),
    [
        ("(11) 98765-4321", "BR", "+5511987654321"),
        ("11 3456-7890", "BR", "+551134567890"),
        ("(99) 98123-4567", "BR", "+5599981234567"),  # 99 is a real area code (Maranhão)
        ("+55 21 99876-5432", None, "+5521998765432"),
        ("+1 415 555 2671", None, "+14155552671"),
        ("+1 415 555 2671", "BR", "+14155552671"),
        ("+5511900000000", None, "+5511900000000"),  # zeros after the mobile 9: a number in use
    ],
)
def test_phone_numbers_that_can_exist_are_read(typed: str, region: str | None, e164: str) -> None:
    number = phone_number(typed, region=region)
    assert number is not None
    assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == e164


@pytest.mark.parametrize(
    ("typed", "region"),
    [
        ("(00) 91234-5678", "BR"),  # no area code 00
        ("+55 00 91234-5678", None),
        ("(11) 00000-0000", "BR"),
        ("00000000000", "BR"),
        ("(99) 99999-9999", "BR"),  # the plan allows it; one repeated digit is a filler
        ("(11) 3333-3333", "BR"),
        ("(11) 1234-5678", "BR"),  # landlines start with 2 to 5
        ("(11) 98765-432", "BR"),  # one digit short
        ("11987654321", None),  # no country code and no region to assume
        ("", "BR"),
        ("   ", "BR"),
        ("telefone", "BR"),
    ],
)
def test_phone_numbers_that_cannot_exist_are_refused(typed: str, region: str | None) -> None:
    assert phone_number(typed, region=region) is None


def test_the_rule_is_stricter_than_a_plausible_length() -> None:
    # What the registry and the reminders checked before: these pass the length check.
    for typed in ("(00) 91234-5678", "(11) 00000-0000", "(99) 99999-9999"):
        assert phonenumbers.is_possible_number(phonenumbers.parse(typed, "BR"))
        assert phone_number(typed, region="BR") is None


@pytest.mark.parametrize("phone", ["(00) 3456-7890", "(11) 0000-0000", "não sei", "123"])
def test_a_clinics_phone_quoted_to_patients_must_be_one_that_can_exist(phone: str) -> None:
    with pytest.raises(ValidationError):
        validate_phone(phone)
    validate_phone("(11) 3456-7890")
    validate_phone("")
