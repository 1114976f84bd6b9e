"""Numbers written the reader's way: ``{% load numbers %}`` then ``{{ value|grouped }}``.

Django writes a number in the active language's decimal separator but groups thousands only where
``USE_THOUSAND_SEPARATOR`` says so, for every number of the site (ids and years in URLs and forms
included). Measured values and counts are read by people: leukocytes 12500 read as "12.500" in
Portuguese and "12,500" in English. What is stored, and what an input field holds, stays as it is.
"""

from __future__ import annotations

from decimal import Decimal

from django import template
from django.template.defaultfilters import floatformat
from django.utils import formats

register = template.Library()


@register.filter
def grouped(value: int | float | Decimal | None, decimals: int | None = None) -> str:
    """``value`` with the reader's thousands and decimal separators; rounded to ``decimals`` places
    when given (as ``floatformat`` rounds), else with the places it has. Empty for None."""
    if value is None:
        return ""
    if decimals is None:
        return formats.number_format(value, force_grouping=True)
    return floatformat(value, f"{int(decimals)}g")
