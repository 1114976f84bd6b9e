"""The emergency door's pages: the queue, arrival, the triage form with its live suggestion, routing,
a visit, the doctor's emergency queue and the chart's vital-signs panel.

Views parse, call a service or selector, and render; every page is scoped to the user's clinics.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from clinic.access import chosen_clinic
from clinic.charts import line_chart
from clinic.http import AuthenticatedRequest, client_ip, form_errors_from, url_for_pk, user_agent
from clinic.models import Clinic
from patients.models import ChartAccess, Patient, RiskColour
from patients.selectors import patient_allergies, patient_for_user, patient_search_ids, patients_in_order
from patients.services import chart_access_record
from scheduling.consultation_selectors import appointment_for_consultation
from triage import rules, selectors, services
from triage.forms import (
    AdmissionRouteForm,
    ArrivalForm,
    ArrivalSearchForm,
    AssessmentForm,
    ConsultationRouteForm,
    DestinationForm,
    DischargeRouteForm,
    ExamsRouteForm,
    LeftForm,
    WalkInForm,
    suggestion_input,
    vital_label,
)
from triage.models import Assessment, Destination, Visit, VisitStatus

# How often the queues ask for fresh data, in seconds.
QUEUE_REFRESH_SECONDS = 15
# The clinic a user last chose, so the queue and the arrival page open on it.
SESSION_CLINIC = "triage_clinic"
# An arrival search shows at most this many patients; more means "type more".
ARRIVAL_SEARCH_LIMIT = 20


def _clinic(request: AuthenticatedRequest) -> tuple[Clinic, list[Clinic]]:
    """The clinic named by ?clinic= (or chosen before in this session) among the user's, or the first."""
    chosen, clinics = chosen_clinic(request.user, request.GET.get("clinic") or request.POST.get("clinic") or "")
    if not clinics:
        raise Http404(_("You are not attached to any clinic."))
    if chosen is None:
        remembered = request.session.get(SESSION_CLINIC)
        chosen = next((c for c in clinics if c.pk == remembered), clinics[0])
    if request.session.get(SESSION_CLINIC) != chosen.pk:
        request.session[SESSION_CLINIC] = chosen.pk
    return chosen, clinics


def _queue_url(clinic_id: int) -> str:
    return f"{reverse('triage:queue')}?clinic={clinic_id}"


def _report(request: AuthenticatedRequest, error: ValidationError) -> None:
    for text in error.messages:
        messages.error(request, text)


def _colour_label(colour: str) -> str:
    return str(RiskColour(colour).label)


