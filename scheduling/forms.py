"""Forms of booking and of the appointment's steps."""

from __future__ import annotations

from datetime import date as datetime_date
from datetime import timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clinic.forms import AwareDateTimeField, BoundedDateField
from clinic.models import Clinic
from scheduling.selectors import bookable_practitioners
from staff.models import Practitioner, Specialty

# How many days ahead the slot list looks at once.
BOOKING_DAYS = 7


class PractitionerChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.user)


class BookingSearchForm(forms.Form):
    """Specialty, then clinic and practitioner (or any), then the first day to look at."""

    specialty = forms.ModelChoiceField(
        label=_("Specialty"), queryset=Specialty.objects.filter(is_active=True), empty_label=_("Choose a specialty")
    )
    clinic = forms.ModelChoiceField(
        label=_("Clinic"), queryset=Clinic.objects.none(), required=False, empty_label=_("Any clinic")
    )
    practitioner = PractitionerChoiceField(
        label=_("Practitioner"), queryset=Practitioner.objects.none(), required=False, empty_label=_("Any available")
    )
    date = BoundedDateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, clinics: QuerySet[Clinic], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clinic"].queryset = clinics.order_by("name")  # type: ignore[attr-defined]
        specialty = self._raw_pk("specialty")
        practitioners = Practitioner.objects.none()
        if specialty is not None:
            # Those who can be booked where the user books: in the chosen clinic, or in any of theirs.
            chosen_clinic = self._raw_pk("clinic")
            where = [c for c in clinics if c.pk == chosen_clinic] or list(clinics)
            practitioners = bookable_practitioners(specialty=specialty, clinics=where)
        self.fields["practitioner"].queryset = practitioners  # type: ignore[attr-defined]
        chosen = self._raw_pk("practitioner")
        if self.is_bound and chosen is not None and not practitioners.filter(pk=chosen).exists():
            # The specialty or clinic changed under a chosen practitioner who lacks it: back to "any available".
            data = self.data.copy()  # type: ignore[attr-defined]
            data["practitioner"] = ""
            self.data = data

    def _raw_pk(self, name: str) -> int | None:
        raw = self.data.get(name) if self.is_bound else self.initial.get(name)
        try:
            return int(raw) if raw is not None and raw != "" else None
        except (TypeError, ValueError):
            return None

    def clean_date(self) -> datetime_date:
        day: datetime_date | None = self.cleaned_data["date"]
        today = timezone.localdate()
        day = max(day or today, today)
        clinics = self.fields["clinic"].queryset  # type: ignore[attr-defined]
        horizon = max(clinics.values_list("booking_horizon_days", flat=True), default=0)
        if day > today + timedelta(days=horizon):
            raise forms.ValidationError(
                ngettext(
                    "Appointments are booked at most %(days)s day ahead.",
                    "Appointments are booked at most %(days)s days ahead.",
                    horizon,
                ),
                params={"days": horizon},
                code="beyond_horizon",
            )
        return day


class SlotForm(forms.Form):
    """The slot chosen from the list: who, what, when (checked again by the booking service).

    The practitioners offered are those with hours in the clinics the user books for
    (``practitioners``; clinic/access.py): another clinic's practitioner posted back is refused.
    """

    practitioner = forms.ModelChoiceField(queryset=Practitioner.objects.none(), widget=forms.HiddenInput)
    specialty = forms.ModelChoiceField(queryset=Specialty.objects.filter(is_active=True), widget=forms.HiddenInput)
    starts_at = AwareDateTimeField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, practitioners: QuerySet[Practitioner], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = practitioners  # type: ignore[attr-defined]


class BookingConfirmForm(SlotForm):
    patient = forms.IntegerField(widget=forms.HiddenInput)
    waiting = forms.IntegerField(widget=forms.HiddenInput, required=False)
    overbooking_reason = forms.CharField(label=_("Reason for overbooking"), max_length=200, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class RescheduleForm(forms.Form):
    starts_at = AwareDateTimeField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class DayForm(forms.Form):
    date = BoundedDateField(label=_("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
