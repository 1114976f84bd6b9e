"""The exam pages: the lab's worklist, the orders list, an order with its results, ordering,
scheduling, results entry and release, attachments, and the panels of the chart, the consultation
and the admission. Views parse, call a selector or service, and render; the services decide.

An order belongs to a clinic: it is found only by users of that clinic. A result not yet released
is seen only by the lab (holders of ``exams.enter_result``); everyone else reads "In progress".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from beds.models import Admission, AdmissionStatus
from beds.selectors import admission_for_user
from clinic.access import clinics_for_user
from clinic.charts import line_chart
from clinic.http import AuthenticatedRequest, client_ip, form_errors_from, safe_next, url_for_pk, user_agent
from clinic.models import Clinic
from exams import selectors, services
from exams.forms import (
    CancelForm,
    ExamOrderForm,
    OrderFilterForm,
    ResultsForm,
    ScheduleForm,
    ScheduleStartForm,
    WorklistFilterForm,
    unit_field,
    value_field,
)
from exams.models import (
    ExamKind,
    ExamOrder,
    OrderOrigin,
    OrderPriority,
    OrderStatus,
)
from exams.ranges import range_for
from messaging.selectors import notifications_for
from patients.models import ChartAccess, Patient, Sex
from patients.selectors import patient_allergies, patient_for_user
from patients.services import chart_access_record
from scheduling import selectors as scheduling_selectors
from scheduling.consultation_selectors import appointment_for_consultation, consultation_of
from scheduling.models import Appointment, Consultation
from scheduling.services import SlotTaken
from scheduling.views.booking import describe_slots
from staff.models import CareUnit, User

# How often an open worklist refreshes itself, in seconds.
WORKLIST_REFRESH_SECONDS = 30
# The worklist lists this many orders at most, the most urgent; it says how many more there are.
WORKLIST_LINES = 100
# The unit of the worklist last shown to this user, so the lab lands on its own bench.
SESSION_UNIT = "exams.worklist_unit"
# Free times offered for an exam that needs a booked time.
SCHEDULE_DAYS = 14
SCHEDULE_LIMIT = 60


def _back(request: AuthenticatedRequest, order: ExamOrder) -> HttpResponse:
    """Where a step on an order returns: the page it was taken from (the worklist), else the order."""
    return redirect(safe_next(request, request.POST.get("next", "")) or reverse("exams:order", args=[order.pk]))


def _report(request: AuthenticatedRequest, error: ValidationError) -> None:
    for text in error.messages:
        messages.error(request, text)


def _unread_order_ids(user: User) -> set[int]:
    """Orders whose released result ``user`` was told of and has not opened yet."""
    order_type = ContentType.objects.get_for_model(ExamOrder)
    return {
        note.object_id
        for note in notifications_for(user)
        if note.read_at is None and note.content_type_id == order_type.pk and note.object_id is not None
    }


# The worklist ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorklistLine:
    """One row of the worklist, worked out in Python once per page.

    A worklist has up to a hundred rows (it had hundreds): asking each order for its
    ``get_<field>_display`` (which translates every choice of the field), reversing each link and
    translating each label in the template made the page cost half a second. Labels come from dicts
    built once per page, links from one reverse per kind of link (``url_for_pk``).
    """

    order: ExamOrder
    due: datetime
    overdue: bool
    priority: str
    status: str
    age: str
    sex: str
    url: str
    schedule_url: str
    collect_url: str
    results_url: str
    release_url: str


def _worklist_lines(orders: list[ExamOrder], unit: CareUnit, now: datetime) -> list[WorklistLine]:
    """The rows of ``orders``, the patients' ages as of today in the unit's clinic (whose times the page shows)."""
    priorities = {value: str(label) for value, label in OrderPriority.choices}
    statuses = {value: str(label) for value, label in OrderStatus.choices}
    sexes = {value: str(label) for value, label in Sex.choices}
    order_url, schedule_url, collect_url, results_url, release_url = (
        url_for_pk(name)
        for name in (
            "exams:order",
            "exams:order-schedule",
            "exams:order-collect",
            "exams:order-results",
            "exams:order-release",
        )
    )
    today = timezone.localdate(now, unit.clinic.zone)
    ages: dict[int, str] = {}
    lines = []
    for order in orders:
        patient = order.patient
        years = patient.age(on=today)
        if years not in ages:
            ages[years] = ngettext("%(years)s year", "%(years)s years", years) % {"years": years}
        due = order.due_at()
        lines.append(
            WorklistLine(
                order=order,
                due=due,
                overdue=due < now,
                priority=priorities.get(order.priority, order.priority),
                status=statuses.get(order.status, order.status),
                age=ages[years],
                sex=sexes.get(patient.sex, patient.sex),
                url=order_url(order.pk),
                schedule_url=schedule_url(order.pk),
                collect_url=collect_url(order.pk),
                results_url=results_url(order.pk),
                release_url=release_url(order.pk),
            )
        )
    return lines


def _first_bench(units: list[CareUnit]) -> CareUnit | None:
    """The unit a worklist opens on when none is chosen or remembered: the first laboratory, where most
    of the work is, else the first imaging unit (``units`` come by clinic, then name)."""
    laboratories = (unit for unit in units if unit.kind == CareUnit.Kind.LABORATORY)
    return next(laboratories, units[0] if units else None)


@login_required
@permission_required("exams.enter_result", raise_exception=True)
def worklist(request: AuthenticatedRequest) -> HttpResponse:
    """A lab or imaging unit's open orders, most urgent first; it refreshes itself.

    It lists ``WORKLIST_LINES`` orders at most and says how many more there are (counted only then).
    """
    units = selectors.units_for(request.user)
    form = WorklistFilterForm(request.GET or None, units=units)
    filters: dict[str, Any] = form.cleaned_data if form.is_bound and form.is_valid() else {}
    remembered = next((unit for unit in units if unit.pk == request.session.get(SESSION_UNIT)), None)
    unit = filters.get("unit") or remembered or _first_bench(units)
    status = filters.get("status", "")
    now = timezone.now()
    orders: list[ExamOrder] = []
    lines: list[WorklistLine] = []
    total = 0
    if unit is not None:
        request.session[SESSION_UNIT] = unit.pk
        statuses = [status] if status else None
        orders = selectors.worklist(unit=unit, statuses=statuses, limit=WORKLIST_LINES + 1)
        total = len(orders)
        if total > WORKLIST_LINES:
            orders = orders[:WORKLIST_LINES]
            total = selectors.worklist_count(unit=unit, statuses=statuses)
        lines = _worklist_lines(orders, unit, now)
    user = request.user
    context = {
        "form": form,
        "units": units,
        "unit": unit,
        "status": status,
        "orders": orders,
        "lines": lines,
        "total": total,
        "more": total - len(orders),
        "may_change": user.has_perm("exams.change_examorder"),
        "may_release": user.has_perm("exams.release_result"),
        "now": now,
        "refresh_seconds": WORKLIST_REFRESH_SECONDS,
        "cancel_form": CancelForm(),
        "here": request.get_full_path(),
    }
    template = "exams/worklist.html#lines" if request.htmx else "exams/worklist.html"  # type: ignore[attr-defined]
    return render(request, template, context)


# The orders list ------------------------------------------------------------------------------------


@login_required
@permission_required("exams.view_examorder", raise_exception=True)
def order_list(request: AuthenticatedRequest) -> HttpResponse:
    """Orders of the user's clinics; whoever orders exams starts with their own."""
    data: Any = request.GET or None
    if data is None and request.user.has_perm("exams.add_examorder"):
        data = {"mine": "on"}
    form = OrderFilterForm(data)
    filters: dict[str, Any] = form.cleaned_data if form.is_bound and form.is_valid() else {}
    patient = patient_for_user(request.user, filters["patient"]) if filters.get("patient") else None
    orders = selectors.orders_for(
        user=request.user, patient=patient, status=filters.get("status") or None, mine=filters.get("mine", False)
    )
    context = {
        "form": form,
        "orders": orders,
        "patient": patient,
        "unseen": _unread_order_ids(request.user),
        "sees_unreleased": selectors.sees_unreleased(request.user),
    }
    return render(request, "exams/order_list.html", context)


