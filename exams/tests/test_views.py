"""The exam pages as the people who use them: the lab's worklist, ordering, booking, results entry and
release, the order page, attachments, the orders list and the panels of the chart, the consultation and
the admission. Each page answers the role that uses it and refuses another; refusals change nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from clinic.models import Clinic, Room
from exams import services, views
from exams.models import (
    Analyte,
    Exam,
    ExamKind,
    ExamOrder,
    OrderOrigin,
    OrderPriority,
    OrderStatus,
    ResultAttachment,
    ResultValue,
    Specimen,
)
from messaging.models import Notification
from patients.models import ChartAccess, Patient, Sex
from scheduling.models import Appointment, Consultation
from scheduling.services import appointment_book
from staff import roles
from staff.models import CareUnit, PractitionerSpecialty, User, WorkingHours
from tests.factories import (
    AnalyteFactory,
    CareUnitFactory,
    ClinicFactory,
    ExamFactory,
    PractitionerFactory,
    RoomFactory,
    SpecialtyFactory,
    make_blood_count,
    make_patient,
    make_request,
    pdf_bytes,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
SAO_PAULO = ZoneInfo("America/Sao_Paulo")
# The Monday after NOW, at nine in the clinic: inside the practitioners' hours below.
MONDAY_NINE = datetime.combine(date(2026, 3, 16), time(9), tzinfo=SAO_PAULO)
PDF = pdf_bytes()


@pytest.fixture(autouse=True)
def _frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def _attachment_storage(_private_media: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The attachment field bound its storage when the model loaded; point it at the test's storage."""
    monkeypatch.setattr(ResultAttachment._meta.get_field("file"), "storage", storages["private"])


@dataclass
class Lab:
    """A clinic with a laboratory, a doctor who orders, two lab people, reception, a blood count, a man of 45."""

    clinic: Clinic
    unit: CareUnit
    doctor: User
    technician: User
    reviewer: User
    reception: User
    exam: Exam
    patient: Patient

    @property
    def hgb(self) -> Analyte:
        return self.exam.analytes.get(code="HGB")

    @property
    def wbc(self) -> Analyte:
        return self.exam.analytes.get(code="WBC")

    def form(self, hgb: str = "14.2", wbc: str = "7500", *, hgb_unit: str = "g/dL", wbc_unit: str = "/mm³") -> dict:
        return {
            f"value_{self.hgb.pk}": hgb,
            f"unit_{self.hgb.pk}": hgb_unit,
            f"value_{self.wbc.pk}": wbc,
            f"unit_{self.wbc.pk}": wbc_unit,
        }


@pytest.fixture
def lab(clinic: Clinic, make_user: Callable[..., User]) -> Lab:
    doctor = make_user(roles.DOCTOR, first_name="Ana", last_name="Souza")
    return Lab(
        clinic=clinic,
        unit=CareUnitFactory(clinic=clinic, name="Laboratório central", kind=CareUnit.Kind.LABORATORY),
        doctor=doctor,
        technician=make_user(roles.LAB, first_name="Bia", last_name="Lima"),
        reviewer=make_user(roles.LAB, first_name="Caio", last_name="Reis"),
        reception=make_user(roles.RECEPTION),
        exam=make_blood_count(),
        patient=make_patient(by=doctor, full_name="João da Silva", sex=Sex.MALE, birth_date=date(1980, 5, 1)),
    )


