"""The manager's setup pages for wards, rooms and beds, their services, and the Django admin of the beds app."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation

from beds import setup
from beds.models import Bed, BedState, Equipment, RoomSex, Ward, WardKind, WardRoom
from beds.selectors import bed_suggestions, ward_board
from beds.services import admission_admit, bed_block, bed_reserve
from clinic.models import Clinic, Floor
from staff import roles
from staff.models import User
from tests.concurrency import all_at_once
from tests.factories import (
    BedFactory,
    FloorFactory,
    UserFactory,
    WardFactory,
    WardRoomFactory,
    make_patient,
    make_request,
)

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}
SET_UP = ["add_ward", "change_ward", "add_wardroom", "change_wardroom", "add_bed", "change_bed", "view_bed"]


@pytest.fixture
def floor(clinic: Clinic) -> Floor:
    return FloorFactory(clinic=clinic, level=2, name="2º andar")


@pytest.fixture
def manager(make_user: Callable[..., User]) -> User:
    return make_user(roles.MANAGER)


@pytest.fixture
def as_manager(client_for: Callable[[User], Client], manager: User) -> Client:
    return client_for(manager)


@pytest.fixture
def ward(floor: Floor) -> Ward:
    return WardFactory(floor=floor, code="UTI-1", name="UTI adulto", kind=WardKind.ICU)


@pytest.fixture
def room(ward: Ward) -> WardRoom:
    return WardRoomFactory(ward=ward, code="204")


def beds_of(room: WardRoom) -> list[str]:
    return sorted(Bed.objects.filter(room=room).values_list("code", flat=True))


def snapshot(*objects: Any) -> list[dict[str, Any]]:
    """Every stored column of the objects, read again from the database."""
    return [type(obj).objects.filter(pk=obj.pk).values().get() for obj in objects]


def beds_form_errors(response: Any) -> dict[str, list[str]]:
    """The errors of the add-beds form that was sent, as the ward page shows it again."""
    (form,) = [item["beds_form"] for item in response.context["rooms"] if item["beds_form"].is_bound]
    return form.errors


# The journey ------------------------------------------------------------------------------------------


def test_manager_sets_up_a_ward_with_a_womens_room_and_beds(
    as_manager: Client, manager: User, clinic: Clinic, floor: Floor
) -> None:
    page = as_manager.get(reverse("beds:setup"), {"clinic": clinic.pk}, **EN).content.decode()
    assert "This clinic has no wards yet." in page

    response = as_manager.post(
        f"{reverse('beds:ward-create')}?clinic={clinic.pk}",
        {"code": "UTI-1", "name": "UTI adulto", "kind": WardKind.ICU, "floor": floor.pk, "is_active": "on"},
    )
    ward = Ward.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("beds:ward-setup", args=[ward.pk])
    assert (ward.clinic, ward.floor, ward.code, ward.kind, ward.is_active) == (clinic, floor, "UTI-1", "icu", True)

    response = as_manager.post(reverse("beds:room-create", args=[ward.pk]), {"code": "204", "sex": RoomSex.FEMALE})
    assert response.status_code == 302
    room = WardRoom.objects.get()
    assert (room.ward, room.code, room.sex) == (ward, "204", RoomSex.FEMALE)

    response = as_manager.post(reverse("beds:beds-add", args=[room.pk]), {f"room-{room.pk}-count": "4"})
    assert response.status_code == 302
    assert beds_of(room) == ["204-A", "204-B", "204-C", "204-D"]

    page = as_manager.get(reverse("beds:ward-setup", args=[ward.pk]), **EN).content.decode()
    assert "Women only" in page
    assert all(f">{code}<" in page for code in beds_of(room))

    bed_b = Bed.objects.get(code="204-B")
    response = as_manager.post(
        reverse("beds:bed-edit", args=[bed_b.pk]),
        {"code": "204-B", "isolation_capable": "on", "equipment": [Equipment.VENTILATOR, Equipment.MONITOR]},
    )
    assert response.status_code == 302
    bed_b.refresh_from_db()
    assert (bed_b.isolation_capable, bed_b.equipment) == (True, ["monitor", "ventilator"])
    page = as_manager.get(reverse("beds:ward-setup", args=[ward.pk]), **EN).content.decode()
    assert "Multiparameter monitor, Ventilator" in page

    bed_d = Bed.objects.get(code="204-D")
    response = as_manager.post(reverse("beds:bed-retire", args=[bed_d.pk]), **EN)
    assert response.status_code == 302
    bed_d.refresh_from_db()
    assert bed_d.retired_at is not None
    board = ward_board(user=manager, clinic=clinic)
    assert sorted(tile.bed.code for tile in board.tiles) == ["204-A", "204-B", "204-C"]
    admission = make_request(patient=make_patient(sex="F"), clinic=clinic, ward_kind=WardKind.ICU)
    offered = sorted(suggestion.bed.code for suggestion in bed_suggestions(admission, user=manager))
    assert offered == ["204-A", "204-B", "204-C"]

    page = as_manager.get(reverse("beds:setup"), {"clinic": clinic.pk}, **EN).content.decode()
    assert 'data-testid="room-count">1<' in page
    assert 'data-testid="bed-count">3<' in page
    page = as_manager.get(reverse("beds:ward-setup", args=[ward.pk]), **EN).content.decode()
    assert "Retired:" in page and "204-D (" in page


def test_beds_added_by_their_codes_with_equipment(as_manager: Client, room: WardRoom) -> None:
    response = as_manager.post(
        reverse("beds:beds-add", args=[room.pk]),
        {
            f"room-{room.pk}-codes": "204-1, 204-2\n204-3",
            f"room-{room.pk}-isolation_capable": "on",
            f"room-{room.pk}-equipment": [Equipment.OXYGEN],
        },
    )
    assert response.status_code == 302
    beds = list(Bed.objects.filter(room=room).order_by("code"))
    assert [(b.code, b.isolation_capable, b.equipment, b.state) for b in beds] == [
        (code, True, ["oxygen"], BedState.AVAILABLE) for code in ("204-1", "204-2", "204-3")
    ]


def test_letters_continue_after_the_beds_already_in_the_room(room: WardRoom) -> None:
    BedFactory(room=room, code="204-A")
    BedFactory(room=room, code="204-c")
    setup.beds_add(room=room, count=3)
    assert beds_of(room) == ["204-A", "204-B", "204-D", "204-E", "204-c"]
    setup.beds_add(room=room, count=25)
    assert {"204-Z", "204-AA", "204-AB", "204-AC"} <= set(beds_of(room))
    assert len(beds_of(room)) == 30


def test_ward_and_room_edits(as_manager: Client, ward: Ward, room: WardRoom, clinic: Clinic) -> None:
    upper = FloorFactory(clinic=clinic, level=5, name="5º andar")
    response = as_manager.post(
        reverse("beds:ward-edit", args=[ward.pk]),
        {"code": "UTI-2", "name": "UTI coronariana", "kind": WardKind.ICU, "floor": upper.pk},
    )
    assert response.status_code == 302
    ward.refresh_from_db()
    assert (ward.code, ward.name, ward.floor, ward.is_active) == ("UTI-2", "UTI coronariana", upper, False)
    response = as_manager.post(reverse("beds:room-edit", args=[room.pk]), {"code": "205", "sex": RoomSex.MALE})
    assert response.status_code == 302
    room.refresh_from_db()
    assert (room.code, room.sex) == ("205", RoomSex.MALE)
    form_page = as_manager.get(reverse("beds:room-edit", args=[room.pk]), **EN).content.decode()
    assert 'value="205"' in form_page


def test_the_ward_form_offers_only_the_clinics_floors(as_manager: Client, clinic: Clinic, floor: Floor) -> None:
    elsewhere = FloorFactory(name="Andar de outra clínica")
    page = as_manager.get(reverse("beds:ward-create"), {"clinic": clinic.pk}, **EN).content.decode()
    assert floor.name in page
    assert elsewhere.name not in page


# Bad input: a clear message, nothing changed ------------------------------------------------------------


def test_duplicate_ward_code_is_refused_whatever_its_case(as_manager: Client, ward: Ward, clinic: Clinic) -> None:
    data = {"code": "uti-1", "name": "Outra", "kind": WardKind.GENERAL, "floor": ward.floor.pk, "is_active": "on"}
    response = as_manager.post(f"{reverse('beds:ward-create')}?clinic={clinic.pk}", data, **EN)
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == ["This clinic already has a ward with this code."]
    assert 'value="Outra"' in response.content.decode()  # what was typed is kept
    assert list(Ward.objects.all()) == [ward]

    other = WardFactory(floor=ward.floor, code="UTI-9")
    before = snapshot(other)
    data["code"] = "UTI-1"
    response = as_manager.post(reverse("beds:ward-edit", args=[other.pk]), data, **EN)
    assert response.context["form"].errors["code"] == ["This clinic already has a ward with this code."]
    assert snapshot(other) == before


def test_the_same_ward_code_is_fine_in_another_clinic(ward: Ward) -> None:
    elsewhere = FloorFactory()
    copy = setup.ward_create(clinic=elsewhere.clinic, floor=elsewhere, code="UTI-1", name="UTI", kind=WardKind.ICU)
    assert copy.pk != ward.pk


def test_duplicate_room_code_is_refused(as_manager: Client, room: WardRoom) -> None:
    response = as_manager.post(reverse("beds:room-create", args=[room.ward.pk]), {"code": " 204 ", "sex": "any"}, **EN)
    assert response.status_code == 200
    assert response.context["room_form"].errors["code"] == ["This ward already has a room with this code."]
    assert list(WardRoom.objects.all()) == [room]


@pytest.mark.parametrize(
    ("codes", "message"),
    [
        ("204-B, 204-a", "The room already has beds 204-a."),
        ("204-X 204-x", "Each code only once: 204-x."),
        ("204-" + "X" * 20, "Bed codes have 20 characters at most: 204-XXXXXXXXXXXXXXXXXXXX."),
    ],
)
def test_bad_bed_codes_are_refused_together(as_manager: Client, room: WardRoom, codes: str, message: str) -> None:
    BedFactory(room=room, code="204-A")
    response = as_manager.post(reverse("beds:beds-add", args=[room.pk]), {f"room-{room.pk}-codes": codes}, **EN)
    assert response.status_code == 200
    assert beds_form_errors(response)["codes"] == [message]
    assert beds_of(room) == ["204-A"]


def test_renaming_a_bed_to_a_code_of_its_room_is_refused(as_manager: Client, room: WardRoom) -> None:
    BedFactory(room=room, code="204-A")
    bed = BedFactory(room=room, code="204-B", equipment=["oxygen"])
    before = snapshot(bed)
    response = as_manager.post(
        reverse("beds:bed-edit", args=[bed.pk]), {"code": "204-a", "equipment": ["monitor"]}, **EN
    )
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == ["This room already has a bed with this code."]
    assert snapshot(bed) == before


def test_floor_of_another_clinic_is_refused(as_manager: Client, clinic: Clinic, ward: Ward) -> None:
    elsewhere = FloorFactory()
    data = {"code": "ENF-2", "name": "Enfermaria", "kind": WardKind.GENERAL, "floor": elsewhere.pk, "is_active": "on"}
    response = as_manager.post(f"{reverse('beds:ward-create')}?clinic={clinic.pk}", data, **EN)
    assert response.status_code == 200
    assert "floor" in response.context["form"].errors
    assert list(Ward.objects.all()) == [ward]

    before = snapshot(ward)
    response = as_manager.post(reverse("beds:ward-edit", args=[ward.pk]), {**data, "code": ward.code}, **EN)
    assert "floor" in response.context["form"].errors
    assert snapshot(ward) == before
    with pytest.raises(ValidationError) as refused:
        setup.ward_create(clinic=clinic, floor=elsewhere, code="ENF-3", name="Enfermaria", kind=WardKind.GENERAL)
    assert refused.value.message_dict == {"floor": ["The floor belongs to another clinic."]}


def test_unknown_equipment_is_refused(as_manager: Client, room: WardRoom) -> None:
    bed = BedFactory(room=room, code="204-A", equipment=["oxygen"])
    before = snapshot(bed)
    response = as_manager.post(
        reverse("beds:bed-edit", args=[bed.pk]), {"code": "204-A", "equipment": ["oxygen", "jetpack"]}, **EN
    )
    assert response.status_code == 200
    assert response.context["form"].errors["equipment"] == [
        "Select a valid choice. jetpack is not one of the available choices."
    ]
    assert snapshot(bed) == before
    response = as_manager.post(
        reverse("beds:beds-add", args=[room.pk]),
        {f"room-{room.pk}-count": "2", f"room-{room.pk}-equipment": ["jetpack"]},
        **EN,
    )
    assert "equipment" in beds_form_errors(response)
    assert beds_of(room) == ["204-A"]
    with pytest.raises(ValidationError) as refused:
        setup.bed_update(bed=bed, code="204-A", isolation_capable=False, equipment=["jetpack"])
    assert "equipment" in refused.value.message_dict
    assert snapshot(bed) == before


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"count": "0"}, "count", "Ensure this value is greater than or equal to 1."),
        ({"count": "100"}, "count", "Ensure this value is less than or equal to 40."),
        ({"count": "41"}, "count", "Ensure this value is less than or equal to 40."),
        ({"count": "quatro"}, "count", "Enter a whole number."),
        ({"codes": ", ".join(f"B{n}" for n in range(41))}, "codes", "Add at most 40 beds at once."),
        ({}, "__all__", "Say how many beds to add, or give their codes."),
        ({"count": "2", "codes": "204-X"}, "__all__", "Give a number of beds or their codes, not both."),
    ],
)
def test_bad_numbers_of_beds_are_refused(
    as_manager: Client, room: WardRoom, data: dict[str, str], field: str, message: str
) -> None:
    prefixed = {f"room-{room.pk}-{name}": value for name, value in data.items()}
    response = as_manager.post(reverse("beds:beds-add", args=[room.pk]), prefixed, **EN)
    assert response.status_code == 200
    assert beds_form_errors(response)[field] == [message]
    assert 'data-testid="beds-add-form"' in response.content.decode()
    assert beds_of(room) == []


def test_the_service_holds_the_limit_of_beds_at_once(room: WardRoom) -> None:
    for count in (0, 41):
        with pytest.raises(ValidationError) as refused:
            setup.beds_add(room=room, count=count)
        assert refused.value.message_dict == {"count": ["Add between 1 and 40 beds at once."]}
    with pytest.raises(ValidationError):
        setup.beds_add(room=room, codes=[f"B{n}" for n in range(41)])
    with pytest.raises(ValidationError):
        setup.beds_add(room=room, count=2, codes=["B1", "B2"])
    assert beds_of(room) == []


@pytest.fixture
def occupied(manager: User, clinic: Clinic, room: WardRoom) -> Bed:
    """A bed with a woman in it, in a room for any sex."""
    bed = BedFactory(room=room, code="204-A")
    admission = make_request(patient=make_patient(sex="F"), clinic=clinic, ward_kind=WardKind.ICU)
    admission_admit(admission=admission, bed=bed, by=manager)
    bed.refresh_from_db()
    return bed


def test_an_occupied_bed_cannot_be_retired(as_manager: Client, occupied: Bed) -> None:
    response = as_manager.post(reverse("beds:bed-retire", args=[occupied.pk]), follow=True, **EN)
    assert "Only a free bed can be retired; this one is occupied." in response.content.decode()
    occupied.refresh_from_db()
    assert (occupied.retired_at, occupied.state) == (None, BedState.OCCUPIED)
    page = as_manager.get(reverse("beds:bed-edit", args=[occupied.pk]), **EN).content.decode()
    assert 'data-testid="retire-form"' not in page


def test_a_reserved_bed_cannot_be_retired_but_a_blocked_one_can(manager: User, clinic: Clinic, room: WardRoom) -> None:
    reserved, blocked = BedFactory(room=room, code="204-A"), BedFactory(room=room, code="204-B")
    admission = make_request(patient=make_patient(sex="M"), clinic=clinic, ward_kind=WardKind.ICU)
    bed_reserve(bed=reserved, admission=admission, until=timezone.now() + timedelta(hours=2), by=manager)
    with pytest.raises(ValidationError, match="this one is reserved"):
        setup.bed_retire(bed=reserved)
    bed_block(bed=blocked, reason="Colchão rasgado", by=manager)
    assert setup.bed_retire(bed=blocked).retired_at is not None
    with pytest.raises(ValidationError, match="already retired"):
        setup.bed_retire(bed=blocked)
    reserved.refresh_from_db()
    assert reserved.retired_at is None


def test_a_bed_not_yet_in_service_cannot_be_retired(room: WardRoom) -> None:
    bed = BedFactory(room=room, in_service_since=timezone.now() + timedelta(days=1))
    with pytest.raises(ValidationError, match="not in service yet"):
        setup.bed_retire(bed=bed)
    bed.refresh_from_db()
    assert bed.retired_at is None


def test_a_ward_with_patients_stays_active(as_manager: Client, occupied: Bed) -> None:
    ward = occupied.room.ward
    before = snapshot(ward)
    data = {"code": ward.code, "name": ward.name, "kind": ward.kind, "floor": ward.floor.pk}  # "active" unticked
    response = as_manager.post(reverse("beds:ward-edit", args=[ward.pk]), data, **EN)
    assert response.status_code == 200
    assert response.context["form"].errors["is_active"] == [
        "One bed of this ward has or awaits a patient; transfer or discharge first."
    ]
    assert snapshot(ward) == before


def test_a_room_cannot_be_restricted_against_its_patients(as_manager: Client, occupied: Bed) -> None:
    room = occupied.room
    response = as_manager.post(reverse("beds:room-edit", args=[room.pk]), {"code": "204", "sex": "M"}, **EN)
    assert response.status_code == 200
    assert response.context["form"].errors["sex"] == [
        "The patients of beds 204-A may not be in a room that is men only."
    ]
    room.refresh_from_db()
    assert room.sex == RoomSex.ANY
    assert setup.room_update(room=room, code="204", sex=RoomSex.FEMALE).sex == RoomSex.FEMALE


def test_html_in_names_is_shown_escaped(as_manager: Client, clinic: Clinic, floor: Floor) -> None:
    hostile = "<script>alert(1)</script>"
    data = {"code": "<b>W</b>", "name": hostile, "kind": WardKind.GENERAL, "floor": floor.pk, "is_active": "on"}
    response = as_manager.post(f"{reverse('beds:ward-create')}?clinic={clinic.pk}", data, follow=True, **EN)
    ward = Ward.objects.get()
    assert ward.name == hostile  # stored as typed
    as_manager.post(reverse("beds:room-create", args=[ward.pk]), {"code": "<i>1</i>", "sex": "any"})
    pages = [
        response.content.decode(),  # the ward page, with the success message
        as_manager.get(reverse("beds:setup"), {"clinic": clinic.pk}).content.decode(),
        as_manager.get(reverse("beds:ward-setup", args=[ward.pk])).content.decode(),
    ]
    for page in pages:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert hostile not in page
        assert "<b>W</b>" not in page
    assert "&lt;i&gt;1&lt;/i&gt;" in pages[2] and "<i>1</i>" not in pages[2]


# Who may ---------------------------------------------------------------------------------------------


def _setup_urls(ward: Ward, room: WardRoom, bed: Bed) -> list[tuple[str, str]]:
    return [
        ("get", reverse("beds:setup")),
        ("get", reverse("beds:ward-create")),
        ("get", reverse("beds:ward-setup", args=[ward.pk])),
        ("get", reverse("beds:ward-edit", args=[ward.pk])),
        ("post", reverse("beds:room-create", args=[ward.pk])),
        ("get", reverse("beds:room-edit", args=[room.pk])),
        ("post", reverse("beds:beds-add", args=[room.pk])),
        ("get", reverse("beds:bed-edit", args=[bed.pk])),
        ("post", reverse("beds:bed-retire", args=[bed.pk])),
    ]


def test_a_ward_nurse_may_not_set_up(make_user: Callable[..., User], client_for: Callable, room: WardRoom) -> None:
    bed = BedFactory(room=room)
    nurse = client_for(make_user(roles.WARD_NURSE))
    for method, url in _setup_urls(room.ward, room, bed):
        assert getattr(nurse, method)(url, {"code": "X", "count": "3"}).status_code == 403, url
    assert (Ward.objects.count(), WardRoom.objects.count(), Bed.objects.count()) == (1, 1, 1)


def test_anonymous_users_are_sent_to_sign_in(room: WardRoom) -> None:
    bed = BedFactory(room=room)
    for method, url in _setup_urls(room.ward, room, bed):
        response = getattr(Client(), method)(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("account_login"))


@pytest.fixture
def local_manager(make_user: Callable[..., User], clinic: Clinic) -> User:
    """Someone who sets up the beds of their own clinic only (the Manager role sees every clinic)."""
    user = make_user(None, clinics=[clinic])
    user.user_permissions.set(Permission.objects.filter(content_type__app_label="beds", codename__in=SET_UP))
    return user


def test_another_clinics_ward_is_not_found(local_manager: User, client_for: Callable, clinic: Clinic) -> None:
    other_room = WardRoomFactory()
    other_bed = BedFactory(room=other_room)
    other_clinic = other_room.ward.clinic
    client = client_for(local_manager)
    for method, url in _setup_urls(other_room.ward, other_room, other_bed)[2:]:
        assert getattr(client, method)(url, {"code": "X", "count": "3"}).status_code == 404, url
    assert client.get(reverse("beds:setup"), {"clinic": other_clinic.pk}).status_code == 404
    assert client.get(reverse("beds:setup"), {"clinic": "garbage"}).status_code == 404
    assert client.get(reverse("beds:ward-create"), {"clinic": other_clinic.pk}).status_code == 404
    assert client.get(reverse("beds:setup")).context["clinic"] == clinic
    assert other_bed.retired_at is None
    assert (WardRoom.objects.count(), Bed.objects.count()) == (1, 1)


def test_a_list_of_20_wards_takes_as_many_queries_as_2(
    as_manager: Client, clinic: Clinic, floor: Floor, django_assert_max_num_queries: Any
) -> None:
    def add_wards(count: int) -> None:
        for _ward in range(count):
            room = WardRoomFactory(ward=WardFactory(floor=floor))
            BedFactory.create_batch(2, room=room)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            page = as_manager.get(reverse("beds:setup"), {"clinic": clinic.pk})
        assert page.status_code == 200
        return len(captured)

    add_wards(2)
    few = queries()
    add_wards(18)
    with django_assert_max_num_queries(few):
        page = as_manager.get(reverse("beds:setup"), {"clinic": clinic.pk}).content.decode()
    assert page.count('data-testid="ward-row"') == 20
    assert page.count('data-testid="bed-count">2<') == 20


def test_the_ward_page_takes_as_many_queries_for_many_rooms(
    as_manager: Client, ward: Ward, django_assert_max_num_queries: Any
) -> None:
    def add_rooms(count: int) -> None:
        for _room in range(count):
            BedFactory.create_batch(3, room=WardRoomFactory(ward=ward))

    add_rooms(1)
    with CaptureQueriesContext(connection) as captured:
        as_manager.get(reverse("beds:ward-setup", args=[ward.pk]))
    add_rooms(9)
    with django_assert_max_num_queries(len(captured)):
        page = as_manager.get(reverse("beds:ward-setup", args=[ward.pk])).content.decode()
    assert page.count('data-testid="bed-row"') == 30


# Races -----------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_managers_adding_beds_to_one_room_at_once_get_different_letters() -> None:
    room = WardRoomFactory(code="300")
    outcomes = all_at_once(6, lambda _index: setup.beds_add(room=room, count=2))
    assert all(isinstance(outcome, list) for outcome in outcomes), outcomes
    assert beds_of(room) == [f"300-{letter}" for letter in "ABCDEFGHIJKL"]


@pytest.mark.django_db(transaction=True)
def test_one_of_many_wards_with_the_same_code_at_once_is_created() -> None:
    floor = FloorFactory()

    def create(index: int) -> Ward:
        with translation.override("en"):  # each thread starts in the site's default language
            return setup.ward_create(
                clinic=floor.clinic, floor=floor, code="UTI-1" if index % 2 else "uti-1", name="UTI", kind=WardKind.ICU
            )

    outcomes = all_at_once(8, create)
    created = [outcome for outcome in outcomes if isinstance(outcome, Ward)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, ValidationError)]
    assert (len(created), len(refused)) == (1, 7), outcomes
    assert all(error.message_dict == {"code": ["This clinic already has a ward with this code."]} for error in refused)
    assert Ward.objects.count() == 1


# Django admin ------------------------------------------------------------------------------------------


@pytest.fixture
def as_admin(client_for: Callable[[User], Client], clinic: Clinic) -> Client:
    admin = UserFactory(is_staff=True, is_superuser=True, clinics=[clinic])
    TOTP.activate(admin, generate_totp_secret())
    return client_for(admin)


def test_admin_pages_of_the_beds_app_open(as_admin: Client, occupied: Bed, manager: User) -> None:
    bed_block(bed=BedFactory(room=occupied.room, code="204-Z"), reason="Manutenção", by=manager)
    stay, event, block = occupied.stays.get(), occupied.events.first(), Bed.objects.get(code="204-Z").blocks.get()
    objects = {
        "ward": occupied.room.ward,
        "wardroom": occupied.room,
        "bed": occupied,
        "admission": stay.admission,
        "bedstay": stay,
        "bedevent": event,
        "bedblock": block,
    }
    for name, obj in objects.items():
        changelist = as_admin.get(f"/admin/beds/{name}/", **EN)
        assert changelist.status_code == 200, name
        assert changelist.context["cl"].result_count >= 1, name
        change = as_admin.get(f"/admin/beds/{name}/{obj.pk}/change/", **EN)
        assert change.status_code == 200, name
    for name in ("ward", "wardroom", "bed"):
        assert as_admin.get(f"/admin/beds/{name}/add/").status_code == 200, name
    for name in ("admission", "bedstay", "bedevent", "bedblock"):
        assert as_admin.get(f"/admin/beds/{name}/add/").status_code == 403, name
    admission_page = as_admin.get(f"/admin/beds/admission/{stay.admission.pk}/change/", **EN).content.decode()
    assert "Reason for admission" not in admission_page  # clinical free text stays in the chart
    bed_page = as_admin.get(f"/admin/beds/bed/{occupied.pk}/change/").content.decode()
    assert 'name="state"' not in bed_page  # the state moves only through the ward's services


def test_admin_stores_wards_and_beds_through_the_services(as_admin: Client, ward: Ward, room: WardRoom) -> None:
    data = {"clinic": ward.clinic.pk, "floor": ward.floor.pk, "code": "uti-1", "name": "Outra", "kind": "general"}
    data |= {"rooms-TOTAL_FORMS": "0", "rooms-INITIAL_FORMS": "0"}
    response = as_admin.post("/admin/beds/ward/add/", data, **EN)
    assert response.status_code == 200
    assert "This clinic already has a ward with this code." in response.content.decode()
    assert list(Ward.objects.all()) == [ward]
    response = as_admin.post("/admin/beds/ward/add/", {**data, "code": "UTI-2", "is_active": "on"}, **EN)
    assert response.status_code == 302
    assert Ward.objects.filter(clinic=ward.clinic, code="UTI-2", name="Outra").exists()

    since = (timezone.localtime() - timedelta(days=30)).replace(microsecond=0)
    bed_data = {
        "room": room.pk,
        "code": "204-A",
        "equipment": ["crib"],
        "in_service_since_0": since.strftime("%Y-%m-%d"),
        "in_service_since_1": since.strftime("%H:%M:%S"),
    }
    response = as_admin.post("/admin/beds/bed/add/", bed_data, **EN)
    assert response.status_code == 302
    bed = Bed.objects.get()
    assert (bed.code, bed.equipment, bed.in_service_since) == ("204-A", ["crib"], since)
    response = as_admin.post("/admin/beds/bed/add/", {**bed_data, "code": "204-a"}, **EN)
    assert "The room already has beds 204-a." in response.content.decode()
    assert Bed.objects.count() == 1
