"""The occupancy report's parameters: a period, and a clinic or a ward of the reader's clinics."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from beds.models import Ward
from beds.selectors import wards_for_user
from clinic.access import clinics_for_user
from clinic.forms import BoundedDateField
from clinic.models import Clinic
from staff.models import User

# A leap year's days: a calendar year always fits, and the daily table stays readable.
MAX_DAYS = 366
# Pages that open without a period show the last 30 days.
DEFAULT_DAYS = 30


class ClinicChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} · {obj.name}"


class WardChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.clinic.code} · {obj.code} · {obj.name}"


def _date_input() -> forms.DateInput:
    # The browser's date picker sends and expects ISO dates, whatever the language of the page.
    return forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class OccupancyReportForm(forms.Form):
    start = BoundedDateField(label=_("From"), widget=_date_input())
    end = BoundedDateField(label=_("To"), widget=_date_input())
    clinic = ClinicChoiceField(
        label=_("Clinic"), queryset=Clinic.objects.none(), required=False, empty_label=_("All my clinics")
    )
    ward = WardChoiceField(label=_("Ward"), queryset=Ward.objects.none(), required=False, empty_label=_("All wards"))

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clinics = clinics_for_user(user)
        self.fields["clinic"].queryset = self.clinics.order_by("code")  # type: ignore[attr-defined]
        self.fields["ward"].queryset = wards_for_user(user).order_by("clinic__code", "code")  # type: ignore[attr-defined]

    @staticmethod
    def default_period(today: date) -> dict[str, str]:
        return {"start": (today - timedelta(days=DEFAULT_DAYS - 1)).isoformat(), "end": today.isoformat()}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start and end:
            if end < start:
                self.add_error("end", gettext("The period must end on or after the day it starts."))
            elif (end - start).days + 1 > MAX_DAYS:
                self.add_error(
                    "end",
                    gettext("The period can be %(max)d days long at most; this one has %(days)d.")
                    % {"max": MAX_DAYS, "days": (end - start).days + 1},
                )
        clinic, ward = cleaned.get("clinic"), cleaned.get("ward")
        if clinic is not None and ward is not None and ward.clinic_id != clinic.pk:
            self.add_error(
                "ward",
                gettext("This ward belongs to another clinic; choose one of %(clinic)s.") % {"clinic": clinic.code},
            )
        return cleaned

    def scope(self) -> tuple[QuerySet[Clinic] | list[Clinic], Ward | None]:
        """The clinics and ward the report covers. Precondition: the form is valid."""
        ward, clinic = self.cleaned_data["ward"], self.cleaned_data["clinic"]
        if ward is not None:
            return [ward.clinic], ward
        if clinic is not None:
            return [clinic], None
        return self.clinics, None

    def scope_label(self) -> str:
        """The scope in words, for the page's title and the downloads. Precondition: the form is valid."""
        ward, clinic = self.cleaned_data["ward"], self.cleaned_data["clinic"]
        if ward is not None:
            return f"{ward.clinic.code} · {ward.code} · {ward.name}"
        if clinic is not None:
            return f"{clinic.code} · {clinic.name}"
        return gettext("All my clinics")
