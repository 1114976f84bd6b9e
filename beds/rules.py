"""The hard rules a bed must meet for an admission, shared by the suggestion and the services."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q
from django.utils.translation import gettext as _

from beds.models import Bed, RoomSex, WardKind, equipment_labels
from patients.models import Sex


def room_sexes_for(patient_sex: str) -> list[str]:
    """The room restrictions a patient of ``patient_sex`` may be placed under."""
    if patient_sex == Sex.FEMALE:
        return [RoomSex.ANY, RoomSex.FEMALE]
    if patient_sex == Sex.MALE:
        return [RoomSex.ANY, RoomSex.MALE]
    return [RoomSex.ANY]


def fits_q(*, patient_sex: str, needs_isolation: bool, equipment: Iterable[str], ward_kind: str | None) -> Q:
    """The hard rules as a filter on beds: kind of ward, isolation, equipment, the room's sex."""
    rules = Q(room__sex__in=room_sexes_for(patient_sex), equipment__contains=sorted(set(equipment)))
    if ward_kind:
        rules &= Q(room__ward__kind=ward_kind)
    if needs_isolation:
        rules &= Q(isolation_capable=True)
    return rules


def fit_problems(
    bed: Bed, *, patient_sex: str, needs_isolation: bool, equipment: Iterable[str], ward_kind: str | None
) -> list[str]:
    """Why ``bed`` breaks a hard rule, in words for the nurse; empty when it fits.

    Precondition: ``bed.room.ward`` is loaded.
    """
    problems = []
    ward = bed.room.ward
    if ward_kind and ward.kind != ward_kind:
        problems.append(
            _("This bed's ward is %(kind)s; %(wanted)s was asked for.")
            % {"kind": ward.get_kind_display(), "wanted": _kind_label(ward_kind)}
        )
    if needs_isolation and not bed.isolation_capable:
        problems.append(_("The patient needs isolation and this bed cannot isolate."))
    missing = sorted(set(equipment) - set(bed.equipment))
    if missing:
        problems.append(_("The bed lacks: %(items)s.") % {"items": ", ".join(equipment_labels(missing)).lower()})
    if bed.room.sex not in room_sexes_for(patient_sex):
        problems.append(_("The room is %(restriction)s.") % {"restriction": bed.room.get_sex_display().lower()})
    return problems


def _kind_label(kind: str) -> str:
    return str(WardKind(kind).label)
