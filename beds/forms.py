"""Forms of the ward pages: the board's filters, admission requests, discharge, blocks and reservations."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from beds.models import (
    AdmissionSource,
    BedState,
    DischargeKind,
    Equipment,
    Priority,
    Ward,
    WardKind,
)
from clinic.models import Clinic, Floor
from patients.models import RiskColour


class BoardFilterForm(forms.Form):
    """What the board shows: a clinic (or one of its wards), a kind of ward, a state."""

    clinic = forms.ModelChoiceField(queryset=Clinic.objects.none(), label=_("Clinic"), required=False)
    ward = forms.ModelChoiceField(queryset=Ward.objects.none(), label=_("Ward"), required=False)
    kind = forms.ChoiceField(choices=[("", _("Every kind")), *WardKind.choices], label=_("Kind"), required=False)
    state = forms.ChoiceField(choices=[("", _("Every state")), *BedState.choices], label=_("State"), required=False)

    def __init__(self, *args: Any, clinics: Any, wards: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clinic"].queryset = clinics  # type: ignore[attr-defined]
        self.fields["ward"].queryset = wards  # type: ignore[attr-defined]


class AdmissionRequestForm(forms.Form):
    clinic = forms.ModelChoiceField(queryset=Clinic.objects.none(), label=_("Clinic"))
    origin_floor = forms.ModelChoiceField(
        queryset=Floor.objects.none(),
        label=_("Where the patient is now"),
        required=False,
        help_text=_("A bed on this floor is preferred."),
    )
    source = forms.ChoiceField(choices=AdmissionSource.choices, label=_("Requested from"))
    ward_kind = forms.ChoiceField(choices=WardKind.choices, label=_("Kind of ward"))
    needs_isolation = forms.BooleanField(label=_("Needs isolation"), required=False)
    equipment = forms.MultipleChoiceField(
        choices=Equipment.choices, label=_("Equipment needed"), required=False, widget=forms.CheckboxSelectMultiple
    )
    priority = forms.ChoiceField(choices=Priority.choices, label=_("Priority"), initial=Priority.ROUTINE)
    risk = forms.ChoiceField(choices=[("", _("Not classified")), *RiskColour.choices], label=_("Risk"), required=False)
    reason = forms.CharField(label=_("Reason for admission"), widget=forms.Textarea(attrs={"rows": 3}), max_length=2000)

    def __init__(self, *args: Any, clinics: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clinic"].queryset = clinics  # type: ignore[attr-defined]
        self.fields["origin_floor"].queryset = (  # type: ignore[attr-defined]
            Floor.objects.filter(clinic__in=clinics).select_related("clinic").order_by("clinic__name", "level")
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        floor, clinic = data.get("origin_floor"), data.get("clinic")
        if floor is not None and clinic is not None and floor.clinic_id != clinic.pk:
            self.add_error("origin_floor", _("This floor is in another clinic."))
        return data


class DischargeForm(forms.Form):
    kind = forms.ChoiceField(choices=DischargeKind.choices, label=_("Discharge"), widget=forms.RadioSelect)
    notes = forms.CharField(
        label=_("Discharge notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=4000
    )


class BlockForm(forms.Form):
    reason = forms.CharField(label=_("Reason for the block"), max_length=200)


class CancelRequestForm(forms.Form):
    reason = forms.CharField(label=_("Why is the request cancelled?"), max_length=200)


class BedChoiceForm(forms.Form):
    """The bed picked on a suggestion list (checked again by the service, under lock)."""

    bed = forms.IntegerField(min_value=1, error_messages={"required": _("Choose a bed.")})


class ReserveForm(BedChoiceForm):
    hours = forms.IntegerField(label=_("Hold for (hours)"), min_value=1, max_value=24, initial=2)


class TransferFilterForm(forms.Form):
    kind = forms.ChoiceField(choices=[("", _("Any kind")), *WardKind.choices], label=_("Kind of ward"), required=False)
    clinic = forms.ModelChoiceField(queryset=Clinic.objects.none(), label=_("Clinic"), required=False)

    def __init__(self, *args: Any, clinics: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["clinic"].queryset = clinics  # type: ignore[attr-defined]
