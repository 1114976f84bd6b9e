from django import template

from clinic.brazil import format_cep
from patients.normalize import phone_display

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """+5511987654321 -> (11) 98765-4321; foreign numbers in international form."""
    return phone_display(value)


@register.filter
def cep(value: str) -> str:
    return format_cep(value)
