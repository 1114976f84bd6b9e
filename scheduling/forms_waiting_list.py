"""Forms of the waiting list pages. The rules (duplicates, who attends what, where) are in the services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from clinic.models import Clinic
from scheduling.models import WaitingListEntry
from staff.models import Practitioner, Specialty


class PractitionerChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.user} ({obj.registration})"


class ClinicChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.code} · {obj.name}"


class WaitingListFilterForm(forms.Form):
    specialty = forms.ModelChoiceField(
        label=_("Specialty"), queryset=Specialty.objects.none(), required=False, empty_label=_("All specialties")
    )
    clinic = ClinicChoiceField(
        label=_("Clinic"), queryset=Clinic.objects.none(), required=False, empty_label=_("All my clinics")
    )

    def __init__(self, *args: Any, clinics: QuerySet[Clinic], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["specialty"].queryset = Specialty.objects.filter(is_active=True).order_by("name")  # type: ignore[attr-defined]
        self.fields["clinic"].queryset = clinics.order_by("code")  # type: ignore[attr-defined]


class WaitingListAddForm(forms.Form):
    specialty = forms.ModelChoiceField(label=_("Specialty"), queryset=Specialty.objects.none())
    practitioner = PractitionerChoiceField(
        label=_("Practitioner"),
        queryset=Practitioner.objects.none(),
        required=False,
        empty_label=_("Any practitioner"),
        help_text=_("Only if the patient waits for this person."),
    )
    clinic = ClinicChoiceField(
        label=_("Clinic"),
        queryset=Clinic.objects.none(),
        required=False,
        empty_label=_("Any clinic of the network"),
        help_text=_("Only if the patient can come to this clinic alone."),
    )
    priority = forms.TypedChoiceField(
        label=_("Priority"),
        choices=WaitingListEntry.Priority.choices,
        coerce=int,
        initial=WaitingListEntry.Priority.ROUTINE,
    )
    notes = forms.CharField(
        label=_("Notes"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: prefers mornings; call the daughter first."),
    )

    def __init__(
        self, *args: Any, clinics: QuerySet[Clinic], practitioners: QuerySet[Practitioner], **kwargs: Any
    ) -> None:
        """``clinics`` and ``practitioners``: those of the clinics the user works in (clinic/access.py)."""
        super().__init__(*args, **kwargs)
        self.fields["specialty"].queryset = Specialty.objects.filter(is_active=True).order_by("name")  # type: ignore[attr-defined]
        self.fields["practitioner"].queryset = practitioners.order_by(  # type: ignore[attr-defined]
            "user__first_name", "user__last_name", "pk"
        )
        self.fields["clinic"].queryset = clinics.order_by("code")  # type: ignore[attr-defined]


class WaitingListRemoveForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=WaitingListEntry._meta.get_field("closed_reason").max_length,
        error_messages={"required": _("Say why the patient leaves the waiting list.")},
    )
