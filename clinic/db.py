"""Database expressions shared by the apps: PostgreSQL ranges built from two columns."""

from django.contrib.postgres.fields import DateRangeField, DateTimeRangeField
from django.db.models import Func


class DateRange(Func):
    """``daterange(lower, upper, bounds)``; pass ``RangeBoundary(...)`` as the third argument."""

    function = "DATERANGE"
    output_field = DateRangeField()


class TsTzRange(Func):
    """``tstzrange(lower, upper, bounds)``: a period in time, for exclusion constraints."""

    function = "TSTZRANGE"
    output_field = DateTimeRangeField()
