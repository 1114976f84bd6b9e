"""Form fields the whole site shares: dates within sane bounds, and instants that carry their zone."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

# Far enough for any birth date and any agenda; near enough that a day or a week added to it stays
# a date (9999-12-31 plus one day overflows, and an OverflowError is a server error).
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)


class BoundedDateField(forms.DateField):
    """A date between ``min_date`` and ``max_date`` (by default the site's bounds); outside them the
    field says which dates it takes."""

    def __init__(self, *args: Any, min_date: date = EARLIEST_DATE, max_date: date = LATEST_DATE, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.min_date, self.max_date = min_date, max_date

    def validate(self, value: date | None) -> None:
        super().validate(value)
        if value is not None and not self.min_date <= value <= self.max_date:
            raise ValidationError(
                _("Choose a date between %(first)s and %(last)s."),
                code="out_of_range",
                params={
                    "first": formats.date_format(self.min_date, "SHORT_DATE_FORMAT"),
                    "last": formats.date_format(self.max_date, "SHORT_DATE_FORMAT"),
                },
            )


class AwareDateTimeField(forms.DateTimeField):
    """An instant written with its UTC offset, as the pages write slots (``2026-03-09T09:00:00-03:00``).

    Django's field would read a time without an offset in the server's zone; a booking made that way
    lands hours away from the clinic's time, so it is refused instead.
    """

    default_error_messages = {
        "invalid": _("Enter a valid date and time."),
        "naive": _("The time must carry its time zone."),
    }

    def to_python(self, value: Any) -> datetime | None:
        if value in self.empty_values:
            return None
        parsed = value if isinstance(value, datetime) else _parsed(str(value))
        if parsed is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if timezone.is_naive(parsed):
            raise ValidationError(self.error_messages["naive"], code="naive")
        if not EARLIEST_DATE <= parsed.date() <= LATEST_DATE:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return parsed


def _parsed(text: str) -> datetime | None:
    try:
        return parse_datetime(text.strip())
    except ValueError:  # well formed, but no such moment (a 13th month)
        return None
