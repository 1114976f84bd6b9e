"""The ward pages as the people who use them: the board, a bed, requests, admit, transfer, discharge."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from beds import services
from beds.models import Admission, AdmissionStatus, Bed, BedEvent, BedState, BedStay, RoomSex, WardKind
from clinic.models import Clinic
from patients.models import PatientStatus, RiskColour
from staff import roles
from staff.models import User
from tests.factories import (
    BedFactory,
    ClinicFactory,
    FloorFactory,
    WardFactory,
    WardRoomFactory,
    make_patient,
    make_request,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def ward_setting(clinic: Clinic, make_user: Callable[..., User]) -> dict[str, Any]:
    floor = FloorFactory(clinic=clinic, level=2, name="2º andar")
    ward = WardFactory(clinic=clinic, floor=floor, code="CM-2", name="Clínica médica", kind=WardKind.GENERAL)
    women = WardRoomFactory(ward=ward, code="201", sex=RoomSex.FEMALE)
    mixed = WardRoomFactory(ward=ward, code="202")
    beds = {
        "201-A": BedFactory(room=women, code="201-A"),
        "202-A": BedFactory(room=mixed, code="202-A"),
        "202-B": BedFactory(room=mixed, code="202-B", isolation_capable=True),
    }
    nurse = make_user(roles.WARD_NURSE, username="enf.ana")
    return {
        "clinic": clinic,
        "floor": floor,
        "ward": ward,
        "beds": beds,
        "nurse": nurse,
        "doctor": make_user(roles.DOCTOR),
    }


@pytest.fixture
def english_client(client_for: Callable[[User], Client]) -> Callable[[User], Client]:
    """Pages in English, so the tests read the words a person would read there."""

    def make(user: User) -> Client:
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


@pytest.fixture
def nurse_client(ward_setting: dict[str, Any], english_client: Callable[[User], Client]) -> Client:
    return english_client(ward_setting["nurse"])


def _admitted(ward_setting: dict[str, Any], bed_code: str = "202-A", **patient: Any) -> Admission:
    request = make_request(
        clinic=ward_setting["clinic"],
        by=ward_setting["doctor"],
        risk=RiskColour.ORANGE,
        patient=make_patient(**patient),
    )
    services.admission_admit(
        admission=request,
        bed=ward_setting["beds"][bed_code],
        by=ward_setting["nurse"],
        at=timezone.now() - timedelta(days=3, hours=1),
    )
    request.refresh_from_db()
    return request


def test_the_board_shows_every_bed_with_its_patient_and_the_counts(
    ward_setting: dict[str, Any], nurse_client: Client
) -> None:
    admission = _admitted(
        ward_setting,
        full_name="João da Silva",
        social_name="",
        sex="M",
        birth_date=timezone.localdate() - timedelta(days=365 * 40 + 20),
    )
    page = nurse_client.get(reverse("beds:board"), {"ward": ward_setting["ward"].pk})
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('data-testid="bed-tile"') == 3
    assert "João da Silva" in html
    assert "40 years old" in html or "40 anos" in html
    assert admission.get_risk_display() in html
    assert 'data-state="occupied"' in html
    counts = {state: page.context["board"].counts[state] for state in BedState.values}
    assert counts == {"available": 2, "reserved": 0, "occupied": 1, "cleaning": 0, "blocked": 0}
    assert "3 days in hospital" in html or "3 dias" in html


def test_the_board_filters_by_state_and_kind(ward_setting: dict[str, Any], nurse_client: Client) -> None:
    _admitted(ward_setting)
    icu = WardFactory(clinic=ward_setting["clinic"], floor=ward_setting["floor"], code="UTI", kind=WardKind.ICU)
    BedFactory(room=WardRoomFactory(ward=icu), code="UTI-1")
    occupied = nurse_client.get(reverse("beds:board"), {"state": "occupied"}).content.decode()
    assert occupied.count('data-testid="bed-tile"') == 1
    icu_only = nurse_client.get(reverse("beds:board"), {"kind": WardKind.ICU}).content.decode()
    assert 'data-bed="UTI-1"' in icu_only and 'data-bed="202-A"' not in icu_only


def test_an_open_board_gets_nothing_until_a_bed_changes_then_the_new_grid(
    ward_setting: dict[str, Any], nurse_client: Client
) -> None:
    first = nurse_client.get(reverse("beds:board"), {"clinic": ward_setting["clinic"].pk})
    version = first.context["version"]
    poll = {"clinic": ward_setting["clinic"].pk, "kind": "", "state": "", "since": version}
    unchanged = nurse_client.get(reverse("beds:board"), poll, HTTP_HX_REQUEST="true")
    assert unchanged.status_code == 204
    _admitted(ward_setting)
    changed = nurse_client.get(reverse("beds:board"), poll, HTTP_HX_REQUEST="true")
    assert changed.status_code == 200
    html = changed.content.decode()
    assert html.lstrip().startswith('<div id="bed-grid"') and "<html" not in html
    assert 'data-state="occupied"' in html


def test_the_board_uses_the_same_queries_for_3_and_60_beds(
    ward_setting: dict[str, Any], nurse_client: Client, django_assert_max_num_queries: Any
) -> None:
    _admitted(ward_setting)
    url = reverse("beds:board") + f"?ward={ward_setting['ward'].pk}"
    nurse_client.get(url)
    # Session, user, permissions (2), the chosen ward, the user's clinics, counts, requests' ids, beds,
    # their open stays, the requests, and the clinic and ward choices of the filters.
    with django_assert_max_num_queries(13) as small:
        nurse_client.get(url)
    room = WardRoomFactory(ward=ward_setting["ward"], code="299")
    Bed.objects.bulk_create(
        Bed(room=room, code=f"X{i}", in_service_since=timezone.now() - timedelta(days=1)) for i in range(57)
    )
    for code in ("X1", "X2", "X3"):
        request = make_request(clinic=ward_setting["clinic"], by=ward_setting["doctor"])
        services.admission_admit(admission=request, bed=Bed.objects.get(code=code), by=ward_setting["nurse"])
    with django_assert_max_num_queries(len(small.captured_queries)):
        page = nurse_client.get(url)
    assert page.content.decode().count('data-testid="bed-tile"') == 60


def test_a_nurse_sees_only_her_clinics_beds(ward_setting: dict[str, Any], nurse_client: Client) -> None:
    other = ClinicFactory()
    other_ward = WardFactory(floor__clinic=other, clinic=other)
    other_bed = BedFactory(room=WardRoomFactory(ward=other_ward), code="ZZ-9")
    page = nurse_client.get(reverse("beds:board"), {"clinic": other.pk})
    assert page.status_code == 200
    assert "ZZ-9" not in page.content.decode()
    assert page.context["clinic"] == ward_setting["clinic"]
    assert nurse_client.get(reverse("beds:bed", args=[other_bed.pk])).status_code == 404


def test_a_doctor_requests_admission_and_the_nurse_admits_to_a_suggested_bed(
    ward_setting: dict[str, Any], nurse_client: Client, english_client: Callable[[User], Client]
) -> None:
    patient = make_patient(sex="M")
    doctor = english_client(ward_setting["doctor"])
    answer = doctor.post(
        reverse("beds:request-create", args=[patient.pk]),
        {
            "clinic": ward_setting["clinic"].pk,
            "origin_floor": ward_setting["floor"].pk,
            "source": "doctor",
            "ward_kind": WardKind.GENERAL,
            "needs_isolation": "on",
            "priority": "urgent",
            "risk": "yellow",
            "reason": "Pneumonia <script>alert(1)</script>",
        },
    )
    admission = Admission.objects.get(patient=patient)
    assert answer.status_code == 302 and answer.url == reverse("beds:admission", args=[admission.pk])
    page = nurse_client.get(reverse("beds:admission", args=[admission.pk]))
    html = page.content.decode()
    assert [s.bed.code for s in page.context["suggestions"]] == ["202-B"]  # isolation; the women's room is out
    assert "&lt;script&gt;" in html and "<script>alert" not in html
    assert "Can isolate" in html
    nurse_client.post(reverse("beds:admit", args=[admission.pk]), {"bed": ward_setting["beds"]["202-B"].pk})
    admission.refresh_from_db()
    patient.refresh_from_db()
    assert admission.status == AdmissionStatus.ADMITTED
    assert patient.status == PatientStatus.ADMITTED
    assert Bed.objects.get(code="202-B").state == BedState.OCCUPIED


def test_a_second_request_for_the_same_patient_is_refused_clearly(
    ward_setting: dict[str, Any], english_client: Callable[[User], Client]
) -> None:
    admission = make_request(clinic=ward_setting["clinic"], by=ward_setting["doctor"])
    doctor = english_client(ward_setting["doctor"])
    page = doctor.post(
        reverse("beds:request-create", args=[admission.patient.pk]),
        {
            "clinic": ward_setting["clinic"].pk,
            "source": "doctor",
            "ward_kind": WardKind.ICU,
            "priority": "routine",
            "reason": "x",
        },
    )
    assert page.status_code == 200
    assert "already has an open admission" in page.content.decode()
    assert Admission.objects.filter(patient=admission.patient).count() == 1


def test_request_form_bad_input_keeps_what_was_typed(
    ward_setting: dict[str, Any], english_client: Callable[[User], Client]
) -> None:
    patient = make_patient()
    elsewhere = FloorFactory(clinic=ClinicFactory())
    page = english_client(ward_setting["doctor"]).post(
        reverse("beds:request-create", args=[patient.pk]),
        {
            "clinic": ward_setting["clinic"].pk,
            "origin_floor": elsewhere.pk,
            "source": "doctor",
            "ward_kind": "spaceship",
            "priority": "routine",
            "reason": "Dispneia",
            "equipment": ["ventilator", "laser"],
        },
    )
    form = page.context["form"]
    assert set(form.errors) == {"origin_floor", "ward_kind", "equipment"}
    assert "Dispneia" in page.content.decode()
    assert not Admission.objects.filter(patient=patient).exists()


def test_admit_with_a_bad_or_foreign_bed_changes_nothing(ward_setting: dict[str, Any], nurse_client: Client) -> None:
    admission = make_request(patient=make_patient(sex="M"), clinic=ward_setting["clinic"], by=ward_setting["doctor"])
    url = reverse("beds:admit", args=[admission.pk])
    garbage = nurse_client.post(url, {"bed": "abc"}, follow=True)
    assert "Choose a bed from the list." in garbage.content.decode()
    foreign = BedFactory(room=WardRoomFactory(ward=WardFactory()))
    assert nurse_client.post(url, {"bed": foreign.pk}).status_code == 404
    women_only = nurse_client.post(url, {"bed": ward_setting["beds"]["201-A"].pk}, follow=True)
    assert "the room is women only." in women_only.content.decode().lower()
    admission.refresh_from_db()
    assert admission.status == AdmissionStatus.REQUESTED
    assert not BedStay.objects.exists()
    assert nurse_client.get(url).status_code == 405


def test_a_taken_bed_says_so(ward_setting: dict[str, Any], nurse_client: Client) -> None:
    _admitted(ward_setting, bed_code="202-A")
    late = make_request(clinic=ward_setting["clinic"], by=ward_setting["doctor"])
    page = nurse_client.post(
        reverse("beds:admit", args=[late.pk]), {"bed": ward_setting["beds"]["202-A"].pk}, follow=True
    )
    assert "This bed was just taken" in page.content.decode()
    late.refresh_from_db()
    assert late.status == AdmissionStatus.REQUESTED


def test_transfer_then_discharge_then_clean(ward_setting: dict[str, Any], nurse_client: Client) -> None:
    admission = _admitted(ward_setting, bed_code="202-A", sex="M")
    page = nurse_client.get(reverse("beds:transfer", args=[admission.pk]))
    assert [s.bed.code for s in page.context["suggestions"]] == ["202-B"]
    nurse_client.post(reverse("beds:transfer", args=[admission.pk]), {"bed": ward_setting["beds"]["202-B"].pk})
    assert Bed.objects.get(code="202-A").state == BedState.CLEANING
    assert Bed.objects.get(code="202-B").state == BedState.OCCUPIED
    bad = nurse_client.post(reverse("beds:discharge", args=[admission.pk]), {"kind": "teleported"})
    assert bad.status_code == 400 and "kind" in bad.context["form"].errors
    nurse_client.post(reverse("beds:discharge", args=[admission.pk]), {"kind": "home", "notes": "Alta melhorada"})
    admission.refresh_from_db()
    assert admission.status == AdmissionStatus.DISCHARGED and admission.discharge_kind == "home"
    bed = Bed.objects.get(code="202-B")
    assert bed.state == BedState.CLEANING
    nurse_client.post(reverse("beds:bed-clean", args=[bed.pk]))
    bed.refresh_from_db()
    assert bed.state == BedState.AVAILABLE
    history = nurse_client.get(reverse("beds:bed", args=[bed.pk])).content.decode()
    for step in ("Patient transferred in", "Patient discharged", "Cleaned"):
        assert step in history
    assert BedEvent.objects.filter(bed=bed, by=ward_setting["nurse"]).count() == 3


def test_block_needs_a_reason_and_only_a_free_bed(ward_setting: dict[str, Any], nurse_client: Client) -> None:
    bed = ward_setting["beds"]["201-A"]
    page = nurse_client.post(reverse("beds:bed-block", args=[bed.pk]), {"reason": "  "}, follow=True)
    assert "Say why the bed is blocked" in page.content.decode()
    bed.refresh_from_db()
    assert bed.state == BedState.AVAILABLE
    nurse_client.post(reverse("beds:bed-block", args=[bed.pk]), {"reason": "Cabeceira quebrada"})
    bed.refresh_from_db()
    assert bed.state == BedState.BLOCKED and bed.blocked_reason == "Cabeceira quebrada"
    nurse_client.post(reverse("beds:bed-unblock", args=[bed.pk]))
    bed.refresh_from_db()
    assert bed.state == BedState.AVAILABLE
    admission = _admitted(ward_setting, bed_code="202-A")
    occupied = nurse_client.post(
        reverse("beds:bed-block", args=[admission.stays.get().bed.pk]), {"reason": "x"}, follow=True
    )
    assert "Only a free bed can be blocked" in occupied.content.decode()


def test_reserve_then_release(ward_setting: dict[str, Any], nurse_client: Client) -> None:
    admission = make_request(clinic=ward_setting["clinic"], by=ward_setting["doctor"])
    bed = ward_setting["beds"]["202-A"]
    nurse_client.post(reverse("beds:reserve", args=[admission.pk]), {"bed": bed.pk, "hours": 2})
    bed.refresh_from_db()
    assert bed.state == BedState.RESERVED and bed.reserved_for == admission
    too_long = nurse_client.post(
        reverse("beds:reserve", args=[admission.pk]), {"bed": bed.pk, "hours": 48}, follow=True
    )
    assert "Choose a bed from the list." in too_long.content.decode()
    nurse_client.post(reverse("beds:bed-release", args=[bed.pk]))
    bed.refresh_from_db()
    assert bed.state == BedState.AVAILABLE and bed.reserved_for is None


def test_cancel_a_request_needs_a_reason(ward_setting: dict[str, Any], nurse_client: Client) -> None:
    admission = make_request(clinic=ward_setting["clinic"], by=ward_setting["doctor"])
    nurse_client.post(reverse("beds:cancel", args=[admission.pk]), {"reason": ""})
    admission.refresh_from_db()
    assert admission.status == AdmissionStatus.REQUESTED
    nurse_client.post(reverse("beds:cancel", args=[admission.pk]), {"reason": "Transferido para outro hospital"})
    admission.refresh_from_db()
    assert admission.status == AdmissionStatus.CANCELLED


def test_the_chart_panel_lists_admissions_with_their_beds(
    ward_setting: dict[str, Any], nurse_client: Client, django_assert_max_num_queries: Any
) -> None:
    admission = _admitted(ward_setting, bed_code="202-A")
    services.admission_transfer(admission=admission, bed=ward_setting["beds"]["202-B"], by=ward_setting["nurse"])
    with django_assert_max_num_queries(9):
        page = nurse_client.get(reverse("beds:panel-admissions", args=[admission.patient.pk]))
    html = page.content.decode()
    assert "202-A" in html and "202-B" in html and "3 days" in html
    assert reverse("beds:admission", args=[admission.pk]) in html


def test_request_list_orders_by_priority_then_age(ward_setting: dict[str, Any], nurse_client: Client) -> None:
    routine = make_request(clinic=ward_setting["clinic"], by=ward_setting["doctor"], priority="routine")
    emergency = make_request(clinic=ward_setting["clinic"], by=ward_setting["doctor"], priority="emergency")
    page = nurse_client.get(reverse("beds:requests"))
    assert [a.pk for a in page.context["requests"]] == [emergency.pk, routine.pk]
