"""Forms of the setup pages (wards, rooms, beds). They parse; the rules are in beds/setup.py."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from beds.models import Bed, Equipment, RoomSex, Ward, WardKind, WardRoom
from beds.setup import MAX_BEDS_AT_ONCE
from clinic.models import Floor

# Codes typed one per line, or separated by commas, semicolons or spaces.
_CODE_SEPARATORS = re.compile(r"[\s,;]+")


class FloorChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Floor) -> str:
        return obj.name


class WardForm(forms.Form):
    """A ward of one clinic: the floors offered are that clinic's."""

    code = forms.CharField(
        label=_("Code"),
        max_length=Ward._meta.get_field("code").max_length,
        help_text=_("Short code shown on the board, e.g. UTI-1."),
    )
    name = forms.CharField(label=_("Name"), max_length=Ward._meta.get_field("name").max_length)
    kind = forms.ChoiceField(label=_("Kind"), choices=WardKind.choices)
    floor = FloorChoiceField(label=_("Floor"), queryset=Floor.objects.none())
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        initial=True,
        help_text=_("An inactive ward leaves the board and takes no new patients."),
    )

    def __init__(self, *args: Any, floors: QuerySet[Floor], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        floor = self.fields["floor"]
        assert isinstance(floor, FloorChoiceField)
        floor.queryset = floors

    @classmethod
    def initial_for(cls, ward: Ward) -> dict[str, Any]:
        return {
            "code": ward.code,
            "name": ward.name,
            "kind": ward.kind,
            "floor": ward.floor,
            "is_active": ward.is_active,
        }


class RoomForm(forms.Form):
    code = forms.CharField(
        label=pgettext_lazy("ward room", "Room"),
        max_length=WardRoom._meta.get_field("code").max_length,
        help_text=_("e.g. 204"),
    )
    sex = forms.ChoiceField(label=_("Patients"), choices=RoomSex.choices, initial=RoomSex.ANY)

    @classmethod
    def initial_for(cls, room: WardRoom) -> dict[str, Any]:
        return {"code": room.code, "sex": room.sex}


class EquipmentField(forms.MultipleChoiceField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            label=_("Equipment"),
            choices=Equipment.choices,
            required=False,
            widget=forms.CheckboxSelectMultiple,
            **kwargs,
        )


class BedsAddForm(forms.Form):
    """How many beds to add (lettered after the room), or their codes."""

    count = forms.IntegerField(
        label=_("Number of beds"),
        required=False,
        min_value=1,
        max_value=MAX_BEDS_AT_ONCE,
        help_text=_("They are called after the room: 204-A, 204-B..."),
    )
    codes = forms.CharField(
        label=_("Or their codes"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line or separated by commas, e.g. 204-1, 204-2."),
    )
    isolation_capable = forms.BooleanField(label=_("Can isolate"), required=False)
    equipment = EquipmentField()

    def __init__(self, data: Any = None, *, room: WardRoom) -> None:
        # One form per room on the ward page: the prefix keeps their fields apart.
        super().__init__(data, prefix=f"room-{room.pk}")
        self.room = room

    def clean_codes(self) -> list[str]:
        raw: str = self.cleaned_data["codes"]
        codes = [code for code in _CODE_SEPARATORS.split(raw) if code]
        if len(codes) > MAX_BEDS_AT_ONCE:
            raise forms.ValidationError(
                _("Add at most %(max)d beds at once."), code="max", params={"max": MAX_BEDS_AT_ONCE}
            )
        return codes

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        count, codes = cleaned.get("count"), cleaned.get("codes")
        if count is None and not codes:
            raise forms.ValidationError(_("Say how many beds to add, or give their codes."), code="missing")
        if count is not None and codes:
            raise forms.ValidationError(_("Give a number of beds or their codes, not both."), code="both")
        return cleaned

    def service_fields(self) -> dict[str, Any]:
        """The keyword arguments of ``beds_add`` (without the room)."""
        data = self.cleaned_data
        return {
            "count": data["count"],
            "codes": data["codes"] or None,
            "isolation_capable": data["isolation_capable"],
            "equipment": data["equipment"],
        }


class BedForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=Bed._meta.get_field("code").max_length,
        help_text=_("As written on the bed, e.g. 204-B."),
    )
    isolation_capable = forms.BooleanField(label=_("Can isolate"), required=False)
    equipment = EquipmentField()

    @classmethod
    def initial_for(cls, bed: Bed) -> dict[str, Any]:
        return {"code": bed.code, "isolation_capable": bed.isolation_capable, "equipment": list(bed.equipment)}
