"""The occupancy report as a chart, and as CSV, XLSX and PDF downloads.

The CSV is opened by people in a spreadsheet and read by programs: column names and decimals in the
language of the request, dates in ISO form (YYYY-MM-DD, which every spreadsheet and program reads
whatever its locale). The XLSX holds real numbers and dates (the spreadsheet shows them in the
reader's locale). The PDF is for people: numbers and dates in the language of the request, the chart,
then the daily table. All three carry the same figures as the page, to the same two decimal places.

Names of clinics and wards are typed by administrators: in the CSV and XLSX they are written as text
that no spreadsheet runs as a formula, and in the PDF, whose core fonts are Latin-1, a character
outside it becomes a question mark.
"""

from __future__ import annotations

import csv
import io
import math
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.formats import date_format, get_format, number_format
from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.fonts import FontFace
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from reports.occupancy import OccupancyReport

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BAR_COLOUR = (13, 110, 253)  # Bootstrap's primary blue, as on the page
LINE_COLOUR = (214, 51, 132)  # Bootstrap's pink: tells apart from the bars without colour vision too (dashed)


def occupancy_filename(report: OccupancyReport, extension: str) -> str:
    return f"occupancy-{report.start.isoformat()}-{report.end.isoformat()}.{extension}"


def _attachment(response: HttpResponse | StreamingHttpResponse, filename: str) -> None:
    response["Content-Disposition"] = f'attachment; filename="{filename}"'


def _printable(value: str) -> str:
    """Without the control characters a spreadsheet file cannot hold."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def _csv_text(value: str) -> str:
    """A name for a CSV cell that a spreadsheet opening the file will not run as a formula."""
    value = _printable(value)
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


def summary_rows(report: OccupancyReport) -> list[tuple[str, int | Decimal | None]]:
    """The period's totals: (label in the request's language, value)."""
    return [
        (_("Patient-days"), report.patient_days),
        (_("Available bed-days"), report.available_bed_days),
        (_("Average available beds"), report.average_available_beds),
        (_("Occupancy rate (%)"), report.occupancy_rate),
        (_("Admissions"), report.admissions),
        (_("Discharges"), report.discharges),
        (_("Deaths"), report.deaths),
        (_("Average length of stay (days)"), report.average_length_of_stay),
        (_("Bed turnover"), report.bed_turnover),
    ]


def day_labels() -> list[str]:
    return [
        _("Date"),
        _("Census"),
        _("Available beds"),
        _("Occupancy rate (%)"),
        _("Admissions"),
        _("Discharges"),
        _("Deaths"),
    ]


# CSV -----------------------------------------------------------------------------------------------


class _Echo:
    """A file whose write returns what it is given, so csv.writer yields lines to stream."""

    def write(self, value: str) -> str:
        return value


def csv_delimiter() -> str:
    """The field separator for the request's language: ";" where decimals take a comma (pt-BR, es), as
    the spreadsheets of those locales expect (a comma would split every decimal number in two), else ","."""
    return ";" if get_format("DECIMAL_SEPARATOR") == "," else ","


def _csv_number(value: int | Decimal | None) -> str:
    """``value`` with the request's decimal mark and no thousands separator; empty when there is none."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f").replace(".", get_format("DECIMAL_SEPARATOR"))
    return str(value)


def occupancy_csv(report: OccupancyReport, *, scope: str) -> StreamingHttpResponse:
    """The daily table, a blank line, then the totals as (measure, value) lines.

    Column names, measures and decimals follow the request's language ("Taxa de ocupação (%)", "87,50"
    in pt-BR), and so does the separator (``csv_delimiter``): a pt-BR file is read back with
    ``csv.reader(file, delimiter=";")``. Dates are ISO (YYYY-MM-DD) in every language. The file starts
    with a byte order mark, by which Excel knows it is UTF-8 ("ocupação", not "ocupaÃ§Ã£o"); programs
    read it with the "utf-8-sig" encoding.
    """
    writer = csv.writer(_Echo(), delimiter=csv_delimiter())

    def lines() -> Iterator[str]:
        yield "\ufeff" + writer.writerow(day_labels())
        for day in report.days:
            yield writer.writerow(
                [
                    day.date.isoformat(),
                    day.census,
                    day.available_beds,
                    _csv_number(day.occupancy_rate),
                    day.admissions,
                    day.discharges,
                    day.deaths,
                ]
            )
        yield writer.writerow([])
        yield writer.writerow([_("Measure"), _("Value")])
        yield writer.writerow([_("Scope"), _csv_text(scope)])
        yield writer.writerow([_("From"), report.start.isoformat()])
        yield writer.writerow([_("To"), report.end.isoformat()])
        for label, value in summary_rows(report):
            yield writer.writerow([label, _csv_number(value)])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    _attachment(response, occupancy_filename(report, "csv"))
    return response


