"""The occupancy report: the page (form, totals, chart, daily table) and its downloads.

The page shows numbers and dates in the reader's language (pt-BR by default, with a comma as the
decimal mark). The CSV download follows the reader's language for its column names, decimals and
separator (";" where decimals take a comma, as spreadsheets there expect) and keeps ISO dates, which
every program reads. The XLSX holds real numbers and dates; the PDF follows the language.

Both views need the ``reports.view_occupancy_report`` permission, and the clinics and wards offered
and accepted are the reader's own (``clinics_for_user``). Bad parameters never reach the report: the
page shows the form with its errors; a download answers 400 with the same page.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone

from clinic.http import AuthenticatedRequest
from reports.exports import EXPORTS, occupancy_chart
from reports.forms import OccupancyReportForm
from reports.occupancy import OccupancyReport, occupancy_report

PERMISSION = "reports.view_occupancy_report"


def _report(form: OccupancyReportForm) -> OccupancyReport:
    """The report the valid ``form`` asks for."""
    clinics, ward = form.scope()
    return occupancy_report(start=form.cleaned_data["start"], end=form.cleaned_data["end"], clinics=clinics, ward=ward)


def _download_query(form: OccupancyReportForm) -> str:
    """The valid form's parameters, for the download links."""
    data = form.cleaned_data
    return urlencode(
        {
            "start": data["start"].isoformat(),
            "end": data["end"].isoformat(),
            "clinic": data["clinic"].pk if data["clinic"] else "",
            "ward": data["ward"].pk if data["ward"] else "",
        }
    )


@login_required
@permission_required(PERMISSION, raise_exception=True)
def occupancy(request: AuthenticatedRequest) -> HttpResponse:
    """Without parameters the page shows the last 30 days of all the reader's clinics."""
    data = request.GET or OccupancyReportForm.default_period(timezone.localdate())
    form = OccupancyReportForm(data, user=request.user)
    context: dict[str, object] = {"form": form}
    if form.is_valid():
        report = _report(form)
        context |= {
            "report": report,
            "chart": occupancy_chart(report),
            "scope": form.scope_label(),
            "download_query": _download_query(form),
        }
    return render(request, "reports/occupancy.html", context)


@login_required
@permission_required(PERMISSION, raise_exception=True)
def occupancy_download(request: AuthenticatedRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
    """The report as ``fmt`` (csv, xlsx or pdf), for the same parameters as the page."""
    export = EXPORTS.get(fmt)
    if export is None:
        raise Http404
    form = OccupancyReportForm(request.GET, user=request.user)
    if not form.is_valid():
        return render(request, "reports/occupancy.html", {"form": form, "download_failed": True}, status=400)
    return export(_report(form), scope=form.scope_label())
