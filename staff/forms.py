"""Forms of the rota page."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from staff.models import CareUnit, ShiftFunction, User
from staff.selectors import iso_week, staff_of_clinic

_ISO_WEEK = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)
# Shifts are planned (or corrected) within this distance from today; further is a typing slip.
PLANNING_HORIZON = timedelta(days=366)


class IsoWeekField(forms.Field):
    """An ISO week typed as ``2026-W10`` (what a browser's week input sends); cleaned to its Monday."""

    widget = forms.TextInput(attrs={"type": "week", "placeholder": "2026-W10"})
    default_error_messages = {"invalid": _("Enter a week as year and week number, e.g. 2026-W10.")}

    def to_python(self, value: Any) -> date | None:
        if value in self.empty_values:
            return None
        if isinstance(value, date):
            return value - timedelta(days=value.weekday())
        match = _ISO_WEEK.match(str(value))
        if not match:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            return date.fromisocalendar(int(match[1]), int(match[2]), 1)
        except ValueError as error:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from error

    def prepare_value(self, value: Any) -> Any:
        return iso_week(value) if isinstance(value, date) else value


class CareUnitChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: CareUnit) -> str:
        return f"{obj.clinic.code} · {obj.name} ({obj.get_kind_display()})"


class RotaFilterForm(forms.Form):
    """Which unit and week the rota page shows."""

    unit = CareUnitChoiceField(label=_("Care unit"), queryset=CareUnit.objects.none(), required=False)
    week = IsoWeekField(label=_("Week"), required=False)

    def __init__(self, *args: Any, units: QuerySet[CareUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        unit_field = self.fields["unit"]
        assert isinstance(unit_field, CareUnitChoiceField)
        unit_field.queryset = units
        unit_field.widget.attrs["data-autosubmit"] = ""


class PersonChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: User) -> str:
        return str(obj)


class ShiftForm(forms.Form):
    """A shift on one day, typed as the clinic's wall-clock times; an end at or before the start is the next day."""

    user = PersonChoiceField(label=_("Person"), queryset=User.objects.none())
    day = forms.DateField(label=_("Day"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    start_time = forms.TimeField(label=_("From"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    end_time = forms.TimeField(label=_("Until"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    function = forms.ChoiceField(label=_("Function"), choices=ShiftFunction.choices)
    notes = forms.CharField(label=_("Notes"), max_length=200, required=False)
    week = IsoWeekField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, unit: CareUnit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unit = unit
        self.zone = unit.clinic.zone
        person = self.fields["user"]
        assert isinstance(person, PersonChoiceField)
        person.queryset = staff_of_clinic(unit.clinic)

    def clean_day(self) -> date:
        day: date = self.cleaned_data["day"]
        today = timezone.localdate(timezone.now(), self.zone)
        if abs(day - today) > PLANNING_HORIZON:
            raise forms.ValidationError(_("Choose a day within a year from today."))
        return day

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        day, start, end = cleaned.get("day"), cleaned.get("start_time"), cleaned.get("end_time")
        if day is not None and start is not None and end is not None:
            end_day = day if end > start else day + timedelta(days=1)
            cleaned["starts_at"] = timezone.make_aware(datetime.combine(day, start), self.zone)
            cleaned["ends_at"] = timezone.make_aware(datetime.combine(end_day, end), self.zone)
        return cleaned

    def service_fields(self) -> dict[str, Any]:
        """The keyword arguments of ``shift_add`` (without ``by``)."""
        data = self.cleaned_data
        return {
            "user": data["user"],
            "unit": self.unit,
            "starts_at": data["starts_at"],
            "ends_at": data["ends_at"],
            "function": data["function"],
            "notes": data["notes"],
        }