# The queue -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    """One line of the queue as the page shows it, worked out in Python once per page.

    Every open queue asks for the table every 15 s: translating each row's texts, asking each visit
    for ``get_risk_display`` (which translates every colour), checking permissions and reversing
    each link in the template made the refresh cost twice what it does.
    """

    line: selectors.QueueLine
    arrived: str  # "14:05", in the clinic's time zone
    minutes: int
    waited: str  # "12 min", or with the colour's target for those waiting for the doctor
    age: int
    risk: str
    visit_url: str
    start_url: str
    assess_url: str
    route_url: str
    left_url: str
    left_question: str


def _queue_rows(waiting: selectors.Queue) -> tuple[list[QueueRow], list[QueueRow]]:
    """The rows of those waiting for triage and of those waiting for the doctor (with their colour's
    target time); times and ages in the clinic's time zone, as the queue shows them."""
    zone = waiting.clinic.zone
    today = timezone.localdate(waiting.now, zone)
    risks = {value: str(label) for value, label in RiskColour.choices}
    waited_only, waited_target = _("%(minutes)s min"), _("%(minutes)s min / target %(target)s")
    waited_immediate, question = _("%(minutes)s min / target immediate"), _("Did %(patient)s leave without being seen?")
    visit_url, start_url, assess_url, route_url, left_url = (
        url_for_pk(name) for name in ("triage:visit", "triage:start", "triage:assess", "triage:route", "triage:left")
    )

    def row(line: selectors.QueueLine, *, targets: bool) -> QueueRow:
        visit = line.visit
        minutes = int(line.waited.total_seconds() // 60)
        if not targets:
            waited = waited_only % {"minutes": minutes}
        elif visit.target_minutes:
            waited = waited_target % {"minutes": minutes, "target": visit.target_minutes}
        else:
            waited = waited_immediate % {"minutes": minutes}
        return QueueRow(
            line=line,
            arrived=timezone.localtime(visit.arrived_at, zone).strftime("%H:%M"),
            minutes=minutes,
            waited=waited,
            age=visit.patient.age(on=today),
            risk=risks.get(visit.risk, visit.risk),
            visit_url=visit_url(visit.pk),
            start_url=start_url(visit.pk),
            assess_url=assess_url(visit.pk),
            route_url=route_url(visit.pk),
            left_url=left_url(visit.pk),
            left_question=question % {"patient": visit.patient.display_name},
        )

    return (
        [row(line, targets=False) for line in waiting.waiting_triage],
        [row(line, targets=True) for line in waiting.waiting_doctor],
    )


@login_required
@permission_required("triage.view_visit", raise_exception=True)
def queue(request: AuthenticatedRequest) -> HttpResponse:
    """Who waits for triage, and who waits for the doctor by risk then arrival; it refreshes itself."""
    clinic, clinics = _clinic(request)
    now = timezone.now()
    waiting = selectors.triage_queue(clinic=clinic, now=now)
    triage_rows, doctor_rows = _queue_rows(waiting)
    user = request.user
    context = {
        "clinic": clinic,
        "clinics": clinics,
        "queue": waiting,
        "waiting_triage": [(row.line, row.minutes) for row in triage_rows],
        "waiting_doctor": [(row.line, row.minutes) for row in doctor_rows],
        "triage_rows": triage_rows,
        "doctor_rows": doctor_rows,
        "may_open_visit": user.has_perms(["patients.view_patient", "triage.view_assessment"]),
        "may_triage": user.has_perm("triage.triage_visit"),
        "may_route": user.has_perm("triage.route_visit"),
        "colour_counts": [(value, label, waiting.counts.get(value, 0)) for value, label in RiskColour.choices],
        "refresh_seconds": QUEUE_REFRESH_SECONDS,
        "now": now,
    }
    template = "triage/queue.html#queue-table" if request.htmx else "triage/queue.html"  # type: ignore[attr-defined]
    return render(request, template, context)


# Arrival ---------------------------------------------------------------------------------------


@login_required
@permission_required("triage.add_visit", raise_exception=True)
def arrive(request: AuthenticatedRequest) -> HttpResponse:
    """A walk-in at the door: find them in the registry, or register the little that is known."""
    clinic, clinics = _clinic(request)
    search = ArrivalSearchForm(request.GET or None)
    is_walk_in = request.POST.get("form") == "walk_in"
    walk_in = WalkInForm(request.POST if is_walk_in else None)
    refused = False
    if request.method == "POST":
        try:
            visit = _walk_in(request, clinic, walk_in) if is_walk_in else _existing(request, clinic)
        except ValidationError as error:
            if is_walk_in:
                form_errors_from(error, walk_in)
            else:
                _report(request, error)
            visit = None
        if visit is not None:
            messages.success(
                request, _("%(patient)s is in the queue for triage.") % {"patient": visit.patient.display_name}
            )
            return redirect(_queue_url(clinic.pk))
        refused = True
    patients: list[Patient] = []
    more = False
    if search.is_valid() and search.cleaned_data["q"]:
        ids, capped = patient_search_ids(text=search.cleaned_data["q"])
        patients = patients_in_order(ids[:ARRIVAL_SEARCH_LIMIT])
        more = capped or len(ids) > ARRIVAL_SEARCH_LIMIT
    context = {
        "clinic": clinic,
        "clinics": clinics,
        "search": search,
        "patients": patients,
        "more": more,
        "walk_in": walk_in,
        "can_open_chart": request.user.has_perm("patients.view_patient"),
    }
    return render(request, "triage/arrive.html", context, status=400 if refused else 200)


def _existing(request: AuthenticatedRequest, clinic: Clinic) -> Visit | None:
    form = ArrivalForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose the patient from the search results."))
        return None
    patient = patient_for_user(request.user, form.cleaned_data["patient"])
    return services.visit_arrive(clinic=clinic, patient=patient, by=request.user, note=form.cleaned_data["note"])


def _walk_in(request: AuthenticatedRequest, clinic: Clinic, form: WalkInForm) -> Visit | None:
    if not form.is_valid():
        return None
    return services.walk_in_register(clinic=clinic, by=request.user, **form.cleaned_data)


# A visit ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class VitalRow:
    """One measured vital sign of an assessment, as the pages show it: by its name with the unit, or
    (on a queue line or a card) by its abbreviation, with the name as its title."""

    label: str
    value: int | Decimal
    flag: str  # "", "low" or "high"
    short: str = ""
    unit: str = ""


# How a line or a card names a vital sign in a few letters, and the unit written right after the value.
_VITAL_SHORT = {
    "systolic": (pgettext_lazy("vital sign, abbreviated", "SBP"), " mmHg"),
    "diastolic": (pgettext_lazy("vital sign, abbreviated", "DBP"), " mmHg"),
    "heart_rate": (pgettext_lazy("vital sign, abbreviated", "HR"), " bpm"),
    "respiratory_rate": (pgettext_lazy("vital sign, abbreviated", "RR"), "/min"),
    "temperature": (pgettext_lazy("vital sign, abbreviated", "Temp."), " °C"),
    "spo2": (pgettext_lazy("vital sign, abbreviated", "SpO2"), " %"),
    "glucose": (pgettext_lazy("vital sign, abbreviated", "Glucose"), " mg/dL"),
    "pain": (pgettext_lazy("vital sign, abbreviated", "Pain"), "/10"),
    "glasgow": (pgettext_lazy("vital sign, abbreviated", "GCS"), ""),
}


def vital_rows(assessment: Assessment) -> list[VitalRow]:
    flags = dict(flag.split(":", 1) for flag in assessment.flags)
    rows = []
    for name in rules.VITAL_FIELDS:
        value = getattr(assessment, name)
        if value is not None:
            short, unit = _VITAL_SHORT[name]
            rows.append(VitalRow(vital_label(name), value, flags.get(name, ""), str(short), unit))
    return rows


def sign_labels(assessment: Assessment) -> list[str]:
    return [
        str(rules.DISCRIMINATOR_BY_CODE[code].label)
        for code in assessment.discriminators
        if code in rules.DISCRIMINATOR_BY_CODE
    ]


def _log_chart_view(request: AuthenticatedRequest, patient: Patient) -> None:
    """Pages with a patient's complaint and vital signs are part of the chart: each view is logged."""
    chart_access_record(
        user=request.user,
        patient=patient,
        action=ChartAccess.Action.VIEW_CHART,
        ip_address=client_ip(request),
        user_agent=user_agent(request),
    )


@login_required
@permission_required(["triage.view_assessment", "patients.view_patient"], raise_exception=True)
def visit_page(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """A visit's times, every assessment, and where the patient went.

    It is part of the patient's record, so it also needs the right to open patients (as the chart does).
    """
    visit = selectors.visit_for_user(request.user, pk)
    _log_chart_view(request, visit.patient)
    assessments = [(a, vital_rows(a), sign_labels(a)) for a in visit.assessments.all()]
    context = {
        "visit": visit,
        "patient": visit.patient,
        "allergies": patient_allergies(request.user, visit.patient),
        "assessments": assessments,
        "exam_orders": list(visit.exam_orders.all()),
        "left_form": LeftForm(),
    }
    return render(request, "triage/visit.html", context)


@login_required
@permission_required("triage.triage_visit", raise_exception=True)
@require_POST
def start(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    visit = selectors.visit_for_user(request.user, pk)
    try:
        services.triage_start(visit=visit, by=request.user)
    except ValidationError as error:
        _report(request, error)
        return redirect(_queue_url(visit.clinic_id))
    return redirect("triage:assess", pk=visit.pk)


@login_required
@permission_required("triage.triage_visit", raise_exception=True)
@require_POST
def left(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    visit = selectors.visit_for_user(request.user, pk)
    form = LeftForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError([text for texts in form.errors.values() for text in texts])
        services.visit_left(visit=visit, by=request.user, note=form.cleaned_data["note"])
    except ValidationError as error:
        _report(request, error)
    else:
        messages.success(request, _("%(patient)s left without being seen.") % {"patient": visit.patient.display_name})
    target = _queue_url(visit.clinic_id)
    if request.htmx:  # type: ignore[attr-defined]
        # Asked from the refreshing queue: the whole page reloads, with the message.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    return redirect(target)


# The assessment --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    colour: str
    label: str
    reasons: list[rules.Reason]


def _suggestion(vitals: dict[str, int | Decimal | None], signs: list[str]) -> Suggestion:
    colour, reasons = rules.suggest(vitals, signs)
    return Suggestion(colour, _colour_label(colour), reasons)


def _latest(visit: Visit) -> Assessment | None:
    """The visit's latest assessment (they are loaded oldest first)."""
    assessments = list(visit.assessments.all())
    return assessments[-1] if assessments else None


def _assess_context(
    request: AuthenticatedRequest, visit: Visit, form: AssessmentForm, suggestion: Suggestion
) -> dict[str, Any]:
    latest = _latest(visit)
    return {
        "visit": visit,
        "patient": visit.patient,
        "allergies": patient_allergies(request.user, visit.patient),
        "form": form,
        "vital_fields": [form[name] for name in rules.VITAL_FIELDS],
        "suggestion": suggestion,
        "colours": RiskColour.choices,
        "picked": form["risk"].value() or suggestion.colour,
        "latest": latest,
        "latest_rows": vital_rows(latest) if latest else [],
        "latest_signs": sign_labels(latest) if latest else [],
    }


@login_required
@permission_required("triage.triage_visit", raise_exception=True)
def assess(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The triage form (first triage or re-triage): complaint, vital signs, signs, the colour and why."""
    visit = selectors.visit_for_user(request.user, pk)
    if request.method == "POST":
        form = AssessmentForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.assessment_record(
                    visit=visit,
                    by=request.user,
                    complaint=data["complaint"],
                    vitals=form.vitals(),
                    signs=data["signs"],
                    risk=data["risk"],
                    override_reason=data["override_reason"],
                    started_at=_started_at(visit, data["started_at"]),
                )
            except ValidationError as error:
                form_errors_from(error, form)
            else:
                return _after_assessment(request, visit)
        vitals, signs = suggestion_input(request.POST)
        suggestion = _suggestion(vitals, signs)
        _log_chart_view(request, visit.patient)
        return render(request, "triage/assess.html", _assess_context(request, visit, form, suggestion), status=400)
    latest = _latest(visit)
    suggestion = _suggestion({}, [])
    initial = {
        "complaint": latest.complaint if latest else visit.arrival_note,
        "risk": suggestion.colour,
        "started_at": timezone.now(),
    }
    _log_chart_view(request, visit.patient)
    return render(
        request, "triage/assess.html", _assess_context(request, visit, AssessmentForm(initial=initial), suggestion)
    )


def _started_at(visit: Visit, opened: datetime | None) -> datetime | None:
    """When the form was opened, if that is a moment of this visit (the field comes from the page)."""
    if opened is None or not visit.arrived_at <= opened <= timezone.now():
        return None
    return opened


def _after_assessment(request: AuthenticatedRequest, visit: Visit) -> HttpResponse:
    visit.refresh_from_db()
    messages.success(
        request,
        _("%(patient)s classified %(colour)s.")
        % {"patient": visit.patient.display_name, "colour": visit.get_risk_display()},
    )
    if visit.status == VisitStatus.CLASSIFIED and request.user.has_perm("triage.route_visit"):
        return redirect("triage:route", pk=visit.pk)
    return redirect(_queue_url(visit.clinic_id))


@login_required
@permission_required("triage.triage_visit", raise_exception=True)
@require_POST
def suggest(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The live suggestion while the form is filled in: the colour and its reasons; nothing is stored.

    The final colour follows the suggestion until the nurse picks another one.
    """
    selectors.visit_for_user(request.user, pk)  # only a visit of the user's clinics has a triage form
    vitals, signs = suggestion_input(request.POST)
    suggestion = _suggestion(vitals, signs)
    picked, shown = request.POST.get("risk", ""), request.POST.get("shown_suggestion", "")
    keep = picked in RiskColour.values and picked != shown
    context = {
        "suggestion": suggestion,
        "colours": RiskColour.choices,
        "picked": picked if keep else suggestion.colour,
        "oob": True,
    }
    return render(request, "triage/_suggestion.html", context)


# Routing ---------------------------------------------------------------------------------------


def _route_forms(visit: Visit, data: Any = None, destination: str = "") -> dict[str, BaseForm]:
    def bound(name: str) -> Any:
        return data if destination == name else None

    return {
        "consultation": ConsultationRouteForm(
            bound(Destination.CONSULTATION),
            on_duty=selectors.doctors_on_duty(clinic=visit.clinic),
            others=selectors.doctors_of(visit.clinic),
            clinic=visit.clinic,
            prefix="consultation",
        ),
        "exams": ExamsRouteForm(bound(Destination.EXAMS), prefix="exams"),
        "admission": AdmissionRouteForm(bound(Destination.ADMISSION), prefix="admission"),
        "discharged": DischargeRouteForm(bound(Destination.DISCHARGED), prefix="discharge"),
    }


def _route_to(request: AuthenticatedRequest, visit: Visit, destination: str, form: BaseForm) -> Visit:
    data = form.cleaned_data
    if destination == Destination.CONSULTATION:
        return services.route_consultation(
            visit=visit,
            practitioner=data["practitioner"],
            specialty=data["specialty"],
            room=data["room"],
            by=request.user,
            note=data["note"],
        )
    if destination == Destination.EXAMS:
        return services.route_exams(
            visit=visit,
            exams=list(data["exams"]),
            by=request.user,
            priority=data["priority"],
            indication=data["indication"],
        )
    if destination == Destination.ADMISSION:
        return services.route_admission(visit=visit, by=request.user, **data)
    return services.route_discharge(visit=visit, by=request.user, note=data["note"])


_ROUTE_TABS = [
    (Destination.CONSULTATION.value, gettext_lazy("Consultation")),
    (Destination.EXAMS.value, gettext_lazy("Exams")),
    (Destination.ADMISSION.value, gettext_lazy("Admission")),
    (Destination.DISCHARGED.value, gettext_lazy("Discharge")),
]
# The services name the doctor and the specialty apart; the form picks both with one choice.
_ROUTE_FIELD_ALIASES = {"practitioner": "doctor", "specialty": "doctor"}


def _onto_route_fields(error: ValidationError) -> ValidationError:
    if not hasattr(error, "error_dict"):
        return error
    merged: dict[str, list[ValidationError]] = {}
    for name, errors in error.error_dict.items():
        merged.setdefault(_ROUTE_FIELD_ALIASES.get(name, name), []).extend(errors)
    return ValidationError(merged)


_ROUTED: dict[str, Any] = {
    Destination.CONSULTATION: gettext_lazy("%(patient)s waits for the doctor."),
    Destination.EXAMS: gettext_lazy("Exams ordered for %(patient)s."),
    Destination.ADMISSION: gettext_lazy("A bed is requested for %(patient)s."),
    Destination.DISCHARGED: gettext_lazy("%(patient)s is discharged from the emergency door."),
}


@login_required
@permission_required("triage.route_visit", raise_exception=True)
def route(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """Where a classified patient goes: a doctor, exams, a bed, or home."""
    visit = selectors.visit_for_user(request.user, pk)
    destination = ""
    if request.method == "POST":
        picked = DestinationForm(request.POST)
        destination = picked.cleaned_data["destination"] if picked.is_valid() else ""
        if not destination:
            messages.error(request, _("Choose where the patient goes."))
    forms = _route_forms(visit, request.POST or None, destination)
    if destination:
        form = forms[destination]
        if form.is_valid():
            try:
                routed = _route_to(request, visit, destination, form)
            except ValidationError as error:
                form_errors_from(_onto_route_fields(error), form)
            else:
                messages.success(request, str(_ROUTED[destination]) % {"patient": visit.patient.display_name})
                if (
                    destination == Destination.ADMISSION
                    and routed.admission_id
                    and request.user.has_perm("beds.view_admission")
                ):
                    return redirect("beds:admission", pk=routed.admission_id)
                return redirect(_queue_url(visit.clinic_id))
    _log_chart_view(request, visit.patient)
    context = {
        "visit": visit,
        "patient": visit.patient,
        "allergies": patient_allergies(request.user, visit.patient),
        "forms": forms,
        "destinations": _ROUTE_TABS,
        "latest": _latest(visit),
        "routable": visit.in_queue and visit.status == VisitStatus.CLASSIFIED,
        "active": destination or Destination.CONSULTATION,
    }
    return render(request, "triage/route.html", context, status=400 if request.method == "POST" else 200)


# The doctor's queue ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DoctorRow:
    """One walk-in of a doctor's queue: what the triage found (the latest assessment's vital signs with
    their flags), worked out once per refresh."""

    line: selectors.QueueLine
    minutes: int
    vitals: list[VitalRow]


@login_required
@permission_required("scheduling.change_consultation", raise_exception=True)
def doctor_queue(request: AuthenticatedRequest) -> HttpResponse:
    """A doctor's urgent patients from the emergency door, by risk then arrival, each with the triage's
    colour, complaint, latest vital signs and the nurse's note for the doctor; it refreshes itself.

    An account with the permission but no practitioner record sees why the list is empty.
    """
    practitioner = getattr(request.user, "practitioner", None)
    lines = selectors.doctor_queue(practitioner=practitioner) if practitioner is not None else []
    rows = [
        DoctorRow(
            line=line,
            minutes=int(line.waited.total_seconds() // 60),
            vitals=vital_rows(line.assessment) if line.assessment else [],
        )
        for line in lines
    ]
    context = {
        "practitioner": practitioner,
        "rows": rows,
        "refresh_seconds": QUEUE_REFRESH_SECONDS,
    }
    template = "triage/doctor_queue.html#doctor-lines" if request.htmx else "triage/doctor_queue.html"  # type: ignore[attr-defined]
    return render(request, template, context)


# The consultation's triage card -----------------------------------------------------------------


@login_required
@permission_required("triage.view_assessment", raise_exception=True)
def panel_consultation(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The consultation page's triage card, for a consultation that came from the emergency door: the
    colour, the latest complaint and vital signs with their flags, the nurse's note for the doctor, and
    the visit's page for those who may open it. Nothing (an empty answer) for any other consultation.
    """
    appointment = appointment_for_consultation(request.user, pk)
    triage = selectors.consultation_triage(user=request.user, appointment=appointment)
    if triage is None:
        return HttpResponse("")
    visit, assessment = triage.visit, triage.assessment
    may_open_visit = request.user.has_perms(["triage.view_visit", "triage.view_assessment", "patients.view_patient"])
    context = {
        "visit": visit,
        "assessment": assessment,
        "rows": vital_rows(assessment) if assessment else [],
        "signs": sign_labels(assessment) if assessment else [],
        "zone": appointment.clinic.time_zone,
        "visit_url": reverse("triage:visit", args=[visit.pk]) if may_open_visit else "",
    }
    return render(request, "triage/consultation_panel.html", context)


# The chart's panel -----------------------------------------------------------------------------


@dataclass(frozen=True)
class VitalChart:
    label: str
    svg: str


@login_required
@permission_required("triage.view_assessment", raise_exception=True)
def panel_vitals(request: AuthenticatedRequest, pk: int) -> HttpResponse:
    """The chart's triage panel: every assessment (latest first) and a chart per vital sign measured twice or more."""
    patient = patient_for_user(request.user, pk)
    panel = selectors.patient_vitals(patient=patient, user=request.user)
    charts = []
    for series in panel.series:
        if len(series.points) < 2:
            continue
        low, high = series.normal
        label = vital_label(series.field)
        svg = line_chart(
            series.points,
            band=series.normal,
            flagged=[not low <= value <= high for _moment, value in series.points],
            label=label,
        )
        charts.append(VitalChart(label, svg))
    context = {
        "patient": patient,
        "assessments": [(a, vital_rows(a), sign_labels(a)) for a in panel.assessments],
        "charts": charts,
    }
    return render(request, "triage/vitals_panel.html", context)