@pytest.fixture
def english(client_for: Callable[[User], Client]) -> Callable[[User], Client]:
    """Pages in English, so the tests read the words a person would read there."""

    def make(user: User) -> Client:
        client = client_for(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return make


def ordered(lab: Lab, **overrides: Any) -> ExamOrder:
    fields: dict[str, Any] = {"patient": lab.patient, "exam": lab.exam, "clinic": lab.clinic, "by": lab.doctor}
    return services.order_create(**{**fields, **overrides})


def collected(lab: Lab, *, ago: timedelta = timedelta(hours=1), **overrides: Any) -> ExamOrder:
    """An order made an hour before ``ago`` and collected ``ago`` before now."""
    with time_machine.travel(NOW - ago - timedelta(hours=1), tick=False):
        order = ordered(lab, **overrides)
    return services.order_collect(order=order, by=lab.technician, at=NOW - ago)


def resulted(lab: Lab, hgb: str = "14.2", wbc: str = "7500", **overrides: Any) -> ExamOrder:
    order = collected(lab, **overrides)
    values = {lab.hgb.pk: (hgb, "g/dL"), lab.wbc.pk: (wbc, "/mm³")}
    return services.results_enter(order=order, by=lab.technician, values=values)


def released(lab: Lab, hgb: str = "14.2", wbc: str = "7500", **overrides: Any) -> ExamOrder:
    return services.result_release(order=resulted(lab, hgb, wbc, **overrides), by=lab.reviewer)


def statuses() -> list[tuple[int, str]]:
    return list(ExamOrder.objects.order_by("pk").values_list("pk", "status"))


# Who may open what ------------------------------------------------------------------------------------


def test_each_page_answers_the_role_that_uses_it_and_refuses_another(
    lab: Lab, english: Callable[[User], Client]
) -> None:
    order = resulted(lab)
    pages = [
        (reverse("exams:worklist"), lab.technician, lab.doctor),
        (reverse("exams:orders"), lab.doctor, lab.reception),
        (reverse("exams:order", args=[order.pk]), lab.doctor, lab.reception),
        (reverse("exams:order-create", args=[lab.patient.pk]), lab.doctor, lab.technician),
        (reverse("exams:order-results", args=[order.pk]), lab.technician, lab.doctor),
        (reverse("exams:panel-results", args=[lab.patient.pk]), lab.doctor, lab.reception),
    ]
    for url, allowed, refused in pages:
        assert english(allowed).get(url).status_code == 200, url
        assert english(refused).get(url).status_code == 403, url


@pytest.mark.parametrize(
    ("name", "allowed", "refused", "data"),
    [
        ("exams:order-collect", "technician", "doctor", {}),
        ("exams:order-release", "reviewer", "doctor", {}),
        ("exams:order-cancel", "doctor", "reception", {"reason": "Pedido em duplicidade"}),
    ],
)
def test_each_step_is_taken_by_its_role_only(
    lab: Lab, english: Callable[[User], Client], name: str, allowed: str, refused: str, data: dict[str, str]
) -> None:
    order = resulted(lab) if name == "exams:order-release" else ordered(lab)
    url = reverse(name, args=[order.pk])
    before = statuses()

    assert english(getattr(lab, refused)).post(url, data).status_code == 403
    assert statuses() == before
    assert english(getattr(lab, allowed)).post(url, data).status_code == 302
    assert statuses() != before


def test_an_order_of_another_clinic_is_not_found(lab: Lab, english: Callable[[User], Client], make_user: Any) -> None:
    order = released(lab)
    outsider = make_user(roles.DOCTOR, clinics=[ClinicFactory()])
    client = english(outsider)

    assert client.get(reverse("exams:order", args=[order.pk])).status_code == 404
    assert client.post(reverse("exams:order-cancel", args=[order.pk]), {"reason": "x"}).status_code == 404
    assert english(make_user(roles.LAB, clinics=[ClinicFactory()])).get(reverse("exams:worklist")).status_code == 200
    assert statuses() == [(order.pk, OrderStatus.RELEASED)]


# The worklist -----------------------------------------------------------------------------------------


def test_the_worklist_puts_stat_first_and_shows_each_lines_next_step(
    lab: Lab, english: Callable[[User], Client]
) -> None:
    with time_machine.travel(NOW - timedelta(hours=5), tick=False):
        late = ordered(lab)  # a 4-hour exam ordered 5 hours ago: overdue
    routine = ordered(lab, indication="Rotina")
    stat = ordered(lab, priority=OrderPriority.STAT)
    waiting = collected(lab)
    entered = resulted(lab)
    released(lab)  # done: not on the worklist

    page = english(lab.technician).get(reverse("exams:worklist"))
    html = page.content.decode()

    assert [order.pk for order in page.context["orders"]][:1] == [stat.pk]
    assert {order.pk for order in page.context["orders"]} == {late.pk, routine.pk, stat.pk, waiting.pk, entered.pk}
    assert 'data-priority="stat"' in html and "Emergency (STAT)" in html
    assert html.count('data-testid="overdue"') == 1
    assert f'data-order="{late.pk}" class="table-danger"' in html
    assert "João da Silva" in html and "45 years" in html and "Male" in html
    assert html.count('data-testid="collect"') == 3
    assert reverse("exams:order-results", args=[waiting.pk]) in html
    # Bia entered the result: she may not release it, and the page says why.
    assert 'data-testid="release-blocked"' in html
    assert "You entered this result: someone else must release it." in html
    assert 'data-testid="release"' not in html
    assert 'data-testid="release"' in english(lab.reviewer).get(reverse("exams:worklist")).content.decode()


def test_the_worklist_refreshes_its_table_only_and_remembers_the_unit(
    lab: Lab, english: Callable[[User], Client]
) -> None:
    imaging = CareUnitFactory(clinic=lab.clinic, name="Imagem", kind=CareUnit.Kind.IMAGING)
    ordered(lab)
    client = english(lab.technician)

    assert client.get(reverse("exams:worklist"), {"unit": imaging.pk}).context["unit"] == imaging
    page = client.get(reverse("exams:worklist"))
    assert page.context["unit"] == imaging
    assert page.context["orders"] == []

    refresh = client.get(reverse("exams:worklist"), {"unit": lab.unit.pk, "status": ""}, HTTP_HX_REQUEST="true")
    html = refresh.content.decode()
    assert 'id="worklist"' in html and 'hx-trigger="every 30s"' in html
    assert "<html" not in html and 'data-testid="worklist-filters"' not in html
    assert html.count('data-testid="worklist-line"') == 1


def test_the_worklist_opens_on_the_laboratory_before_imaging(lab: Lab, english: Callable[[User], Client]) -> None:
    imaging = CareUnitFactory(clinic=lab.clinic, name="Imagem", kind=CareUnit.Kind.IMAGING)  # first by name
    order = ordered(lab)
    client = english(lab.technician)

    page = client.get(reverse("exams:worklist"))

    assert page.context["unit"] == lab.unit
    assert [line.order.pk for line in page.context["lines"]] == [order.pk]
    assert [unit.pk for unit in page.context["units"]] == [imaging.pk, lab.unit.pk]


def test_worklist_counts_are_written_with_the_readers_thousands_separator(
    lab: Lab, english: Callable[[User], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(3):
        ordered(lab)
    monkeypatch.setattr(views, "WORKLIST_LINES", 2)
    monkeypatch.setattr(views.selectors, "worklist_count", lambda **_filters: 12500)

    html = english(lab.technician).get(reverse("exams:worklist")).content.decode()

    assert "12,500 open orders" in html
    assert "12,498 more orders are not listed: narrow the list with the status filter." in html


def test_a_status_filter_narrows_the_worklist_and_a_bad_one_is_said(
    lab: Lab, english: Callable[[User], Client]
) -> None:
    ordered(lab)
    waiting = collected(lab)
    client = english(lab.technician)

    assert [o.pk for o in client.get(reverse("exams:worklist"), {"status": "collected"}).context["orders"]] == [
        waiting.pk
    ]
    page = client.get(reverse("exams:worklist"), {"status": "<b>released</b>"})
    assert len(page.context["orders"]) == 2
    assert "Select a valid choice" in page.content.decode()
    assert "<b>released</b>" not in page.content.decode()


def _queries(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_worklist_costs_the_same_queries_for_2_and_for_20_orders(
    lab: Lab, english: Callable[[User], Client]
) -> None:
    client = english(lab.technician)
    url = reverse("exams:worklist")
    ordered(lab, priority=OrderPriority.STAT)
    resulted(lab)
    client.get(url)
    few = _queries(client, url)
    for _ in range(6):
        ordered(lab)
        collected(lab)
        resulted(lab)
    assert len(client.get(url).context["orders"]) == 20
    assert _queries(client, url) == few


def test_a_long_worklist_shows_its_first_lines_and_says_how_many_more(
    lab: Lab, english: Callable[[User], Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = english(lab.technician)
    url = reverse("exams:worklist")
    ordered(lab, priority=OrderPriority.STAT)
    ordered(lab)
    monkeypatch.setattr(views, "WORKLIST_LINES", 2)
    within = _queries(client, url)
    ordered(lab)
    response = client.get(url)
    assert [line.order.priority for line in response.context["lines"]][:1] == [OrderPriority.STAT]
    assert len(response.context["orders"]) == 2
    page = response.content.decode()
    assert "3 open orders" in page
    assert "1 more order is not listed: narrow the list with the status filter." in page
    assert _queries(client, url) == within + 1  # the count, asked only when the list is cut


def test_booked_lines_show_their_time_at_no_extra_cost(
    lab: Lab, english: Callable[[User], Client], ultrasound: tuple[Exam, Any]
) -> None:
    exam, practitioner = ultrasound
    client = english(lab.technician)
    url = f"{reverse('exams:worklist')}?unit={CareUnit.objects.get(kind=CareUnit.Kind.IMAGING).pk}"

    def book(count: int) -> None:
        """Book ``count`` ultrasounds, each in the first time the booking page offers."""
        for _ in range(count):
            order = ordered(lab, exam=exam)
            slot = client.get(reverse("exams:order-schedule", args=[order.pk])).context["days"][0][1][0]["slot"]
            services.order_schedule(order=order, practitioner=practitioner, starts_at=slot.starts_at, by=lab.technician)

    book(2)
    client.get(url)
    few = _queries(client, url)
    book(6)
    assert client.get(url).content.decode().count('data-testid="appointment-time"') == 8
    assert _queries(client, url) == few


# Ordering ---------------------------------------------------------------------------------------------


def test_a_doctor_orders_from_the_chart_and_goes_back_to_it(lab: Lab, english: Callable[[User], Client]) -> None:
    client = english(lab.doctor)
    url = reverse("exams:order-create", args=[lab.patient.pk])
    page = client.get(url).content.decode()
    assert '<optgroup label="Laboratory">' in page
    assert "Hemograma completo · 40304361 · Blood" in page

    response = client.post(
        url, {"exam": lab.exam.pk, "priority": "urgent", "clinic": lab.clinic.pk, "indication": "Anemia?"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("patients:detail", args=[lab.patient.pk])
    order = ExamOrder.objects.get()
    assert (order.exam, order.priority, order.origin, order.unit, order.indication) == (
        lab.exam,
        OrderPriority.URGENT,
        OrderOrigin.CHART,
        lab.unit,
        "Anemia?",
    )


def test_choosing_an_exam_shows_its_preparation(lab: Lab, english: Callable[[User], Client]) -> None:
    lab.exam.preparation = "Jejum de 8 horas."
    lab.exam.save()
    url = reverse("exams:order-create", args=[lab.patient.pk])

    response = english(lab.doctor).get(url, {"exam": lab.exam.pk}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert 'id="preparation"' in html and "Jejum de 8 horas." in html
    assert "<html" not in html
    assert "Jejum" not in english(lab.doctor).get(url, {"exam": "x"}, HTTP_HX_REQUEST="true").content.decode()


def test_an_order_the_form_or_the_service_refuses_is_not_stored(
    lab: Lab, english: Callable[[User], Client], make_user: Any
) -> None:
    without_lab = ClinicFactory(name="Clínica sem laboratório")
    doctor = make_user(roles.DOCTOR, clinics=[lab.clinic, without_lab])
    client = english(doctor)
    url = reverse("exams:order-create", args=[lab.patient.pk])

    missing = client.post(url, {"priority": "routine", "clinic": lab.clinic.pk, "indication": "<b>x</b>"})
    assert missing.status_code == 400
    assert "This field is required." in missing.content.decode()
    assert "&lt;b&gt;x&lt;/b&gt;" in missing.content.decode()  # kept as typed, escaped

    refused = client.post(url, {"exam": lab.exam.pk, "priority": "routine", "clinic": without_lab.pk})
    assert refused.status_code == 400
    assert "This clinic has no laboratory to do this exam." in refused.content.decode()
    assert ExamOrder.objects.count() == 0


def _consultation_of(lab: Lab, patient: Patient) -> Appointment:
    """An appointment of ``patient`` with the doctor, whose consultation has started."""
    specialty = SpecialtyFactory(default_duration=30)
    practitioner = PractitionerFactory(user=lab.doctor)
    PractitionerSpecialty.objects.create(practitioner=practitioner, specialty=specialty)
    room = RoomFactory(floor__clinic=lab.clinic)
    WorkingHours.objects.create(
        practitioner=practitioner,
        clinic=lab.clinic,
        room=room,
        weekday=0,
        start_time=time(8),
        end_time=time(12),
        valid_from=date(2026, 1, 1),
    )
    appointment = appointment_book(
        patient=patient, practitioner=practitioner, specialty=specialty, starts_at=MONDAY_NINE, by=lab.doctor
    )
    Consultation.objects.create(appointment=appointment)
    return appointment


def test_an_order_from_a_consultation_is_linked_to_it_and_returns_there(
    lab: Lab, english: Callable[[User], Client]
) -> None:
    appointment = _consultation_of(lab, lab.patient)
    client = english(lab.doctor)
    back = reverse("scheduling:consultation", args=[appointment.pk])

    panel = client.get(reverse("exams:panel-consultation", args=[appointment.pk])).content.decode()
    create = reverse("exams:order-create", args=[lab.patient.pk])
    assert f"{create}?consultation={appointment.pk}&amp;next={back}" in panel

    response = client.post(
        f"{create}?consultation={appointment.pk}", {"exam": lab.exam.pk, "priority": "routine", "next": back}
    )

    assert response["Location"] == back
    order = ExamOrder.objects.get()
    assert (order.origin, order.consultation, order.clinic) == (
        OrderOrigin.CONSULTATION,
        appointment.consultation,
        appointment.clinic,
    )
    panel = client.get(reverse("exams:panel-consultation", args=[appointment.pk])).content.decode()
    assert f'data-order="{order.pk}"' in panel
    assert reverse("exams:panel-consultation", args=[appointment.pk]) in client.get(back).content.decode()


def test_a_consultation_or_admission_of_another_patient_is_not_found(
    lab: Lab, english: Callable[[User], Client]
) -> None:
    other = make_patient(by=lab.doctor)
    appointment = _consultation_of(lab, other)
    admission = make_request(clinic=lab.clinic, by=lab.doctor, patient=other)
    client = english(lab.doctor)
    create = reverse("exams:order-create", args=[lab.patient.pk])
    data = {"exam": lab.exam.pk, "priority": "routine"}

    assert client.post(f"{create}?consultation={appointment.pk}", data).status_code == 404
    assert client.post(f"{create}?admission={admission.pk}", data).status_code == 404
    assert client.get(f"{create}?admission=abc").status_code == 404
    assert ExamOrder.objects.count() == 0


def test_an_order_from_an_admission_returns_to_the_admission(lab: Lab, english: Callable[[User], Client]) -> None:
    admission = make_request(clinic=lab.clinic, by=lab.doctor, patient=lab.patient)
    client = english(lab.doctor)
    create = reverse("exams:order-create", args=[lab.patient.pk])

    response = client.post(f"{create}?admission={admission.pk}", {"exam": lab.exam.pk, "priority": "stat"})

    assert response["Location"] == reverse("beds:admission", args=[admission.pk])
    order = ExamOrder.objects.get()
    assert (order.origin, order.admission) == (OrderOrigin.ADMISSION, admission)
    panel = client.get(reverse("exams:panel-admission", args=[admission.pk])).content.decode()
    assert f'data-order="{order.pk}"' in panel and f"?admission={admission.pk}" in panel
    assert english(lab.technician).get(reverse("exams:panel-admission", args=[admission.pk])).status_code == 403


def test_a_next_address_of_another_site_is_ignored(lab: Lab, english: Callable[[User], Client]) -> None:
    url = reverse("exams:order-create", args=[lab.patient.pk])
    data = {"exam": lab.exam.pk, "priority": "routine", "clinic": lab.clinic.pk, "next": "https://evil.example/"}

    response = english(lab.doctor).post(url, data)

    assert response["Location"] == reverse("patients:detail", args=[lab.patient.pk])


# Booking a time ---------------------------------------------------------------------------------------


@pytest.fixture
def ultrasound(lab: Lab) -> tuple[Exam, Any]:
    """An ultrasound done by appointment, a sonographer with Monday-morning hours in an exam room."""
    specialty = SpecialtyFactory(name="Ultrassonografia", code="ultrassom", default_duration=20)
    exam = ExamFactory(
        name="Ultrassom de abdome",
        kind=ExamKind.IMAGING,
        specimen=Specimen.NONE,
        needs_scheduling=True,
        specialty=specialty,
    )
    CareUnitFactory(clinic=lab.clinic, name="Imagem", kind=CareUnit.Kind.IMAGING)
    room = RoomFactory(floor__clinic=lab.clinic, kind=Room.Kind.EXAM)
    practitioner = PractitionerFactory()
    PractitionerSpecialty.objects.create(practitioner=practitioner, specialty=specialty)
    WorkingHours.objects.create(
        practitioner=practitioner,
        clinic=lab.clinic,
        room=room,
        weekday=0,
        start_time=time(8),
        end_time=time(12),
        valid_from=date(2026, 1, 1),
    )
    return exam, practitioner


def test_an_exam_is_booked_in_a_free_time_of_its_specialty(
    lab: Lab, english: Callable[[User], Client], ultrasound: tuple[Exam, Any]
) -> None:
    exam, practitioner = ultrasound
    order = ordered(lab, exam=exam)
    client = english(lab.technician)
    url = reverse("exams:order-schedule", args=[order.pk])

    page = client.get(url)
    assert 'data-testid="slot"' in page.content.decode()
    assert MONDAY_NINE in [item["slot"].starts_at for _day, items in page.context["days"] for item in items]

    response = client.post(url, {"practitioner": practitioner.pk, "starts_at": MONDAY_NINE.isoformat()})

    assert response["Location"] == reverse("exams:order", args=[order.pk])
    order.refresh_from_db()
    assert order.status == OrderStatus.SCHEDULED
    assert order.appointment is not None and order.appointment.starts_at == MONDAY_NINE
    worklist = client.get(reverse("exams:worklist"), {"unit": order.unit_id}).content.decode()
    assert 'data-testid="appointment-time"' in worklist


def test_a_time_taken_meanwhile_shows_fresh_times_and_books_nothing(
    lab: Lab, english: Callable[[User], Client], ultrasound: tuple[Exam, Any]
) -> None:
    exam, practitioner = ultrasound
    order = ordered(lab, exam=exam)
    appointment_book(
        patient=make_patient(by=lab.doctor),
        practitioner=practitioner,
        specialty=exam.specialty,
        starts_at=MONDAY_NINE,
        by=lab.reception,
    )
    url = reverse("exams:order-schedule", args=[order.pk])

    page = english(lab.technician).post(url, {"practitioner": practitioner.pk, "starts_at": MONDAY_NINE.isoformat()})

    assert page.status_code == 200
    assert "This time was just taken. Choose another one." in page.content.decode()
    fresh = [item["slot"].starts_at for _day, items in page.context["days"] for item in items]
    assert MONDAY_NINE + timedelta(minutes=20) in fresh and MONDAY_NINE not in fresh
    assert statuses() == [(order.pk, OrderStatus.REQUESTED)]


def test_an_exam_without_booked_times_has_no_booking_page(lab: Lab, english: Callable[[User], Client]) -> None:
    order = ordered(lab)
    response = english(lab.doctor).get(reverse("exams:order-schedule", args=[order.pk]), follow=True)
    assert "This order has no time to book." in response.content.decode()


# Results ----------------------------------------------------------------------------------------------


def test_the_results_form_has_a_row_per_analyte_with_its_unit_and_the_patients_range(
    lab: Lab, english: Callable[[User], Client]
) -> None:
    order = collected(lab)
    html = english(lab.technician).get(reverse("exams:order-results", args=[order.pk])).content.decode()

    assert html.count('data-testid="result-row"') == 2
    assert f'name="unit_{lab.hgb.pk}" id="id_unit_{lab.hgb.pk}" value="g/dL"' in html
    assert "13.5 \u2013 17.5 g/dL" in " ".join(html.split())  # the range for a man of 45, not a woman's or a child's
    assert 'enctype="multipart/form-data"' in html


def _value_input(html: str, analyte: Analyte) -> str:
    found = re.search(rf'<input [^>]*name="value_{analyte.pk}"[^>]*>', html)
    assert found, analyte.code
    return found.group(0)


def test_the_results_form_marks_each_value_of_a_lab_exam_required_and_of_an_imaging_exam_not(
    lab: Lab, english: Callable[[User], Client]
) -> None:
    client = english(lab.technician)
    blood = client.get(reverse("exams:order-results", args=[collected(lab).pk])).content.decode()

    assert 'data-testid="required-legend"' in blood
    assert "Required: a laboratory result is saved only with all its values." in blood
    assert blood.count('data-testid="required-mark"') == 2
    assert all(" required" in _value_input(blood, analyte) for analyte in (lab.hgb, lab.wbc))

    CareUnitFactory(clinic=lab.clinic, name="Imagem", kind=CareUnit.Kind.IMAGING)
    scan = ExamFactory(name="Raio X de tórax", kind=ExamKind.IMAGING, specimen=Specimen.NONE)
    finding = AnalyteFactory(exam=scan, name="Achado", value_kind="text", unit="")
    imaging = client.get(reverse("exams:order-results", args=[collected(lab, exam=scan).pk])).content.decode()

    assert 'data-testid="result-row"' in imaging
    assert 'data-testid="required-legend"' not in imaging and 'data-testid="required-mark"' not in imaging
    assert " required" not in _value_input(imaging, finding)


@pytest.mark.parametrize(
    ("language", "leukocytes", "interval"), [("en", "12,500", "4,000"), ("pt-BR", "12.500", "4.000")]
)
def test_large_values_are_written_with_the_readers_thousands_separator_and_stored_as_typed(
    language: str, leukocytes: str, interval: str, lab: Lab, client_for: Callable[[User], Client]
) -> None:
    order = resulted(lab, wbc="12500")
    technician = client_for(lab.technician)
    technician.defaults["HTTP_ACCEPT_LANGUAGE"] = language

    page = technician.get(reverse("exams:order", args=[order.pk])).content.decode()
    row = page[page.index('data-analyte="WBC"') :]
    row = " ".join(row[: row.index("</tr>")].split())
    assert f'<td class="text-end fw-semibold">{leukocytes}</td>' in row
    assert f"{interval} \u2013 11" in row
    form = technician.get(reverse("exams:order-results", args=[order.pk])).content.decode()
    assert 'value="12500"' in _value_input(form, lab.wbc)  # the field holds what is stored, for correcting it

    services.result_release(order=order, by=lab.reviewer)
    doctor = client_for(lab.doctor)
    doctor.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    panel = doctor.get(reverse("exams:panel-results", args=[lab.patient.pk])).content.decode()
    assert f"<strong>{leukocytes}</strong> /mm³" in panel
    assert ResultValue.objects.get(order=order, analyte=lab.wbc).number == 12500


def test_a_wrong_unit_or_a_value_that_is_not_a_number_is_shown_and_nothing_is_stored(
    lab: Lab, english: Callable[[User], Client]
) -> None:
    order = collected(lab)
    data = {**lab.form(hgb="abc", wbc_unit="mg/dL"), "attachment": SimpleUploadedFile("laudo.pdf", PDF)}

    response = english(lab.technician).post(reverse("exams:order-results", args=[order.pk]), data)

    assert response.status_code == 400
    html = response.content.decode()
    assert escape("'abc' is not a number.") in html
    assert "The unit of Leucócitos is /mm³, not mg/dL." in html
    assert f'id="id_value_{lab.hgb.pk}" value="abc"' in html  # what was typed stays
    assert statuses() == [(order.pk, OrderStatus.COLLECTED)]
    assert (ResultValue.objects.count(), ResultAttachment.objects.count()) == (0, 0)


def test_a_refused_attachment_stores_no_value_either(lab: Lab, english: Callable[[User], Client]) -> None:
    order = collected(lab)
    data = {**lab.form(), "attachment": SimpleUploadedFile("laudo.pdf", b"<html>not a pdf</html>")}

    response = english(lab.technician).post(reverse("exams:order-results", args=[order.pk]), data)

    assert response.status_code == 400
    assert "Only PDF, JPEG and PNG files are accepted" in response.content.decode()
    assert statuses() == [(order.pk, OrderStatus.COLLECTED)]
    assert (ResultValue.objects.count(), ResultAttachment.objects.count()) == (0, 0)


def test_results_and_a_file_are_saved_together_and_the_lab_goes_back(
    lab: Lab, english: Callable[[User], Client]
) -> None:
    order = collected(lab)
    worklist = reverse("exams:worklist")
    data = {**lab.form(hgb="12,1"), "attachment": SimpleUploadedFile("laudo.pdf", PDF), "next": worklist}

    response = english(lab.technician).post(reverse("exams:order-results", args=[order.pk]), data)

    assert response["Location"] == worklist
    assert statuses() == [(order.pk, OrderStatus.RESULTED)]
    assert sorted(ResultValue.objects.values_list("analyte__code", "flag")) == [("HGB", "low"), ("WBC", "")]
    assert ResultAttachment.objects.get().name == "laudo.pdf"


def test_no_results_form_for_an_order_not_collected(lab: Lab, english: Callable[[User], Client]) -> None:
    order = ordered(lab)
    html = english(lab.technician).get(reverse("exams:order-results", args=[order.pk])).content.decode()
    assert 'data-testid="cannot-enter"' in html and 'data-testid="results-form"' not in html


# Release and the order page ---------------------------------------------------------------------------


def test_the_person_who_entered_a_result_cannot_release_it(lab: Lab, english: Callable[[User], Client]) -> None:
    order = resulted(lab)

    response = english(lab.technician).post(reverse("exams:order-release", args=[order.pk]), follow=True)

    assert "A result must be released by someone other than who entered it." in response.content.decode()
    assert statuses() == [(order.pk, OrderStatus.RESULTED)]
    assert Notification.objects.count() == 0


def test_who_entered_a_result_reads_why_its_release_is_disabled_next_to_the_button(
    lab: Lab, english: Callable[[User], Client]
) -> None:
    order = resulted(lab)
    client = english(lab.technician)

    for url in (reverse("exams:worklist"), reverse("exams:order", args=[order.pk])):
        html = client.get(url).content.decode()
        button = re.search(r'<button [^>]*disabled aria-describedby="(release-blocked-\d+)"[^>]*>', html)
        assert button, url
        reason = re.search(
            rf'<span class="([^"]*)" id="{button.group(1)}" data-testid="release-blocked">([^<]*)</span>', html
        )
        assert reason, url
        assert "visually-hidden" not in reason.group(1).split(), url
        assert reason.group(2) == "You entered this result: someone else must release it.", url
        assert 'title="You entered this result' not in html, url  # not in a tooltip only


def test_a_release_by_a_second_person_reaches_the_doctors_bell_and_opens_the_order(
    lab: Lab, english: Callable[[User], Client]
) -> None:
    order = resulted(lab)
    worklist = reverse("exams:worklist")

    response = english(lab.reviewer).post(reverse("exams:order-release", args=[order.pk]), {"next": worklist})

    assert response["Location"] == worklist
    assert statuses() == [(order.pk, OrderStatus.RELEASED)]
    doctor = english(lab.doctor)
    assert 'data-unread="1"' in doctor.get(reverse("messaging:notification-bell")).content.decode()
    note = Notification.objects.get(recipient=lab.doctor)
    assert 'data-testid="new-result"' in doctor.get(reverse("exams:orders")).content.decode()
    opened = doctor.post(reverse("messaging:notification-open", args=[note.pk]))
    assert opened["Location"] == reverse("exams:order", args=[order.pk])
    assert 'data-unread="0"' in doctor.get(reverse("messaging:notification-bell")).content.decode()
    assert 'data-testid="new-result"' not in doctor.get(reverse("exams:orders")).content.decode()


def test_before_the_release_the_doctor_reads_in_progress_and_the_lab_the_values(
    lab: Lab, english: Callable[[User], Client]
) -> None:
    order = resulted(lab, hgb="12.1")
    url = reverse("exams:order", args=[order.pk])

    doctor_page = english(lab.doctor).get(url).content.decode()
    assert 'data-testid="in-progress"' in doctor_page
    assert 'data-testid="result-values"' not in doctor_page and "12.1" not in doctor_page
    lab_page = english(lab.technician).get(url).content.decode()
    assert 'data-testid="result-values"' in lab_page and 'data-flag="low"' in lab_page


def test_the_released_result_shows_values_ranges_flags_and_the_story(
    lab: Lab, english: Callable[[User], Client]
) -> None:
    order = released(lab, hgb="6.5", wbc="7500")
    client = english(lab.doctor)
    accesses = ChartAccess.objects.count()

    html = client.get(reverse("exams:order", args=[order.pk])).content.decode()

    assert 'data-analyte="HGB" class="table-danger"' in html
    assert "Critically low" in html and "bi-exclamation-triangle-fill" in html
    assert "13.5 \u2013 17.5" in html and "4,000 \u2013 11,000" in html
    assert [event.to_status for event in client.get(reverse("exams:order", args=[order.pk])).context["events"]] == [
        "requested",
        "collected",
        "resulted",
        "released",
    ]
    assert "Caio Reis" in html  # who released it
    assert ChartAccess.objects.count() == accesses + 2  # each view of the order is logged


def test_html_in_the_indication_is_shown_as_text(lab: Lab, english: Callable[[User], Client]) -> None:
    order = ordered(lab, indication='<script>alert("x")</script>')

    html = english(lab.doctor).get(reverse("exams:order", args=[order.pk])).content.decode()

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_cancelling_needs_a_reason(lab: Lab, english: Callable[[User], Client]) -> None:
    order = ordered(lab)
    client = english(lab.doctor)
    url = reverse("exams:order-cancel", args=[order.pk])

    refused = client.post(url, {"reason": "  "}, follow=True)
    assert "Say why the order is cancelled" in refused.content.decode()
    assert statuses() == [(order.pk, OrderStatus.REQUESTED)]

    client.post(url, {"reason": "Pedido em duplicidade"})
    order.refresh_from_db()
    assert (order.status, order.cancel_reason) == (OrderStatus.CANCELLED, "Pedido em duplicidade")


# Attachments ------------------------------------------------------------------------------------------


def test_an_attachment_downloads_as_a_file_and_the_download_is_logged(
    lab: Lab, english: Callable[[User], Client]
) -> None:
    order = resulted(lab)
    attachment = services.attachment_add(order=order, uploaded=SimpleUploadedFile("laudo.pdf", PDF), by=lab.technician)
    url = reverse("exams:attachment", args=[attachment.pk])
    assert english(lab.doctor).get(url).status_code == 404  # not released: the doctor cannot read it yet
    services.result_release(order=order, by=lab.reviewer)

    response = english(lab.doctor).get(url)

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == PDF  # type: ignore[attr-defined]
    entry = ChartAccess.objects.order_by("-id").first()
    assert entry is not None
    assert (entry.user, entry.patient, entry.action) == (lab.doctor, lab.patient, "download_document")
    assert english(lab.reception).get(url).status_code == 403


# The orders list --------------------------------------------------------------------------------------


def test_a_doctor_starts_with_their_own_orders_and_new_results_stand_out(
    lab: Lab, english: Callable[[User], Client], make_user: Any
) -> None:
    mine = released(lab)
    pending = ordered(lab)
    colleague = make_user(roles.DOCTOR)
    theirs = ordered(lab, by=colleague)
    client = english(lab.doctor)

    page = client.get(reverse("exams:orders"))

    assert {order.pk for order in page.context["orders"]} == {mine.pk, pending.pk}
    html = page.content.decode()
    assert html.count('data-testid="new-result"') == 1
    assert f'data-order="{mine.pk}" class="table-success"' in html
    everyone = client.get(reverse("exams:orders"), {"status": ""}).context["orders"]
    assert theirs.pk in {order.pk for order in everyone}
    released_only = client.get(reverse("exams:orders"), {"mine": "on", "status": "released"}).context["orders"]
    assert [order.pk for order in released_only] == [mine.pk]


# The chart panel --------------------------------------------------------------------------------------


def test_the_chart_panel_shows_released_values_with_flags_and_a_trend(
    lab: Lab, english: Callable[[User], Client]
) -> None:
    first = released(lab, hgb="12.1", wbc="7000", ago=timedelta(days=30))
    second = released(lab, hgb="14.0", wbc="8000")
    entered = resulted(lab, hgb="9.9")

    html = english(lab.doctor).get(reverse("exams:panel-results", args=[lab.patient.pk])).content.decode()

    assert [f'data-order="{pk}"' in html for pk in (first.pk, second.pk, entered.pk)] == [True, True, True]
    assert "<strong>12.1</strong>" in html and 'data-flag="low"' in html and "Low" in html
    assert "<strong>9.9</strong>" not in html  # not released
    assert 'data-testid="trend" data-analyte="HGB"' in html
    assert html.count("<svg") == 2  # haemoglobin and leukocytes, each measured twice
    assert 'role="img"' in html and "Hemoglobina over time" in html
    assert 'data-testid="order-exam"' in html


def test_the_chart_panel_costs_the_same_queries_for_2_and_for_20_orders(
    lab: Lab, english: Callable[[User], Client]
) -> None:
    client = english(lab.doctor)
    url = reverse("exams:panel-results", args=[lab.patient.pk])
    released(lab, ago=timedelta(days=2))
    ordered(lab)
    client.get(url)
    few = _queries(client, url)
    for day in range(9):
        released(lab, ago=timedelta(days=3 + day))
        ordered(lab)
    assert len(client.get(url).context["orders"]) == 20
    assert _queries(client, url) == few
