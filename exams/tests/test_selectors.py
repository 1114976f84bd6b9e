"""Reads of the exams app: the worklist's order, what each list shows and to whom, the chart's results
and trends (released results only), each in a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import translation

from clinic import access
from clinic.models import Clinic
from exams import selectors, services
from exams.models import ExamKind, ExamOrder, Flag, OrderPriority, OrderStatus, Specimen
from exams.tests.test_services import NOW, Lab, appointment_of, lab_setting
from patients.models import Patient
from scheduling.models import Consultation
from staff import roles
from staff.models import CareUnit, User
from tests.factories import CareUnitFactory, ClinicFactory, ExamFactory, make_patient, make_request


@pytest.fixture
def lab(clinic: Clinic, make_user: Callable[..., User]) -> Iterator[Lab]:
    with translation.override("en"):
        yield lab_setting(clinic, make_user)


def order_at(lab: Lab, at: datetime, **overrides: object) -> ExamOrder:
    with time_machine.travel(at, tick=False):
        return services.order_create(
            **{"patient": lab.patient, "exam": lab.exam, "clinic": lab.clinic, "by": lab.doctor, **overrides}
        )


def released_at(lab: Lab, at: datetime, hgb: str, *, patient: Patient | None = None) -> ExamOrder:
    """A blood count ordered, collected, entered and released around ``at``, haemoglobin ``hgb``."""
    order = order_at(lab, at - timedelta(hours=1), patient=patient or lab.patient)
    with time_machine.travel(at, tick=False):
        services.order_collect(order=order, by=lab.technician)
        services.results_enter(order=order, by=lab.technician, values=lab.values(hgb=hgb))
        return services.result_release(order=order, by=lab.reviewer)


def entered_at(lab: Lab, at: datetime, hgb: str) -> ExamOrder:
    order = order_at(lab, at - timedelta(hours=1))
    with time_machine.travel(at, tick=False):
        services.order_collect(order=order, by=lab.technician)
        return services.results_enter(order=order, by=lab.technician, values=lab.values(hgb=hgb))


# The worklist --------------------------------------------------------------------------------------


def test_the_worklist_puts_the_most_urgent_first_then_the_oldest(lab: Lab) -> None:
    routine_old = order_at(lab, NOW - timedelta(hours=5))
    stat_new = order_at(lab, NOW - timedelta(minutes=5), priority=OrderPriority.STAT)
    urgent = order_at(lab, NOW - timedelta(hours=1), priority=OrderPriority.URGENT)
    routine_new = order_at(lab, NOW - timedelta(hours=2))
    stat_old = order_at(lab, NOW - timedelta(hours=3), priority=OrderPriority.STAT)

    assert selectors.worklist(unit=lab.unit) == [stat_old, stat_new, urgent, routine_old, routine_new]


def test_the_worklist_lists_only_the_units_open_orders(lab: Lab) -> None:
    waiting = order_at(lab, NOW - timedelta(hours=4))
    entered = entered_at(lab, NOW - timedelta(hours=3), "14.0")
    released_at(lab, NOW - timedelta(hours=2), "14.0")
    services.order_cancel(order=order_at(lab, NOW - timedelta(hours=2)), by=lab.doctor, reason="Pedido em dobro")
    other_lab = CareUnitFactory(clinic=lab.clinic, name="Laboratório do anexo", kind=CareUnit.Kind.LABORATORY)
    elsewhere = order_at(lab, NOW - timedelta(hours=1), unit=other_lab)

    assert selectors.worklist(unit=lab.unit) == [waiting, entered]
    assert selectors.worklist(unit=lab.unit, statuses=[OrderStatus.RESULTED]) == [entered]
    # Closed or unknown statuses never widen a worklist.
    assert selectors.worklist(unit=lab.unit, statuses=[OrderStatus.RELEASED, "nonsense"]) == [waiting, entered]
    assert selectors.worklist(unit=other_lab) == [elsewhere]
    assert selectors.worklist(unit=lab.unit, limit=1) == [waiting]


@pytest.mark.parametrize("count", [2, 20])
def test_the_worklist_costs_one_query_whatever_its_length(
    lab: Lab, count: int, django_assert_max_num_queries: Callable[..., object]
) -> None:
    for minutes in range(count):
        order_at(lab, NOW - timedelta(minutes=minutes + 1), patient=make_patient(by=lab.doctor))

    with django_assert_max_num_queries(1):  # type: ignore[attr-defined]
        orders = selectors.worklist(unit=lab.unit)
        shown = [
            (o.patient.display_name, o.patient.age(), o.exam.name, o.ordered_by.get_full_name(), o.unit.name)
            for o in orders
        ]

    assert len(shown) == count


# Units and order lists ------------------------------------------------------------------------------


def test_units_are_the_active_labs_and_imaging_units_of_the_users_clinics(
    lab: Lab, make_user: Callable[..., User]
) -> None:
    imaging = CareUnitFactory(clinic=lab.clinic, name="Imagem", kind=CareUnit.Kind.IMAGING)
    CareUnitFactory(clinic=lab.clinic, name="Pronto-socorro", kind=CareUnit.Kind.EMERGENCY)
    CareUnitFactory(clinic=lab.clinic, name="Laboratório antigo", kind=CareUnit.Kind.LABORATORY, is_active=False)
    CareUnitFactory(name="Laboratório de outra clínica", kind=CareUnit.Kind.LABORATORY)

    assert selectors.units_for(lab.technician) == [imaging, lab.unit]


def test_the_order_list_shows_the_users_clinics_and_filters(lab: Lab, make_user: Callable[..., User]) -> None:
    mine = order_at(lab, NOW - timedelta(hours=3))
    colleague = make_user(roles.DOCTOR)
    theirs = order_at(lab, NOW - timedelta(hours=2), by=colleague)
    other_patient = make_patient(by=lab.doctor)
    of_other_patient = order_at(lab, NOW - timedelta(hours=1), patient=other_patient)
    cancelled = services.order_cancel(order=order_at(lab, NOW), by=lab.doctor, reason="Pedido em dobro")
    other_clinic = ClinicFactory()
    CareUnitFactory(clinic=other_clinic, kind=CareUnit.Kind.LABORATORY)
    order_at(lab, NOW, clinic=other_clinic, by=make_user(roles.DOCTOR, clinics=[other_clinic]))

    assert selectors.orders_for(user=lab.doctor) == [cancelled, of_other_patient, theirs, mine]
    assert selectors.orders_for(user=lab.doctor, mine=True) == [cancelled, of_other_patient, mine]
    assert selectors.orders_for(user=lab.doctor, patient=other_patient) == [of_other_patient]
    assert selectors.orders_for(user=lab.doctor, status=OrderStatus.CANCELLED) == [cancelled]
    assert selectors.orders_for(user=lab.doctor, limit=2) == [cancelled, of_other_patient]


def test_an_order_is_fetched_for_a_user_of_its_clinic_only(lab: Lab, make_user: Callable[..., User]) -> None:
    order = released_at(lab, NOW, "14.0")
    stranger = make_user(roles.DOCTOR, clinics=[ClinicFactory()])
    receptionist = make_user(roles.RECEPTION)

    assert selectors.order_for_user(lab.doctor, order.pk) == order
    with pytest.raises(Http404):
        selectors.order_for_user(stranger, order.pk)
    with pytest.raises(PermissionDenied):
        selectors.order_for_user(receptionist, order.pk)
    with pytest.raises(Http404):
        selectors.order_detail(order.pk + 1000)


def test_the_order_detail_loads_everything_its_page_shows_at_once(
    lab: Lab, django_assert_max_num_queries: Callable[..., object]
) -> None:
    order = released_at(lab, NOW, "14.0")

    with django_assert_max_num_queries(6):  # type: ignore[attr-defined]
        detail = selectors.order_detail(order.pk)
        shown = (
            [(a.code, [r.low for r in a.ranges.all()]) for a in detail.exam.analytes.all()],
            [(v.analyte.name, v.display, v.flag) for v in detail.values.all()],
            [(e.to_status, e.by.username if e.by else "") for e in detail.events.all()],
            list(detail.attachments.all()),
            (detail.patient.display_name, detail.ordered_by.username, detail.released_by.username),  # type: ignore[union-attr]
        )

    assert [code for code, _ranges in shown[0]] == ["HGB", "WBC"]
    assert shown[1] == [("Hemoglobina", "14", Flag.NORMAL), ("Leucócitos", "7500", Flag.NORMAL)]
    assert [status for status, _by in shown[2]] == [
        OrderStatus.REQUESTED,
        OrderStatus.COLLECTED,
        OrderStatus.RESULTED,
        OrderStatus.RELEASED,
    ]


# The chart ----------------------------------------------------------------------------------------


def test_the_chart_lists_the_latest_orders_with_the_values_of_the_released_ones_only(lab: Lab) -> None:
    first = released_at(lab, NOW - timedelta(days=20), "12.9")
    entered = entered_at(lab, NOW - timedelta(days=10), "9.0")
    waiting = order_at(lab, NOW - timedelta(days=1))
    released_at(lab, NOW, "14.0", patient=make_patient(by=lab.doctor))  # someone else's

    panel = selectors.patient_results(patient=lab.patient, user=lab.doctor)

    assert panel.orders == [waiting, entered, first]
    assert [(v.analyte.code, v.number, v.flag) for v in panel.orders[2].released_values] == [  # type: ignore[attr-defined]
        ("HGB", Decimal("12.9"), Flag.LOW),
        ("WBC", Decimal("7500"), Flag.NORMAL),
    ]
    assert panel.orders[1].released_values == []  # type: ignore[attr-defined]
    assert panel.orders[0].released_values == []  # type: ignore[attr-defined]
    assert panel.trends == []  # one released value per analyte is no trend
    assert not panel.more


def test_a_trend_per_numeric_analyte_measured_twice_from_released_results(lab: Lab) -> None:
    old = NOW - timedelta(days=60)
    middle = NOW - timedelta(days=30)
    released_at(lab, middle, "13.1")
    released_at(lab, old, "11.0")
    entered_at(lab, NOW - timedelta(days=1), "6.0")  # entered, not released: not in the trend
    x_ray = ExamFactory(kind=ExamKind.IMAGING, specimen=Specimen.NONE)
    CareUnitFactory(clinic=lab.clinic, name="Imagem", kind=CareUnit.Kind.IMAGING)
    report = order_at(lab, NOW - timedelta(hours=2), exam=x_ray)
    services.order_collect(order=report, by=lab.technician)
    services.results_enter(order=report, by=lab.technician, values={}, report="Normal.")
    services.result_release(order=report, by=lab.reviewer)

    trends = selectors.patient_results(patient=lab.patient, user=lab.doctor).trends

    assert [trend.analyte.code for trend in trends] == ["HGB", "WBC"]
    haemoglobin = trends[0]
    assert haemoglobin.points == [(old, Decimal("11.0"), Flag.LOW), (middle, Decimal("13.1"), Flag.LOW)]
    assert (haemoglobin.low, haemoglobin.high) == (Decimal("13.5"), Decimal("17.5"))
    assert haemoglobin.series == [(old, 11.0), (middle, 13.1)]
    assert haemoglobin.band == (13.5, 17.5)
    assert haemoglobin.latest == (middle, Decimal("13.1"), Flag.LOW)


def test_a_trend_keeps_its_latest_points(lab: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(selectors, "TREND_POINTS", 3)
    days = [NOW - timedelta(days=n) for n in (50, 40, 30, 20, 10)]
    for day, value in zip(days, ["14.0", "14.1", "14.2", "14.3", "14.4"], strict=True):
        released_at(lab, day, value)

    haemoglobin = selectors.patient_results(patient=lab.patient, user=lab.doctor).trends[0]

    assert [value for _at, value, _flag in haemoglobin.points] == [Decimal("14.2"), Decimal("14.3"), Decimal("14.4")]


def test_the_chart_shows_a_doctor_every_clinics_results_and_the_lab_its_own(
    lab: Lab, make_user: Callable[..., User]
) -> None:
    """One chart across the network for clinical roles; the lab reads its own clinics' work (clinic/access.py)."""
    here = released_at(lab, NOW - timedelta(days=20), "12.9")
    away = ClinicFactory()
    away_lab = Lab(
        clinic=away,
        unit=CareUnitFactory(clinic=away, kind=CareUnit.Kind.LABORATORY),
        doctor=make_user(roles.DOCTOR, clinics=[away]),
        technician=make_user(roles.LAB, clinics=[away]),
        reviewer=make_user(roles.LAB, clinics=[away]),
        exam=lab.exam,
        patient=lab.patient,
    )
    there = released_at(away_lab, NOW - timedelta(days=10), "11.5")

    for_doctor = selectors.patient_results(patient=lab.patient, user=lab.doctor)
    assert [(order, order.opens) for order in for_doctor.orders] == [(there, False), (here, True)]  # type: ignore[attr-defined]
    assert [value for _at, value, _flag in for_doctor.trends[0].points] == [Decimal("12.9"), Decimal("11.5")]

    for_lab = selectors.patient_results(patient=lab.patient, user=lab.technician)
    assert [(order, order.opens) for order in for_lab.orders] == [(here, True)]  # type: ignore[attr-defined]
    assert for_lab.trends == []  # the other clinic's value is not theirs to read: no second point