# XLSX ----------------------------------------------------------------------------------------------


def occupancy_xlsx(report: OccupancyReport, *, scope: str) -> HttpResponse:
    """One sheet: title, scope and period, the totals, then the daily table (frozen under its header)."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None  # a new workbook has one sheet
    sheet.title = _("Occupancy")[:31]
    bold = Font(bold=True)
    sheet.append([_("Occupancy report")])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([_("Scope"), _printable(scope)])
    sheet["B2"].data_type = "s"  # text, even when it starts like a formula
    sheet.append([_("From"), report.start])
    sheet.append([_("To"), report.end])
    for row in (3, 4):
        sheet.cell(row=row, column=2).number_format = "yyyy-mm-dd"
    sheet.append([])
    for label, value in summary_rows(report):
        sheet.append([label, value])
        if isinstance(value, Decimal):
            sheet.cell(row=sheet.max_row, column=2).number_format = "0.00"
    sheet.append([])
    sheet.append(day_labels())
    header_row = sheet.max_row
    for cell in sheet[header_row]:
        cell.font = bold
    for day in report.days:
        sheet.append(
            [day.date, day.census, day.available_beds, day.occupancy_rate, day.admissions, day.discharges, day.deaths]
        )
        sheet.cell(row=sheet.max_row, column=1).number_format = "yyyy-mm-dd"
        sheet.cell(row=sheet.max_row, column=4).number_format = "0.00"
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    sheet.column_dimensions["A"].width = 34
    for column in "BCDEFG":
        sheet.column_dimensions[column].width = 16
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = HttpResponse(buffer.getvalue(), content_type=XLSX_TYPE)
    _attachment(response, occupancy_filename(report, "xlsx"))
    return response


# The chart -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    title: str


@dataclass(frozen=True)
class Tick:
    position: float
    label: str


@dataclass(frozen=True)
class Chart:
    """Daily census as bars and available beds as a step line, in the units of the drawing."""

    width: float
    height: float
    left: float
    top: float
    right: float
    bottom: float
    bars: list[Bar]
    line: list[tuple[float, float]]
    y_ticks: list[Tick]
    x_ticks: list[Tick]
    description: str

    @property
    def line_points(self) -> str:
        """The line for an SVG ``points`` attribute (a dot as the decimal mark, whatever the locale)."""
        return " ".join(f"{x:.2f},{y:.2f}" for x, y in self.line)


def _nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50... that is at least ``value`` (and at least 1)."""
    if value <= 1:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


