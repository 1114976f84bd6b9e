"""Brazilian identifiers (CPF, CNS, CEP: validation and formatting, see shared/domain.md) and the
one rule for the phone numbers the system stores and writes to."""

from __future__ import annotations

import re

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_UFS = "AC AL AP AM BA CE DF ES GO MA MT MS MG PA PB PR PE PI RJ RN RS RO RR SC SP SE TO"
UF_CHOICES = [(uf, uf) for uf in _UFS.split()]

# ASCII digits only: Python's \d also matches the digits of other scripts (fullwidth, Arabic-Indic),
# which would be stored as typed and never match the same number typed plainly.
_NON_DIGITS = re.compile(r"[^0-9]")
_CEP = re.compile(r"^[0-9]{5}-?[0-9]{3}$")
_SEPARATED_DIGITS = re.compile(r"[0-9. -]*")


def only_digits(value: str) -> str:
    """The digits of ``value``, whatever else is around them (for search and display, not for checks)."""
    return _NON_DIGITS.sub("", value or "")


def _typed_digits(value: str) -> str | None:
    """The digits of an identifier typed with its usual separators (dots, dashes, spaces), or None
    when anything else is in it: "206a108b86517" is a typing mistake to show, not a CPF to guess."""
    text = (value or "").strip()
    return only_digits(text) if _SEPARATED_DIGITS.fullmatch(text) else None


def cpf_is_valid(value: str) -> bool:
    digits = _typed_digits(value)
    if digits is None or len(digits) != 11 or digits == digits[0] * 11:
        return False
    numbers = [int(d) for d in digits]
    for position in (9, 10):
        total = sum(numbers[i] * (position + 1 - i) for i in range(position))
        check = (total * 10) % 11 % 10
        if numbers[position] != check:
            return False
    return True


def cpf_check_digits(first_nine: str) -> str:
    """The two check digits for nine CPF digits (used by generators)."""
    numbers = [int(d) for d in first_nine]
    for position in (9, 10):
        total = sum(numbers[i] * (position + 1 - i) for i in range(position))
        numbers.append((total * 10) % 11 % 10)
    return "".join(str(n) for n in numbers[9:])


def validate_cpf(value: str) -> None:
    if _typed_digits(value) is None:
        raise ValidationError(
            _("A CPF has only digits, with dots and a dash if you like, as in 529.982.247-25."),
            code="cpf_characters",
        )
    if not cpf_is_valid(value):
        raise ValidationError(_("This CPF is not valid: check the digits."), code="invalid_cpf")


def format_cpf(value: str) -> str:
    d = only_digits(value)
    return f"{d[:3]}.{d[3:6]}.{d[6:9]}-{d[9:]}" if len(d) == 11 else value


def mask_cpf(value: str) -> str:
    """Shown on screens: only the middle six digits, as LGPD practice suggests (***.456.789-**)."""
    d = only_digits(value)
    return f"***.{d[3:6]}.{d[6:9]}-**" if len(d) == 11 else ""


def cns_is_valid(value: str) -> bool:
    digits = _typed_digits(value)
    if digits is None or len(digits) != 15 or digits[0] not in "12789":
        return False
    # Definitive numbers (1, 2) are derived from the PIS and have 000 or 001 before the last digit;
    # the weighted sum rule below holds for them as for provisional ones.
    if digits[0] in "12" and digits[11:14] not in {"000", "001"}:
        return False
    total = sum(int(d) * weight for d, weight in zip(digits, range(15, 0, -1), strict=True))
    return total % 11 == 0


def validate_cns(value: str) -> None:
    if _typed_digits(value) is None:
        raise ValidationError(
            _("A CNS has only its 15 digits, with spaces between the groups if you like."), code="cns_characters"
        )
    if not cns_is_valid(value):
        raise ValidationError(_("This CNS is not valid: check the 15 digits."), code="invalid_cns")


def validate_cep(value: str) -> None:
    if not _CEP.match(value or ""):
        raise ValidationError(_("A CEP has eight digits, as in 01310-100."), code="invalid_cep")


def format_cep(value: str) -> str:
    d = only_digits(value)
    return f"{d[:5]}-{d[5:]}" if len(d) == 8 else value


def phone_number(value: str, *, region: str | None) -> phonenumbers.PhoneNumber | None:
    """The phone number ``value`` stands for, if such a number can exist; None for anything else.

    ``region`` is the country of a number typed without "+" and a country code; with None only
    numbers that have them are read. "Can exist" is the numbering plan of the number's country (an
    area code, a length and first digits in use: ``is_valid_number``), not only a plausible length,
    so "(00) 91234-5678" and "(11) 0000-0000" are refused. So is a subscriber number of one repeated
    digit, "(99) 99999-9999": the plan allows it, but it is what people type to get past a required
    field, and a reminder sent there would reach a stranger. Every phone the system stores or writes
    to passes here; searching may be looser.
    """
    if not value or not value.strip():
        return None
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    national = phonenumbers.national_significant_number(number)
    subscriber = national[phonenumbers.length_of_geographical_area_code(number) :]
    if len(set(subscriber)) == 1:
        return None
    return number


# The Correios' CEP ranges of each UF (first and last CEP as numbers); DF and GO interleave, and
# 78900-000..78999-999 belongs to none.
def validate_phone(value: str) -> None:
    """A Brazilian phone number that can exist (area code included), as a form or the admin types it."""
    if value and phone_number(value, region="BR") is None:
        raise ValidationError(
            _("This is not a phone number that can exist; include the area code (DDD), as in (11) 3456-7890."),
            code="invalid_phone",
        )


CEP_RANGES_BY_UF: dict[str, tuple[tuple[int, int], ...]] = {
    "SP": ((1_000_000, 19_999_999),),
    "RJ": ((20_000_000, 28_999_999),),
    "ES": ((29_000_000, 29_999_999),),
    "MG": ((30_000_000, 39_999_999),),
    "BA": ((40_000_000, 48_999_999),),
    "SE": ((49_000_000, 49_999_999),),
    "PE": ((50_000_000, 56_999_999),),
    "AL": ((57_000_000, 57_999_999),),
    "PB": ((58_000_000, 58_999_999),),
    "RN": ((59_000_000, 59_999_999),),
    "CE": ((60_000_000, 63_999_999),),
    "PI": ((64_000_000, 64_999_999),),
    "MA": ((65_000_000, 65_999_999),),
    "PA": ((66_000_000, 68_899_999),),
    "AP": ((68_900_000, 68_999_999),),
    "AM": ((69_000_000, 69_299_999), (69_400_000, 69_899_999)),
    "RR": ((69_300_000, 69_399_999),),
    "AC": ((69_900_000, 69_999_999),),
    "DF": ((70_000_000, 72_799_999), (73_000_000, 73_699_999)),
    "GO": ((72_800_000, 72_999_999), (73_700_000, 76_799_999)),
    "RO": ((76_800_000, 76_999_999),),
    "TO": ((77_000_000, 77_999_999),),
    "MT": ((78_000_000, 78_899_999),),
    "MS": ((79_000_000, 79_999_999),),
    "PR": ((80_000_000, 87_999_999),),
    "SC": ((88_000_000, 89_999_999),),
    "RS": ((90_000_000, 99_999_999),),
}


def uf_for_cep(value: str) -> str | None:
    """The UF whose CEP range holds ``value`` (eight digits, masked or not), or None if none does."""
    digits = only_digits(value)
    if len(digits) != 8:
        return None
    number = int(digits)
    for uf, ranges in CEP_RANGES_BY_UF.items():
        if any(first <= number <= last for first, last in ranges):
            return uf
    return None
