"""Reads of the exams app: worklists, order lists and details, and a patient's results for the chart.

List reads load what their rows show in a fixed number of queries, whatever the number of rows.
Only released values leave this module for anyone but the unit doing the exam: an order that is
not released carries no ``released_values``, and trends count released results only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import F, Prefetch, QuerySet, Window
from django.db.models.functions import RowNumber
from django.http import Http404

from beds.models import Admission
from clinic.access import in_chart, in_clinics, in_clinics_or_404, require, works_in
from exams.models import (
    OPEN_ORDER,
    Analyte,
    ExamOrder,
    OrderEvent,
    OrderStatus,
    ResultAttachment,
    ResultValue,
)
from patients.models import Patient
from scheduling.models import Consultation
from staff.models import CareUnit, User

# What a list row does not show of the patient: the documents, contact and address fields, each
# encrypted and decrypted on load, deferred so a long list does not pay for them.
_PATIENT_UNSHOWN = [
    f"patient__{name}"
    for name in (
        "cpf",
        "cns",
        "mobile_phone",
        "home_phone",
        "email",
        "cep",
        "street",
        "number",
        "complement",
        "district",
    )
]
# A trend draws at most this many points (the latest ones).
TREND_POINTS = 30


def _listed(orders: QuerySet[ExamOrder]) -> QuerySet[ExamOrder]:
    return orders.select_related("patient", "exam", "ordered_by", "unit", "clinic", "appointment").defer(
        "indication", "report", *_PATIENT_UNSHOWN
    )


def _released_values() -> Prefetch:
    """Each order's values as ``order.released_values``, loaded only for released orders."""
    return Prefetch(
        "values",
        queryset=ResultValue.objects.filter(order__status=OrderStatus.RELEASED)
        .select_related("analyte")
        .order_by("analyte__position", "id"),
        to_attr="released_values",
    )


def _open_orders(unit: CareUnit, statuses: list[str] | None) -> QuerySet[ExamOrder]:
    """``statuses`` narrows to some open statuses (unknown or closed ones are ignored, so a worklist
    never lists what is done)."""
    wanted = [status for status in (statuses or OPEN_ORDER) if status in OPEN_ORDER] or list(OPEN_ORDER)
    return ExamOrder.objects.filter(unit=unit, status__in=wanted)


def worklist(*, unit: CareUnit, statuses: list[str] | None = None, limit: int = 200) -> list[ExamOrder]:
    """The open orders of a lab or imaging unit (in ``statuses``, or any open one): the most urgent
    first, then the oldest. One query, served by the worklist's partial index.

    Every order is the unit's, so each is handed ``unit`` rather than joined to it; the order's clinic
    is not read (the worklist shows the unit's). Two joins fewer cut the query's planning time by
    two thirds, which was most of its cost.
    """
    orders = list(
        _open_orders(unit, statuses)
        .select_related("patient", "exam", "ordered_by", "appointment")
        .defer("indication", "report", *_PATIENT_UNSHOWN)
        .order_by("priority_rank", "ordered_at", "id")[:limit]
    )
    for order in orders:
        order.unit = unit
    return orders


def worklist_count(*, unit: CareUnit, statuses: list[str] | None = None) -> int:
    """How many orders ``worklist`` would list without a limit; one query on the same partial index."""
    return _open_orders(unit, statuses).count()


def units_for(user: User) -> list[CareUnit]:
    """The active laboratories and imaging units of the user's clinics, whose worklists they may open."""
    units = CareUnit.objects.filter(kind__in=[CareUnit.Kind.LABORATORY, CareUnit.Kind.IMAGING], is_active=True)
    return list(in_clinics(units, user).select_related("clinic").order_by("clinic__name", "name", "pk"))


def orders_for(
    *, user: User, patient: Patient | None = None, status: str | None = None, mine: bool = False, limit: int = 100
) -> list[ExamOrder]:
    """Orders of the user's clinics, newest first: of one patient, in one status, or ordered by the user."""
    orders = in_clinics(ExamOrder.objects.all(), user)
    if patient is not None:
        orders = orders.filter(patient=patient)
    if status:
        orders = orders.filter(status=status)
    if mine:
        orders = orders.filter(ordered_by=user)
    return list(_listed(orders).order_by("-ordered_at", "-id")[:limit])


def order_for_user(user: User, pk: int) -> ExamOrder:
    """An order of one of the user's clinics (with its details, as ``order_detail``), or 404."""
    require(user, "exams.view_examorder")
    if not in_clinics(ExamOrder.objects.filter(pk=pk), user).exists():
        raise Http404
    return order_detail(pk)


def sees_unreleased(user: User) -> bool:
    """The lab reads results as they are entered; everyone else only once a second person released them."""
    return user.has_perm("exams.enter_result")


def attachment_for_user(user: User, pk: int) -> ResultAttachment:
    """A file of an order of one of the user's clinics, if the user may read the order's result (an
    unreleased one is the lab's only: to anyone else it does not exist)."""
    require(user, "exams.view_examorder")
    attachment = in_clinics_or_404(
        ResultAttachment.objects.select_related("order__patient"), user, pk, field="order__clinic"
    )
    if attachment.order.status != OrderStatus.RELEASED and not sees_unreleased(user):
        raise Http404
    return attachment


