"""Brazilian identifiers: CPF, CNS and CEP validation and formatting (see shared/domain.md)."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_UFS = "AC AL AP AM BA CE DF ES GO MA MT MS MG PA PB PR PE PI RJ RN RS RO RR SC SP SE TO"
UF_CHOICES = [(uf, uf) for uf in _UFS.split()]

_NON_DIGITS = re.compile(r"\D")
_CEP = re.compile(r"^\d{5}-?\d{3}$")


def only_digits(value: str) -> str:
    return _NON_DIGITS.sub("", value or "")


def cpf_is_valid(value: str) -> bool:
    digits = only_digits(value)
    if len(digits) != 11 or digits == digits[0] * 11:
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
    digits = only_digits(value)
    if len(digits) != 15 or digits[0] not in "12789":
        return False
    # Definitive numbers (1, 2) are derived from the PIS and have 000 or 001 before the last digit;
    # the weighted sum rule below holds for them as for provisional ones.
    if digits[0] in "12" and digits[11:14] not in {"000", "001"}:
        return False
    total = sum(int(d) * weight for d, weight in zip(digits, range(15, 0, -1), strict=True))
    return total % 11 == 0


def validate_cns(value: str) -> None:
    if not cns_is_valid(value):
        raise ValidationError(_("This CNS is not valid: check the 15 digits."), code="invalid_cns")


def validate_cep(value: str) -> None:
    if not _CEP.match(value or ""):
        raise ValidationError(_("A CEP has eight digits, as in 01310-100."), code="invalid_cep")


def format_cep(value: str) -> str:
    d = only_digits(value)
    return f"{d[:5]}-{d[5:]}" if len(d) == 8 else value
