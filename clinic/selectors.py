"""Reads of the clinics network, scoped to what a user may see."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, QuerySet
from django.http import Http404

from clinic.models import Clinic, Floor, Room
from staff.models import User


def user_sees_all_clinics(user: User) -> bool:
    return user.has_perm("clinic.view_all_clinics")


def clinics_for_user(user: User) -> QuerySet[Clinic]:
    """The clinics whose data ``user`` may see: their own, or every one if a role says so."""
    clinics = Clinic.objects.all()
    if not user_sees_all_clinics(user):
        clinics = clinics.filter(staff=user)
    return clinics


def clinic_list(user: User) -> QuerySet[Clinic]:
    return (
        clinics_for_user(user)
        .annotate(floor_count=Count("floors", distinct=True), room_count=Count("rooms", distinct=True))
        .order_by("name")
    )


def clinic_for_user(user: User, pk: int) -> Clinic:
    if not user.has_perm("clinic.view_clinic"):
        raise PermissionDenied
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