def order_detail(pk: int) -> ExamOrder:
    """One order with everything its page shows: the exam's analytes and ranges, values, files, steps."""
    analytes = Analyte.objects.prefetch_related("ranges").order_by("position", "id")
    try:
        return (
            ExamOrder.objects.select_related(
                "patient",
                "exam__specialty",
                "clinic",
                "unit",
                "ordered_by",
                "collected_by",
                "resulted_by",
                "released_by",
                "cancelled_by",
                "appointment__practitioner__user",
                "appointment__room",
                "consultation__appointment",
                "admission",
            )
            .prefetch_related(
                Prefetch("exam__analytes", queryset=analytes),
                Prefetch("values", queryset=ResultValue.objects.select_related("analyte")),
                "attachments",
                Prefetch("events", queryset=OrderEvent.objects.select_related("by").order_by("at", "id")),
            )
            .get(pk=pk)
        )
    except ExamOrder.DoesNotExist as error:
        raise Http404 from error


# The chart ---------------------------------------------------------------------------------------


@dataclass
class Trend:
    """The released values of one numeric analyte over time, oldest first, for a line chart."""

    analyte: Analyte
    points: list[tuple[datetime, Decimal, str]]
    low: Decimal | None
    high: Decimal | None

    @property
    def series(self) -> list[tuple[datetime, float]]:
        return [(at, float(value)) for at, value, _flag in self.points]

    @property
    def band(self) -> tuple[float | None, float | None]:
        return (
            float(self.low) if self.low is not None else None,
            float(self.high) if self.high is not None else None,
        )

    @property
    def latest(self) -> tuple[datetime, Decimal, str]:
        return self.points[-1]


@dataclass
class ResultsPanel:
    """The chart's results: the latest orders (released ones with ``released_values``) and the trends."""

    orders: list[ExamOrder]
    trends: list[Trend] = field(default_factory=list)
    more: bool = False


def _trends(patient: Patient, user: User) -> list[Trend]:
    """One trend per numeric analyte with two or more released values; one query however long the history.

    Each trend keeps the latest ``TREND_POINTS`` values (a window function numbers them per analyte
    in the database) and the reference of the latest one.
    """
    latest_first = Window(
        RowNumber(), partition_by=[F("analyte_id")], order_by=[F("order__collected_at").desc(), F("id").desc()]
    )
    released = ResultValue.objects.filter(patient=patient, order__status=OrderStatus.RELEASED, number__isnull=False)
    rows = (
        in_chart(released, user, field="order__clinic")
        .select_related("analyte")
        .annotate(collected_at=F("order__collected_at"), recency=latest_first)
        .filter(recency__lte=TREND_POINTS)
        .order_by("analyte__exam_id", "analyte__position", "analyte_id", "collected_at", "id")
    )
    grouped: dict[int, list[ResultValue]] = defaultdict(list)
    for row in rows:
        grouped[row.analyte_id].append(row)
    trends = []
    for values in grouped.values():
        if len(values) < 2:
            continue
        last = values[-1]
        trends.append(
            Trend(
                analyte=last.analyte,
                points=[(value.collected_at, value.number, value.flag) for value in values],  # type: ignore[attr-defined,misc]
                low=last.reference_low,
                high=last.reference_high,
            )
        )
    return trends


def patient_results(*, patient: Patient, user: User, limit_orders: int = 30) -> ResultsPanel:
    """The chart's results panel as ``user`` reads it (every clinic's orders for clinical roles, their
    own clinics' for the lab and others: clinic/access.py): the latest orders, any status, newest
    first, each with ``opens`` (its page is in one of the user's clinics), and the trends of the
    same orders' released values.

    Three queries whatever the history: the orders, their released values, the trend points.
    """
    orders = list(
        in_chart(ExamOrder.objects.filter(patient=patient), user)
        .select_related("exam", "clinic", "ordered_by")
        .prefetch_related(_released_values())
        .order_by("-ordered_at", "-id")[: limit_orders + 1]
    )
    for order in orders:
        order.opens = works_in(user, order.clinic_id)  # type: ignore[attr-defined]
    return ResultsPanel(orders=orders[:limit_orders], trends=_trends(patient, user), more=len(orders) > limit_orders)


def _linked(orders: QuerySet[ExamOrder]) -> list[ExamOrder]:
    return list(
        orders.select_related("exam", "ordered_by", "unit")
        .prefetch_related(_released_values())
        .order_by("-ordered_at", "-id")
    )


def consultation_orders(consultation: Consultation) -> list[ExamOrder]:
    """The orders made during a consultation, newest first, released ones with their values."""
    return _linked(ExamOrder.objects.filter(consultation=consultation))


def admission_orders(admission: Admission) -> list[ExamOrder]:
    """The orders made for an admission, newest first, released ones with their values."""
    return _linked(ExamOrder.objects.filter(admission=admission))
