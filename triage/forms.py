"""Forms of the emergency door: arrival, the triage assessment, and the four ways out of the queue.

They parse and keep what the nurse typed; the rules (impossible vital signs, a colour other than the
suggestion without a reason, who may be routed where) are the services', whose refusals are put
back next to the fields with ``clinic.http.form_errors_from``. A vital sign's field also knows its
possible limits, so that its refusal writes the numbers the nurse's way ("25,0 a 45,0").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils import formats, timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from beds.forms import AdmissionRequestForm
from clinic.models import Clinic, Room
from exams.models import Exam, OrderPriority
from patients.models import RiskColour, Sex
from staff.models import Practitioner
from triage import rules
from triage.models import Assessment, Destination

# Free text typed at the door and on the routing cards; the models keep at most this much.
NOTE_MAX_LENGTH = 200
COMPLAINT_MAX_LENGTH = 2000


class ArrivalSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Name or CPF"),
        required=False,
        max_length=120,
        widget=forms.TextInput(
            attrs={"type": "search", "autofocus": True, "autocomplete": "off", "class": "form-control"}
        ),
    )


class ArrivalForm(forms.Form):
    """An existing patient at the door: who, and what they say brings them."""

    patient = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    note = forms.CharField(label=_("Reason for coming"), max_length=NOTE_MAX_LENGTH, required=False)


class WalkInForm(forms.Form):
    """Someone without documents: the little that is known now; reception completes it later."""

    full_name = forms.CharField(
        label=_("Name"),
        max_length=160,
        initial=_("Unknown"),
        help_text=_("Leave Unknown (or Unknown man, Unknown woman) when the patient cannot say."),
    )
    sex = forms.ChoiceField(label=_("Sex"), choices=[("", _("Choose…")), *Sex.choices])
    birth_date = forms.DateField(
        label=_("Birth date"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    age_years = forms.IntegerField(
        label=_("Or approximate age (years)"),
        required=False,
        min_value=0,
        max_value=130,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    note = forms.CharField(label=_("Reason for coming"), max_length=NOTE_MAX_LENGTH, required=False)

    def clean_birth_date(self) -> Any:
        born = self.cleaned_data.get("birth_date")
        if born is not None and born > timezone.localdate():
            raise forms.ValidationError(_("The birth date cannot be in the future."))
        return born


class _CommaDecimalField(forms.DecimalField):
    """A decimal as typed on a tablet: "36,5" and "36.5" both mean 36.5."""

    def to_python(self, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().replace(",", ".")
        return super().to_python(value)


def vital_label(name: str) -> str:
    """The vital sign's name with its unit, as the model names it ("SpO2 (%)")."""
    return capfirst(str(getattr(Assessment._meta.get_field(name), "verbose_name", name)))


def _written(number: rules.Number) -> str:
    """A number as the reader writes it: "37,8" and "1.500" in Portuguese, "37.8" and "1,500" in English."""
    return formats.number_format(number, force_grouping=True)


def _possible(name: str) -> Callable[[rules.Number], None]:
    """The check of ``rules.VITAL_LIMITS`` for one vital sign, saying the numbers the reader's way.

    The service holds the same limits for every caller; checked here first, the form's message
    writes "25,0 a 45,0" where the service's would write "25.0".
    """
    low, high = rules.VITAL_LIMITS[name]

    def check(value: rules.Number) -> None:
        if not low <= value <= high:
            raise forms.ValidationError(
                _("%(value)s is not possible here: check the measurement (%(low)s to %(high)s)."),
                code="impossible",
                params={"value": _written(value), "low": _written(low), "high": _written(high)},
            )

    return check


def _vital_field(name: str) -> forms.Field:
    """The input of one vital sign, labelled with its unit.

    A text input with a numeric keyboard, not a number input: a browser in Portuguese turns "37,8"
    typed into a number input into 378 (or nothing). The server reads "37,8" and "37.8" alike.
    """
    low, _high = rules.VITAL_LIMITS[name]
    decimal = isinstance(low, Decimal)
    if decimal:
        attrs = {"inputmode": "decimal", "pattern": "[0-9]+([,.][0-9])?"}
    else:
        attrs = {"inputmode": "numeric", "pattern": "[0-9]+"}
    label = vital_label(name)
    widget = forms.TextInput(attrs={**attrs, "autocomplete": "off"})
    validators = [_possible(name)]
    if decimal:
        return _CommaDecimalField(label=label, required=False, decimal_places=1, widget=widget, validators=validators)
    return forms.IntegerField(label=label, required=False, widget=widget, validators=validators)


class AssessmentForm(forms.Form):
    complaint = forms.CharField(
        label=_("Chief complaint"), max_length=COMPLAINT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )
    signs = forms.MultipleChoiceField(
        label=_("Signs observed"),
        required=False,
        choices=[(d.code, d.label) for d in rules.DISCRIMINATORS],
        widget=forms.CheckboxSelectMultiple,
    )
    risk = forms.ChoiceField(
        label=_("Risk colour"), choices=RiskColour.choices, widget=forms.RadioSelect, required=False
    )
    override_reason = forms.CharField(
        label=_("Reason for another colour"),
        max_length=NOTE_MAX_LENGTH,
        required=False,
        help_text=_("Needed only when the colour differs from the suggested one."),
    )
    # When the form was opened, so a re-triage records how long it took.
    started_at = forms.DateTimeField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        vitals = {name: _vital_field(name) for name in rules.VITAL_FIELDS}
        # The vital signs sit between the complaint and the signs, in the order of the rules.
        self.fields = {"complaint": self.fields.pop("complaint"), **vitals, **self.fields}

    def vitals(self) -> dict[str, int | Decimal | None]:
        """The measured vital signs, None where not measured."""
        return {name: self.cleaned_data.get(name) for name in rules.VITAL_FIELDS}


