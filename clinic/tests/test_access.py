"""The one rule of who reads what across the network (clinic/access.py), role by role."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import translation

from clinic import access
from clinic.models import Clinic, Floor
from staff import roles
from staff.models import User
from tests.factories import ClinicFactory, FloorFactory


@pytest.fixture
def away(db: None) -> Clinic:
    return ClinicFactory()


@pytest.mark.parametrize(
    ("role", "whole_network", "network_chart", "allergies"),
    [
        (roles.RECEPTION, False, False, False),
        (roles.TRIAGE_NURSE, False, True, True),
        (roles.WARD_NURSE, False, True, True),
        (roles.DOCTOR, False, True, True),
        (roles.LAB, False, False, True),
        (roles.BILLING, False, False, False),
        (roles.MANAGER, True, True, False),
        (roles.ADMIN, True, True, False),
    ],
)
def test_each_role_reads_what_the_rule_says(
    role: str,
    whole_network: bool,
    network_chart: bool,
    allergies: bool,
    clinic: Clinic,
    away: Clinic,
    make_user: Callable[..., User],
) -> None:
    user = make_user(role)
    assert access.sees_whole_network(user) is whole_network
    assert access.reads_network_chart(user) is network_chart
    assert access.sees_allergies(user) is allergies
    assert access.works_in(user, clinic.pk)
    assert access.works_in(user, away.pk) is whole_network
    expected = sorted([clinic.pk, away.pk]) if whole_network else [clinic.pk]
    assert [pk for pk in access.visible_clinic_ids(user) if pk in (clinic.pk, away.pk)] == expected


def test_work_is_filtered_to_the_users_clinics_and_the_chart_to_the_reader(
    clinic: Clinic, away: Clinic, make_user: Callable[..., User]
) -> None:
    here, there = FloorFactory(clinic=clinic), FloorFactory(clinic=away)
    floors = Floor.objects.filter(pk__in=[here.pk, there.pk])
    reception, doctor = make_user(roles.RECEPTION), make_user(roles.DOCTOR)

    assert list(access.in_clinics(floors, reception)) == [here]
    assert list(access.in_clinics(floors, doctor)) == [here]
    assert list(access.in_chart(floors, reception)) == [here]
    assert set(access.in_chart(floors, doctor)) == {here, there}


def test_another_clinics_object_is_not_found_and_garbage_ids_too(
    clinic: Clinic, away: Clinic, make_user: Callable[..., User]
) -> None:
    here, there = FloorFactory(clinic=clinic), FloorFactory(clinic=away)
    nurse = make_user(roles.WARD_NURSE)
    assert access.in_clinics_or_404(Floor.objects.all(), nurse, here.pk) == here
    for pk in (there.pk, 0, -1, "abc", None, 10**30):
        with pytest.raises(Http404):
            access.in_clinics_or_404(Floor.objects.all(), nurse, pk)
    assert access.in_clinics_or_404(Floor.objects.all(), make_user(roles.MANAGER), there.pk) == there


def test_a_service_refuses_to_act_in_another_clinic(
    clinic: Clinic, away: Clinic, make_user: Callable[..., User]
) -> None:
    reception = make_user(roles.RECEPTION)
    access.require_works_in(reception, clinic.pk)
    for clinic_id in (away.pk, None):
        with translation.override("en"), pytest.raises(PermissionDenied, match="You do not work in this clinic"):
            access.require_works_in(reception, clinic_id)


def test_a_clinic_asked_for_must_be_one_of_the_users(
    clinic: Clinic, away: Clinic, make_user: Callable[..., User]
) -> None:
    reception = make_user(roles.RECEPTION)
    assert access.chosen_clinic(reception, "") == (None, [clinic])
    assert access.chosen_clinic(reception, str(clinic.pk)) == (clinic, [clinic])
    for raw in (str(away.pk), "x", "1e3", "\x00"):
        with pytest.raises(Http404):
            access.chosen_clinic(reception, raw)


def test_the_users_clinics_are_read_once_per_request(
    clinic: Clinic, make_user: Callable[..., User], django_assert_num_queries: Callable[..., object]
) -> None:
    nurse = make_user(roles.WARD_NURSE)
    nurse.has_perm("beds.view_bed")  # a view checks its permission first, which loads them all
    with django_assert_num_queries(1):  # type: ignore[operator]
        access.visible_clinic_ids(nurse)
        access.works_in(nurse, clinic.pk)
        access.visible_clinic_ids(nurse)