def occupancy_chart(
    report: OccupancyReport,
    *,
    width: float = 800,
    height: float = 300,
    margins: tuple[float, float, float, float] = (16, 16, 44, 56),
) -> Chart:
    """Where the bars, the line and the axis labels go; ``margins`` are top, right, bottom, left."""
    top, right_margin, bottom_margin, left = margins
    right, bottom = width - right_margin, height - bottom_margin
    highest = max([d.census for d in report.days] + [d.available_beds for d in report.days] + [1])
    y_step = _nice_ceiling(math.ceil(highest / 4))
    y_max = y_step * math.ceil(highest / y_step)
    slot = (right - left) / len(report.days)
    gap = slot * 0.15 if slot > 4 else 0

    def y_of(value: int) -> float:
        return bottom - (bottom - top) * value / y_max

    bars, line = [], []
    for i, day in enumerate(report.days):
        x = left + i * slot
        bars.append(
            Bar(
                x=x + gap / 2,
                y=y_of(day.census),
                width=slot - gap,
                height=bottom - y_of(day.census),
                title=_("%(date)s: census %(census)d, available beds %(available)d")
                % {
                    "date": date_format(day.date, "SHORT_DATE_FORMAT"),
                    "census": day.census,
                    "available": day.available_beds,
                },
            )
        )
        line += [(x, y_of(day.available_beds)), (x + slot, y_of(day.available_beds))]
    every = math.ceil(len(report.days) / 7)
    x_ticks = [
        Tick(left + (i + 0.5) * slot, date_format(day.date, "SHORT_DATE_FORMAT"))
        for i, day in enumerate(report.days)
        if i % every == 0
    ]
    y_ticks = [Tick(y_of(value), str(value)) for value in range(0, y_max + 1, y_step)]
    peak = max(report.days, key=lambda d: d.census)
    description = _(
        "Daily census (bars) and available beds (line) from %(start)s to %(end)s; "
        "highest census %(peak)d on %(peak_date)s; occupancy rate of the period %(rate)s."
    ) % {
        "start": date_format(report.start, "SHORT_DATE_FORMAT"),
        "end": date_format(report.end, "SHORT_DATE_FORMAT"),
        "peak": peak.census,
        "peak_date": date_format(peak.date, "SHORT_DATE_FORMAT"),
        "rate": _percent(report.occupancy_rate),
    }
    return Chart(
        width=width,
        height=height,
        left=left,
        top=top,
        right=right,
        bottom=bottom,
        bars=bars,
        line=line,
        y_ticks=y_ticks,
        x_ticks=x_ticks,
        description=description,
    )


# PDF -----------------------------------------------------------------------------------------------


def _percent(value: Decimal | None) -> str:
    return "—" if value is None else f"{number_format(value, decimal_pos=2)} %"


