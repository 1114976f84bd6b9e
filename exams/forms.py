"""Forms of the exam pages: filters, the order, scheduling, results entry and cancelling.

They parse what the user typed; every rule about orders and results is the services' (a refusal
comes back as a ValidationError and is shown next to the field it names).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from clinic.forms import AwareDateTimeField, BoundedDateField
from clinic.models import Clinic
from exams.models import OPEN_ORDER, Analyte, Exam, ExamKind, OrderPriority, OrderStatus, ValueKind
from staff.models import CareUnit, Practitioner

# The longest report the results form takes; a written imaging report is a page or two.
MAX_REPORT_LENGTH = 20_000
MAX_INDICATION_LENGTH = 2_000


class WorklistFilterForm(forms.Form):
    """Which unit's worklist (one of the units already loaded for the user), and which open status."""

    unit = forms.TypedChoiceField(coerce=int, label=_("Unit"), required=False, empty_value=None)
    status = forms.ChoiceField(
        choices=[("", _("Every open status")), *[(s.value, s.label) for s in OPEN_ORDER]],
        label=_("Status"),
        required=False,
    )

    def __init__(self, *args: Any, units: Iterable[CareUnit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.units = {unit.pk: unit for unit in units}
        field: forms.TypedChoiceField = self.fields["unit"]  # type: ignore[assignment]
        field.choices = [(pk, unit.name) for pk, unit in self.units.items()]

    def clean_unit(self) -> CareUnit | None:
        pk = self.cleaned_data.get("unit")
        return self.units.get(pk) if pk is not None else None


class OrderFilterForm(forms.Form):
    mine = forms.BooleanField(label=_("Only the orders I made"), required=False)
    status = forms.ChoiceField(
        choices=[("", _("Every status")), *OrderStatus.choices], label=_("Status"), required=False
    )
    patient = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)


def exam_label(exam: Exam) -> str:
    """What the exam select shows: the name, then what people also search by (the code, the specimen)."""
    parts = [exam.name, exam.code]
    if exam.specimen:
        parts.append(str(exam.get_specimen_display()))
    if exam.needs_scheduling:
        parts.append(str(_("needs scheduling")))
    return " · ".join(parts)


class _ExamField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return exam_label(obj)


class ExamOrderForm(forms.Form):
    exam = _ExamField(queryset=Exam.objects.none(), label=_("Exam"), empty_label=_("Choose an exam"))
    priority = forms.ChoiceField(choices=OrderPriority.choices, label=_("Priority"), initial=OrderPriority.ROUTINE)
    clinic = forms.ModelChoiceField(queryset=Clinic.objects.none(), label=_("Clinic"))
    indication = forms.CharField(
        label=_("Clinical indication"),
        required=False,
        max_length=MAX_INDICATION_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the exam is asked for: the lab and the radiologist read it."),
    )

    def __init__(
        self,
        *args: Any,
        clinics: QuerySet[Clinic],
        fixed_clinic: Clinic | None = None,
        preparation_url: str = "",
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        exams = list(Exam.objects.filter(is_active=True).order_by("kind", "name"))
        exam_field: _ExamField = self.fields["exam"]  # type: ignore[assignment]
        exam_field.queryset = Exam.objects.filter(is_active=True)
        # Grouped by kind, so a long catalog reads as two short lists.
        exam_field.choices = [  # type: ignore[assignment]
            ("", exam_field.empty_label),
            *[
                (str(kind.label), [(exam.pk, exam_label(exam)) for exam in exams if exam.kind == kind])
                for kind in ExamKind
                if any(exam.kind == kind for exam in exams)
            ],
        ]
        if preparation_url:
            # Choosing an exam shows its preparation (the page answers htmx with that part only).
            exam_field.widget.attrs.update(
                {"hx-get": preparation_url, "hx-trigger": "change", "hx-target": "#preparation", "hx-swap": "outerHTML"}
            )
        self.fixed_clinic = fixed_clinic
        if fixed_clinic is not None:
            # The consultation or admission decides where the exam is done.
            del self.fields["clinic"]
        else:
            clinic_field: forms.ModelChoiceField = self.fields["clinic"]  # type: ignore[type-arg,assignment]
            clinic_field.queryset = clinics.order_by("name")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.fixed_clinic is not None:
            data["clinic"] = self.fixed_clinic
        return data


class ScheduleForm(forms.Form):
    """The time chosen from the list of free ones (checked again by the booking service); the
    practitioners offered are those of the user's clinics (clinic/access.py)."""

    practitioner = forms.ModelChoiceField(queryset=Practitioner.objects.none(), widget=forms.HiddenInput)
    starts_at = AwareDateTimeField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, practitioners: QuerySet[Practitioner], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["practitioner"].queryset = practitioners  # type: ignore[attr-defined]


class ScheduleStartForm(forms.Form):
    """From which day the free times are listed (today when absent or unreadable)."""

    start = BoundedDateField(required=False)


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=200)


def value_field(analyte_pk: int) -> str:
    return f"value_{analyte_pk}"


def unit_field(analyte_pk: int) -> str:
    return f"unit_{analyte_pk}"


class ResultsForm(forms.Form):
    """One value (and its unit, for numbers) per analyte of the exam, the report, an attachment.

    Fields are checked for length only: whether a value is a number, whether the unit is the
    analyte's, and whether every analyte is there, is decided by ``results_enter``.
    """

    report = forms.CharField(
        label=_("Report"), required=False, max_length=MAX_REPORT_LENGTH, widget=forms.Textarea(attrs={"rows": 10})
    )
    attachment = forms.FileField(label=_("Attachment (PDF, JPEG or PNG)"), required=False)

    def __init__(self, *args: Any, analytes: list[Analyte], is_imaging: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.analytes = analytes
        for analyte in analytes:
            number = analyte.value_kind == ValueKind.NUMBER
            self.fields[value_field(analyte.pk)] = forms.CharField(
                label=analyte.name,
                required=False,
                max_length=200,
                widget=forms.TextInput(attrs={"inputmode": "decimal"} if number else {}),
            )
            if number and analyte.unit:
                self.fields[unit_field(analyte.pk)] = forms.CharField(
                    label=_("Unit of %(analyte)s") % {"analyte": analyte.name},
                    required=False,
                    max_length=20,
                    initial=analyte.unit,
                )
        if not is_imaging:
            del self.fields["report"]
        attachment: forms.FileField = self.fields["attachment"]  # type: ignore[assignment]
        attachment.help_text = _("Up to %(limit)s MB.") % {"limit": settings.DOCUMENT_MAX_UPLOAD_MB}
        attachment.widget.attrs["accept"] = "application/pdf,image/jpeg,image/png"

    def values(self) -> dict[int, tuple[str, str]]:
        """What ``results_enter`` takes: analyte pk -> (typed value, typed unit), for the values given."""
        typed = {}
        for analyte in self.analytes:
            value = self.cleaned_data.get(value_field(analyte.pk), "").strip()
            if value:
                typed[analyte.pk] = (value, self.cleaned_data.get(unit_field(analyte.pk), "").strip())
        return typed