@pytest.mark.parametrize("count", [2, 20])
def test_the_chart_panel_costs_the_same_queries_whatever_the_history(
    lab: Lab, count: int, django_assert_max_num_queries: Callable[..., object]
) -> None:
    for day in range(count):
        released_at(lab, NOW - timedelta(days=day + 1), f"{13 + day / 10:.1f}")
    order_at(lab, NOW)

    lab.doctor.has_perm("exams.view_examorder")  # the view reads the permissions and clinics first
    access.visible_clinic_ids(lab.doctor)
    with django_assert_max_num_queries(3):  # type: ignore[attr-defined]
        panel = selectors.patient_results(patient=lab.patient, user=lab.doctor, limit_orders=10)
        shown = [
            (
                o.exam.name,
                o.clinic.name,
                o.ordered_by.get_full_name(),
                [(v.analyte.name, v.display, v.flag) for v in o.released_values],
            )  # type: ignore[attr-defined]
            for o in panel.orders
        ]
        points = [(t.analyte.name, t.series, t.band) for t in panel.trends]

    assert len(shown) == min(count + 1, 10)
    assert panel.more == (count + 1 > 10)
    assert [name for name, _series, _band in points] == ["Hemoglobina", "Leucócitos"]
    assert len(points[0][1]) == count


def test_a_consultations_and_an_admissions_orders(lab: Lab) -> None:
    with time_machine.travel(NOW, tick=False):
        consultation = Consultation.objects.create(appointment=appointment_of(lab.patient, lab))
    admission = make_request(patient=lab.patient, clinic=lab.clinic, by=lab.doctor)
    in_consultation = released_at(lab, NOW - timedelta(hours=3), "14.0")
    ExamOrder.objects.filter(pk=in_consultation.pk).update(consultation=consultation)
    for_admission = order_at(lab, NOW - timedelta(hours=1), admission=admission)
    order_at(lab, NOW)  # from the chart: neither

    [listed] = selectors.consultation_orders(consultation)
    assert listed == in_consultation
    assert [v.analyte.code for v in listed.released_values] == ["HGB", "WBC"]  # type: ignore[attr-defined]
    assert selectors.admission_orders(admission) == [for_admission]