def _number(value: int | Decimal | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return number_format(value, decimal_pos=2)
    return number_format(value)


# The PDF core fonts speak Latin-1; a few common typographic marks are written the Latin-1 way.
_LATIN1_FALLBACKS = str.maketrans(
    {"\u2014": "-", "\u2013": "-", "\u201c": '"', "\u201d": '"', "\u2018": "'", "\u2019": "'", "\u2026": "..."}
)


def _pdf_text(value: str) -> str:
    value = unicodedata.normalize("NFC", value).translate(_LATIN1_FALLBACKS)
    return value.encode("latin-1", "replace").decode("latin-1")


class _ReportPDF(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.set_text_color(108, 117, 125)
        self.cell(0, 8, f"{self.footer_text} · {self.page_no()}/{{nb}}", align="C")


def _table_colours(pdf: FPDF) -> None:
    """Light grey rules on white, whatever the chart left behind."""
    pdf.set_draw_color(173, 181, 189)
    pdf.set_fill_color(255, 255, 255)
    pdf.set_text_color(33, 37, 41)
    pdf.set_line_width(0.2)


def _draw_chart(pdf: FPDF, chart: Chart, *, x: float, y: float) -> None:
    """The page's chart at (x, y) in millimetres: the chart was laid out in millimetres already."""
    pdf.set_draw_color(108, 117, 125)
    pdf.set_line_width(0.2)
    pdf.set_font("Helvetica", size=7)
    pdf.set_text_color(33, 37, 41)
    for tick in chart.y_ticks:
        pdf.set_draw_color(222, 226, 230)
        pdf.line(x + chart.left, y + tick.position, x + chart.right, y + tick.position)
        pdf.set_xy(x, y + tick.position - 2)
        pdf.cell(chart.left - 2, 4, tick.label, align="R")
    pdf.set_fill_color(*BAR_COLOUR)
    for bar in chart.bars:
        if bar.height > 0:
            pdf.rect(x + bar.x, y + bar.y, bar.width, bar.height, style="F")
    pdf.set_draw_color(*LINE_COLOUR)
    pdf.set_line_width(0.6)
    with pdf.local_context(dash_pattern={"dash": 1.5, "gap": 0.8}):
        pdf.polyline([(x + px, y + py) for px, py in chart.line])
    pdf.set_draw_color(108, 117, 125)
    pdf.set_line_width(0.2)
    pdf.line(x + chart.left, y + chart.bottom, x + chart.right, y + chart.bottom)
    pdf.line(x + chart.left, y + chart.top, x + chart.left, y + chart.bottom)
    for tick in chart.x_ticks:
        pdf.set_xy(x + tick.position - 12, y + chart.bottom + 1)
        pdf.cell(24, 4, tick.label, align="C")
    legend_y = y + chart.height - 5
    pdf.set_fill_color(*BAR_COLOUR)
    pdf.rect(x + chart.left, legend_y, 4, 3, style="F")
    pdf.set_xy(x + chart.left + 5, legend_y - 0.5)
    pdf.cell(40, 4, _pdf_text(_("Census at midnight")))
    pdf.set_draw_color(*LINE_COLOUR)
    pdf.set_line_width(0.6)
    pdf.line(x + chart.left + 50, legend_y + 1.5, x + chart.left + 56, legend_y + 1.5)
    pdf.set_xy(x + chart.left + 57, legend_y - 0.5)
    pdf.cell(40, 4, _pdf_text(_("Available beds")))


def occupancy_pdf(report: OccupancyReport, *, scope: str) -> HttpResponse:
    """A4 landscape: title, scope and period, the totals, the chart, then the daily table."""
    title = _("Occupancy report")
    period = _("%(start)s to %(end)s") % {
        "start": date_format(report.start, "SHORT_DATE_FORMAT"),
        "end": date_format(report.end, "SHORT_DATE_FORMAT"),
    }
    pdf = _ReportPDF(orientation="landscape", format="A4")
    pdf.footer_text = _pdf_text(f"{title} · {scope} · {period}")
    pdf.set_title(_pdf_text(title))
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=16)
    pdf.cell(0, 9, _pdf_text(title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=11)
    pdf.cell(0, 6, _pdf_text(f"{scope} · {period}"), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("Helvetica", size=9)
    _table_colours(pdf)
    summary = summary_rows(report)
    with pdf.table(
        col_widths=(60, 30, 60, 30),
        text_align=("LEFT", "RIGHT", "LEFT", "RIGHT"),
        width=180,
        align="LEFT",
        first_row_as_headings=False,
    ) as table:
        for i in range(0, len(summary), 2):
            row = table.row()
            for label, value in summary[i : i + 2]:
                row.cell(_pdf_text(label))
                row.cell(_pdf_text(_number(value)))
    pdf.ln(3)
    chart = occupancy_chart(report, width=270, height=75, margins=(4, 4, 14, 14))
    chart_y = pdf.get_y()
    _draw_chart(pdf, chart, x=pdf.l_margin - 4, y=chart_y)
    pdf.set_y(chart_y + chart.height + 3)
    pdf.set_font("Helvetica", size=9)
    _table_colours(pdf)
    alignment = ("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT")
    with pdf.table(
        col_widths=(40, 30, 30, 35, 30, 30, 30),
        text_align=alignment,
        width=225,
        align="LEFT",
        headings_style=FontFace(emphasis="BOLD", fill_color=(233, 236, 239)),
        repeat_headings=1,
    ) as table:
        heading = table.row()
        for label in day_labels():
            heading.cell(_pdf_text(label))
        for day in report.days:
            row = table.row()
            row.cell(date_format(day.date, "SHORT_DATE_FORMAT"))
            for value in (day.census, day.available_beds, day.occupancy_rate, day.admissions, day.discharges):
                row.cell(_pdf_text(_number(value)))
            row.cell(_number(day.deaths))
    response = HttpResponse(bytes(pdf.output()), content_type="application/pdf")
    _attachment(response, occupancy_filename(report, "pdf"))
    return response


EXPORTS: dict[str, Callable[..., HttpResponse | StreamingHttpResponse]] = {
    "csv": occupancy_csv,
    "xlsx": occupancy_xlsx,
    "pdf": occupancy_pdf,
}
