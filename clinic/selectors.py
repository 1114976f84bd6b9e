"""Reads of the clinics network, scoped to what a user may see (``clinic.access``)."""

from __future__ import annotations

from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404

from clinic.access import clinics_for_user, require
from clinic.models import Clinic, Floor, Room
from staff.models import User


def clinic_list(user: User) -> QuerySet[Clinic]:
    return (
        clinics_for_user(user)
        .annotate(floor_count=Count("floors", distinct=True), room_count=Count("rooms", distinct=True))
        .order_by("name")
    )


def clinic_for_user(user: User, pk: int) -> Clinic:
    require(user, "clinic.view_clinic")
    try:
        return (
            clinics_for_user(user)
            .prefetch_related(
                Prefetch(
                    "floors",
                    queryset=Floor.objects.prefetch_related(Prefetch("rooms", queryset=Room.objects.order_by("code"))),
                )
            )
            .get(pk=pk)
        )
    except Clinic.DoesNotExist as error:
        raise Http404 from error