# One order ------------------------------------------------------------------------------------------


def _order_context(request: AuthenticatedRequest, order: ExamOrder) -> dict[str, Any]:
    user = request.user
    return {
        "order": order,
        "patient": order.patient,
        "shows_result": order.status == OrderStatus.RELEASED or selectors.sees_unreleased(user),
        "values": list(order.values.all()),
        "attachments": list(order.attachments.all()),
        "events": list(order.events.all()),
        "cancel_form": CancelForm(),
        "may_release": user.has_perm("exams.release_result") and order.resulted_by_id != user.pk,
    }


@login_required
@permission_required("exams.view_examorder", raise_exception=True)
def order_detail(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """An order with its story and, once readable by this user, its result. It is the patient's
    clinical data, so the view is written to the chart access log."""
    order = selectors.order_for_user(request.user, pk)
    chart_access_record(
        user=request.user,
        patient=order.patient,
        action=ChartAccess.Action.VIEW_CHART,
        ip_address=client_ip(request),
        user_agent=user_agent(request),
    )
    return render(request, "exams/order_detail.html", _order_context(request, order))


@dataclass
class _Origin:
    """Where an order is made from: what it links to, which clinic does it, where to go back."""

    kind: str
    back: str
    clinic: Clinic | None = None
    consultation: Consultation | None = None
    admission: Admission | None = None
    appointment: Appointment | None = None


def _origin(request: AuthenticatedRequest, patient: Patient) -> _Origin:
    """The consultation (?consultation=<appointment pk>) or admission (?admission=<pk>) the order comes
    from. Either must be the patient's, in the user's clinics, and under way; else the page is not found."""
    consultation_pk, admission_pk = request.GET.get("consultation", ""), request.GET.get("admission", "")
    if consultation_pk:
        if not consultation_pk.isdigit():
            raise Http404
        appointment = appointment_for_consultation(request.user, int(consultation_pk))
        consultation = consultation_of(appointment)
        if appointment.patient_id != patient.pk or consultation is None:
            raise Http404
        return _Origin(
            kind=OrderOrigin.CONSULTATION,
            back=reverse("scheduling:consultation", args=[appointment.pk]),
            clinic=appointment.clinic,
            consultation=consultation,
            appointment=appointment,
        )
    if admission_pk:
        if not admission_pk.isdigit():
            raise Http404
        admission = admission_for_user(request.user, int(admission_pk))
        if admission.patient_id != patient.pk or admission.status not in (
            AdmissionStatus.REQUESTED,
            AdmissionStatus.ADMITTED,
        ):
            raise Http404
        return _Origin(
            kind=OrderOrigin.ADMISSION,
            back=reverse("beds:admission", args=[admission.pk]),
            clinic=admission.clinic,
            admission=admission,
        )
    return _Origin(kind=OrderOrigin.CHART, back=reverse("patients:detail", args=[patient.pk]))


@login_required
@permission_required("exams.add_examorder", raise_exception=True)
def order_create(request: AuthenticatedRequest, patient_pk: int) -> HttpResponse:
    """Order an exam for a patient, from the chart, a consultation or an admission.

    Choosing an exam asks this page again through htmx (``?exam=``) for its preparation only.
    """
    patient = patient_for_user(request.user, patient_pk)
    origin = _origin(request, patient)
    clinics = clinics_for_user(request.user)
    initial = {"clinic": origin.clinic or clinics.order_by("name").first()}
    form = ExamOrderForm(
        request.POST or None,
        clinics=clinics,
        fixed_clinic=origin.clinic,
        preparation_url=request.path,
        initial=initial,
    )
    if request.htmx and request.method == "GET":  # type: ignore[attr-defined]
        try:
            chosen = form.fields["exam"].clean(request.GET.get("exam", ""))
        except ValidationError:
            chosen = None
        return render(request, "exams/order_form.html#preparation", {"chosen": chosen})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = services.order_create(
                patient=patient,
                exam=data["exam"],
                clinic=data["clinic"],
                by=request.user,
                priority=data["priority"],
                indication=data["indication"],
                origin=origin.kind,
                consultation=origin.consultation,
                admission=origin.admission,
            )
        except ValidationError as error:
            form_errors_from(error, form)
        else:
            messages.success(
                request,
                _("%(exam)s ordered for %(patient)s.") % {"exam": order.exam.name, "patient": patient.display_name},
            )
            if order.exam.needs_scheduling and request.user.has_perm("exams.change_examorder"):
                messages.info(request, _("This exam needs a booked time: book it from the order's page."))
            return redirect(safe_next(request, request.POST.get("next", "")) or origin.back)
    chosen = form.cleaned_data.get("exam") if form.is_bound and hasattr(form, "cleaned_data") else None
    context = {
        "form": form,
        "patient": patient,
        "allergies": patient_allergies(request.user, patient),
        "origin": origin,
        "chosen": chosen,
        "next": safe_next(request, request.POST.get("next") or request.GET.get("next", "")) or "",
    }
    return render(request, "exams/order_form.html", context, status=400 if form.errors else 200)


# Scheduling -----------------------------------------------------------------------------------------


def _slot_days(order: ExamOrder, slots: list[Any]) -> list[tuple[date, list[dict[str, Any]]]]:
    """The free times of the order's clinic, by local day."""
    days: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for item in describe_slots([slot for slot in slots if slot.clinic_id == order.clinic_id]):
        days[item["local"].date()].append(item)
    return sorted(days.items())


@login_required
@permission_required("exams.change_examorder", raise_exception=True)
def order_schedule(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Free times of the practitioners who perform the exam, in the order's clinic; POST books one."""
    order = selectors.order_for_user(request.user, pk)
    if not order.exam.needs_scheduling or order.status not in (OrderStatus.REQUESTED, OrderStatus.SCHEDULED):
        messages.error(request, _("This order has no time to book."))
        return redirect("exams:order", pk=order.pk)
    fresh = None
    if request.method == "POST":
        form = ScheduleForm(request.POST, practitioners=scheduling_selectors.practitioners_for_user(request.user))
        if not form.is_valid():
            messages.error(request, _("Choose a free time from the list."))
        else:
            try:
                services.order_schedule(
                    order=order,
                    practitioner=form.cleaned_data["practitioner"],
                    starts_at=form.cleaned_data["starts_at"],
                    by=request.user,
                )
            except SlotTaken as taken:
                messages.error(request, taken.messages[0])
                fresh = taken.fresh
            except ValidationError as error:
                _report(request, error)
            else:
                messages.success(request, _("The exam is booked."))
                return redirect("exams:order", pk=order.pk)
    start_form = ScheduleStartForm(request.GET)
    start = start_form.cleaned_data["start"] if start_form.is_valid() else None
    today = timezone.localdate()
    start = max(start or today, today)
    if fresh is None:
        fresh = scheduling_selectors.first_available(
            specialty=order.exam.specialty,  # type: ignore[arg-type]
            clinics=[order.clinic],
            start=start,
            days=SCHEDULE_DAYS,
            limit=SCHEDULE_LIMIT,
        )
    days = _slot_days(order, fresh)
    later = (days[-1][0] if days else start) + timedelta(days=1)
    context = {"order": order, "patient": order.patient, "days": days, "later": later}
    return render(request, "exams/order_schedule.html", context)


# Steps of the lab -----------------------------------------------------------------------------------


@login_required
@permission_required("exams.enter_result", raise_exception=True)
@require_POST
def order_collect(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    order = selectors.order_for_user(request.user, pk)
    try:
        services.order_collect(order=order, by=request.user)
    except ValidationError as error:
        _report(request, error)
    else:
        if order.exam.kind == ExamKind.IMAGING:
            messages.success(request, _("%(exam)s marked performed.") % {"exam": order.exam.name})
        else:
            messages.success(request, _("%(exam)s marked collected.") % {"exam": order.exam.name})
    return _back(request, order)


def _results_errors(error: ValidationError, form: ResultsForm) -> None:
    """The services' refusals next to the field they name (``value_<pk>``, ``unit_<pk>``, ``report``, the file)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for name, texts in error.message_dict.items():
        field = "attachment" if name == "file" else name
        form.add_error(field if field in form.fields else None, texts)


@login_required
@permission_required("exams.enter_result", raise_exception=True)
def order_results(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """One value per analyte (with its unit and the patient's reference interval), the report of an
    imaging exam and an attachment. Values and attachment are stored together or not at all."""
    order = selectors.order_for_user(request.user, pk)
    analytes = list(order.exam.analytes.all())
    stored = {value.analyte_id: value for value in order.values.all()}
    initial = {}
    for analyte_pk, value in stored.items():
        initial[value_field(analyte_pk)] = value.display
        initial[unit_field(analyte_pk)] = value.unit
    initial["report"] = order.report
    form = ResultsForm(
        request.POST or None,
        request.FILES or None,
        analytes=analytes,
        is_imaging=order.exam.kind == ExamKind.IMAGING,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():
                services.results_enter(
                    order=order, by=request.user, values=form.values(), report=form.cleaned_data.get("report", "")
                )
                if form.cleaned_data.get("attachment"):
                    services.attachment_add(order=order, uploaded=form.cleaned_data["attachment"], by=request.user)
        except ValidationError as error:
            _results_errors(error, form)
            order = selectors.order_for_user(request.user, pk)  # as stored: the refused step changed nothing
        else:
            messages.success(request, _("Results of %(exam)s saved.") % {"exam": order.exam.name})
            return _back(request, order)
    patient = order.patient
    judged_on = timezone.localdate(order.collected_at, order.clinic.zone) if order.collected_at else None
    age = patient.age(on=judged_on)
    rows = [
        {
            "analyte": analyte,
            "value": form[value_field(analyte.pk)],
            "unit": form[unit_field(analyte.pk)] if unit_field(analyte.pk) in form.fields else None,
            "reference": range_for(analyte.ranges.all(), sex=patient.sex, age_years=age),
        }
        for analyte in analytes
    ]
    context = {
        "order": order,
        "patient": patient,
        "form": form,
        "rows": rows,
        "can_enter": order.status in (OrderStatus.COLLECTED, OrderStatus.RESULTED),
        "age": age,
        "next": safe_next(request, request.POST.get("next") or request.GET.get("next", "")) or "",
    }
    return render(request, "exams/order_results.html", context, status=400 if form.errors else 200)


@login_required
@permission_required("exams.release_result", raise_exception=True)
@require_POST
def order_release(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    order = selectors.order_for_user(request.user, pk)
    try:
        services.result_release(order=order, by=request.user)
    except ValidationError as error:
        _report(request, error)
    else:
        messages.success(
            request,
            _("Result of %(exam)s released: the patient and the ordering doctor are told.") % {"exam": order.exam.name},
        )
    return _back(request, order)


@login_required
@permission_required("exams.change_examorder", raise_exception=True)
@require_POST
def order_cancel(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    order = selectors.order_for_user(request.user, pk)
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Say why the order is cancelled (200 characters at most)."))
        return _back(request, order)
    try:
        services.order_cancel(order=order, by=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        _report(request, error)
    else:
        messages.success(request, _("The order of %(exam)s is cancelled.") % {"exam": order.exam.name})
    return _back(request, order)


@login_required
@permission_required("exams.view_examorder", raise_exception=True)
def attachment_download(request: AuthenticatedRequest, pk: int) -> FileResponse:
    """The file, from private storage, to the users who may read the result; every download is logged."""
    attachment = selectors.attachment_for_user(request.user, pk)
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    chart_access_record(
        user=request.user,
        patient=attachment.order.patient,
        action=ChartAccess.Action.DOWNLOAD_DOCUMENT,
        ip_address=client_ip(request),
        user_agent=user_agent(request),
    )
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}.get(attachment.content_type, "bin")
    filename = f"exam-{attachment.order_id}-{attachment.pk}.{extension}"
    response = FileResponse(handle, as_attachment=True, filename=filename, content_type=attachment.content_type)
    response["Cache-Control"] = "private, no-store"
    return response


# Panels ---------------------------------------------------------------------------------------------


@login_required
@permission_required("exams.view_examorder", raise_exception=True)
def panel_results(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The chart's panel: the patient's orders, released values with their flags, and a trend chart
    for each analyte measured more than once."""
    patient = patient_for_user(request.user, pk)
    panel = selectors.patient_results(patient=patient, user=request.user)
    charts = [
        {
            "trend": trend,
            "svg": line_chart(
                trend.series,
                band=trend.band,
                flagged=[bool(flag) for _at, _value, flag in trend.points],
                label=_("%(analyte)s over time") % {"analyte": trend.analyte.name},
                unit=trend.analyte.unit,
            ),
        }
        for trend in panel.trends
    ]
    context = {"patient": patient, "orders": panel.orders, "more": panel.more, "charts": charts}
    return render(request, "exams/panel_results.html", context)


@login_required
@permission_required("exams.view_examorder", raise_exception=True)
def panel_consultation(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The consultation page's orders, and the button to order one once the consultation is under way."""
    appointment = appointment_for_consultation(request.user, pk)
    consultation = consultation_of(appointment)
    context = {
        "orders": selectors.consultation_orders(consultation) if consultation is not None else [],
        "zone": appointment.clinic.time_zone,
        "patient": appointment.patient,
        "order_query": f"consultation={appointment.pk}" if consultation is not None else "",
        "back": reverse("scheduling:consultation", args=[appointment.pk]),
        "waiting_for": _("Exams can be ordered once the consultation starts.") if consultation is None else "",
    }
    return render(request, "exams/panel_orders.html", context)


@login_required
@permission_required("exams.view_examorder", raise_exception=True)
def panel_admission(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The admission page's orders, and the button to order one while the admission is open."""
    admission = admission_for_user(request.user, pk)
    open_admission = admission.status in (AdmissionStatus.REQUESTED, AdmissionStatus.ADMITTED)
    context = {
        "orders": selectors.admission_orders(admission),
        "zone": admission.clinic.time_zone,
        "patient": admission.patient,
        "order_query": f"admission={admission.pk}" if open_admission else "",
        "back": reverse("beds:admission", args=[admission.pk]),
        "waiting_for": "",
    }
    return render(request, "exams/panel_orders.html", context)
