"""Normal forms of what people type, used for storage, blind indexes and search."""

from __future__ import annotations

import unicodedata

import phonenumbers
from django.conf import settings

from clinic.brazil import phone_number


def search_text(value: str) -> str:
    """Lower case with accents removed and spaces collapsed: "  JOÃO  da Silva" -> "joao da silva"."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.lower().split())


def phone_e164(value: str) -> str:
    """E.164 form of a phone number typed in any usual way; Brazil is the default region.

    Returns "" when the text is not a number that can exist (``clinic.brazil.phone_number``).
    """
    number = phone_number(value, region=settings.PHONENUMBER_DEFAULT_REGION)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if number else ""


def phone_display(value: str) -> str:
    if not value:
        return ""
    try:
        parsed = phonenumbers.parse(value, settings.PHONENUMBER_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return value
    region = phonenumbers.region_code_for_number(parsed)
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if region == settings.PHONENUMBER_DEFAULT_REGION
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(parsed, style)


def email_normal(value: str) -> str:
    return (value or "").strip().lower()
