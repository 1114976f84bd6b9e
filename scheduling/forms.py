"""Forms of booking and of the appointment's steps."""

from __future__ import annotations

from datetime import date as datetime_date
from datetime import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinic.models import Clinic
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
    date = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, clinics: QuerySet[Clinic], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clinic"].queryset = clinics.order_by("name")  # type: ignore[attr-defined]
        specialty = self._raw_pk("specialty")
        practitioners = Practitioner.objects.none()
        if specialty is not None:
            practitioners = (
                Practitioner.objects.filter(is_active=True, specialty_links__specialty_id=specialty)
                .select_related("user")
                .order_by("user__first_name", "user__last_name")
            )
        self.fields["practitioner"].queryset = practitioners  # type: ignore[attr-defined]
        chosen = self._raw_pk("practitioner")
        if self.is_bound and chosen is not None and not practitioners.filter(pk=chosen).exists():
            # The specialty changed under a chosen practitioner who lacks it: back to "any available".
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
        return max(day or today, today)


class SlotForm(forms.Form):
    """The slot chosen from the list: who, what, when (checked again by the booking service)."""

    practitioner = forms.ModelChoiceField(
        queryset=Practitioner.objects.filter(is_active=True), widget=forms.HiddenInput
    )
    specialty = forms.ModelChoiceField(queryset=Specialty.objects.filter(is_active=True), widget=forms.HiddenInput)
    starts_at = forms.DateTimeField(widget=forms.HiddenInput)

    def clean_starts_at(self) -> datetime:
        value: datetime = self.cleaned_data["starts_at"]
        if timezone.is_naive(value):
            raise forms.ValidationError(_("The time must carry its time zone."))
        return value


class BookingConfirmForm(SlotForm):
    patient = forms.IntegerField(widget=forms.HiddenInput)
    waiting = forms.IntegerField(widget=forms.HiddenInput, required=False)
    overbooking_reason = forms.CharField(label=_("Reason for overbooking"), max_length=200, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class RescheduleForm(forms.Form):
    starts_at = forms.DateTimeField(widget=forms.HiddenInput)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def clean_starts_at(self) -> datetime:
        value: datetime = self.cleaned_data["starts_at"]
        if timezone.is_naive(value):
            raise forms.ValidationError(_("The time must carry its time zone."))
        return value


class DayForm(forms.Form):
    date = forms.DateField(label=_("Day"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