def suggestion_input(data: Mapping[str, Any]) -> tuple[dict[str, int | Decimal | None], list[str]]:
    """The vital signs and signs of a form being filled in, for a live suggestion.

    Lenient: a value that is not a number, or not possible, counts as not measured; the form says
    what is wrong when it is sent.
    """
    vitals: dict[str, int | Decimal | None] = {}
    for name in rules.VITAL_FIELDS:
        vitals[name] = _number(str(data.get(name, "")), integer=name != "temperature")
    possible = {name: value for name, value in vitals.items() if name not in rules.check_possible(vitals)}
    signs = [code for code in _get_list(data, "signs") if code in rules.DISCRIMINATOR_BY_CODE]
    return possible, signs


def _get_list(data: Mapping[str, Any], key: str) -> list[str]:
    getlist = getattr(data, "getlist", None)
    return list(getlist(key)) if getlist else list(data.get(key, []))


def _number(text: str, *, integer: bool) -> int | Decimal | None:
    text = text.strip().replace(",", ".")
    if not text or len(text) > 10:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite():
        return None
    if integer:
        return int(value) if value == value.to_integral_value() else None
    return value.quantize(Decimal("0.1"))


# Routing ----------------------------------------------------------------------------------------


class DestinationForm(forms.Form):
    destination = forms.ChoiceField(choices=Destination.choices)


class ConsultationRouteForm(forms.Form):
    """A doctor (with the specialty they see the patient in) and a consulting room of the clinic.

    One choice names both doctor and specialty, so the nurse makes one tap; doctors on duty in the
    emergency unit come first.
    """

    doctor = forms.ChoiceField(label=_("Doctor"), error_messages={"required": _("Choose the doctor.")})
    room = forms.ModelChoiceField(
        label=_("Consulting room"), queryset=Room.objects.none(), error_messages={"required": _("Choose the room.")}
    )
    note = forms.CharField(label=_("Note for the doctor"), max_length=NOTE_MAX_LENGTH, required=False)

    def __init__(
        self,
        *args: Any,
        on_duty: Iterable[Practitioner],
        others: Iterable[Practitioner],
        clinic: Clinic,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self._choices: dict[str, tuple[Practitioner, Any]] = {}
        groups = [(_("On duty now"), on_duty), (_("Other doctors of the clinic"), others)]
        choices: list[Any] = [("", _("Choose…"))]
        seen: set[int] = set()
        for title, practitioners in groups:
            options = []
            for practitioner in practitioners:
                if practitioner.pk in seen:
                    continue
                seen.add(practitioner.pk)
                for specialty in practitioner.specialties.all():
                    key = f"{practitioner.pk}:{specialty.pk}"
                    self._choices[key] = (practitioner, specialty)
                    options.append((key, f"{practitioner.user.get_full_name()} · {specialty.name}"))
            if options:
                choices.append((title, options))
        self.fields["doctor"].choices = choices  # type: ignore[attr-defined]
        self.fields["room"].queryset = Room.objects.filter(  # type: ignore[attr-defined]
            clinic=clinic, kind=Room.Kind.CONSULTING, is_active=True
        ).order_by("code")

    @property
    def has_doctors(self) -> bool:
        return bool(self._choices)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        picked = self._choices.get(data.get("doctor", ""))
        if picked is not None:
            data["practitioner"], data["specialty"] = picked
        return data


class ExamsRouteForm(forms.Form):
    exams = forms.ModelMultipleChoiceField(
        label=_("Exams"),
        queryset=Exam.objects.none(),
        widget=forms.SelectMultiple(attrs={"size": 10}),
        error_messages={"required": _("Choose at least one exam.")},
        help_text=_("Hold Ctrl (or Cmd) to choose more than one."),
    )
    priority = forms.ChoiceField(label=_("Priority"), choices=OrderPriority.choices, initial=OrderPriority.URGENT)
    indication = forms.CharField(
        label=_("Clinical indication"), max_length=NOTE_MAX_LENGTH, required=False, widget=forms.Textarea({"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["exams"].queryset = Exam.objects.filter(is_active=True).order_by("name")  # type: ignore[attr-defined]


_bed_request = AdmissionRequestForm.base_fields


class AdmissionRouteForm(forms.Form):
    """What the bed must offer; the same fields as a doctor's admission request on the chart."""

    ward_kind = _bed_request["ward_kind"]
    needs_isolation = _bed_request["needs_isolation"]
    equipment = _bed_request["equipment"]
    priority = _bed_request["priority"]
    reason = _bed_request["reason"]


class DischargeRouteForm(forms.Form):
    note = forms.CharField(
        label=_("Discharge note"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": _("Write the discharge note.")},
    )


class LeftForm(forms.Form):
    note = forms.CharField(label=_("Note"), max_length=NOTE_MAX_LENGTH, required=False)
