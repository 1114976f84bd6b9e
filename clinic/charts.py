"""A small line chart drawn on the server as SVG: a series over time, with its normal band shaded.

Used for a patient's vital signs and for an analyte measured more than once. No JavaScript: the
chart is part of the page as sent, readable by screen readers (role="img" and a label) and each
point names its time and value in a <title> (a tooltip on hover).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime

from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

Point = tuple[datetime, float]

_PAD_RIGHT, _PAD_Y = 8, 10
# The axis labels (font-size 10) end 4 px left of the plot, and the left margin is as wide as the
# widest of them: each character counted as wide as a digit of the widest common sans-serif font
# (DejaVu Sans, 0.64 em), so a platelet count's "450.000" is not cut at the edge of the drawing.
_FONT_SIZE, _CHAR_WIDTH, _TICK_GAP, _MIN_PAD_LEFT = 10, 6.5, 4, 34


def line_chart(
    points: Sequence[Point],
    *,
    band: tuple[float | None, float | None] | None = None,
    flagged: Sequence[bool] | None = None,
    width: int = 320,
    height: int = 120,
    label: str = "",
    unit: str = "",
) -> SafeString:
    """The SVG of ``points`` (oldest first). ``band`` is the normal interval, either end open;
    ``flagged`` marks the points drawn as out of range (in red, larger)."""
    if not points:
        return SafeString("")
    values = [value for _, value in points]
    low_band, high_band = band or (None, None)
    limits = [v for v in (*values, low_band, high_band) if v is not None]
    lowest, highest = min(limits), max(limits)
    if highest == lowest:
        lowest, highest = lowest - 1, highest + 1
    margin = (highest - lowest) * 0.08
    lowest, highest = lowest - margin, highest + margin
    ticks = [(value, _number(value)) for value in (highest - margin, lowest + margin)]
    pad_left = max(_MIN_PAD_LEFT, math.ceil(max(len(text) for _, text in ticks) * _CHAR_WIDTH) + _TICK_GAP + 2)
    first, last = points[0][0], points[-1][0]
    span = (last - first).total_seconds() or 1.0
    inner_w, inner_h = width - pad_left - _PAD_RIGHT, height - 2 * _PAD_Y

    def x_of(moment: datetime) -> float:
        if len(points) == 1:
            return pad_left + inner_w / 2
        return pad_left + inner_w * (moment - first).total_seconds() / span

    def y_of(value: float) -> float:
        return _PAD_Y + inner_h * (highest - value) / (highest - lowest)

    parts = []
    if band is not None and (low_band is not None or high_band is not None):
        top = y_of(high_band if high_band is not None else highest)
        bottom = y_of(low_band if low_band is not None else lowest)
        parts.append(
            format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" class="chart-band" fill="#d1e7dd"/>',
                pad_left,
                f"{top:.1f}",
                inner_w,
                f"{max(bottom - top, 0.5):.1f}",
            )
        )
    for value, text in ticks:
        parts.append(
            format_html(
                '<text x="{}" y="{}" font-size="{}" text-anchor="end" fill="#6c757d">{}</text>',
                pad_left - _TICK_GAP,
                f"{y_of(value) + 3:.1f}",
                _FONT_SIZE,
                text,
            )
        )
    coordinates = " ".join(f"{x_of(moment):.1f},{y_of(value):.1f}" for moment, value in points)
    parts.append(format_html('<polyline points="{}" fill="none" stroke="#0d6efd" stroke-width="2"/>', coordinates))
    marks = flagged or [False] * len(points)
    parts.append(
        format_html_join(
            "",
            '<circle cx="{}" cy="{}" r="{}" fill="{}"><title>{} · {} {}</title></circle>',
            (
                (
                    f"{x_of(moment):.1f}",
                    f"{y_of(value):.1f}",
                    4 if mark else 3,
                    "#dc3545" if mark else "#0d6efd",
                    formats.date_format(timezone.localtime(moment), "SHORT_DATETIME_FORMAT"),
                    _number(value),
                    unit,
                )
                for (moment, value), mark in zip(points, marks, strict=False)
            ),
        )
    )
    return format_html(
        '<svg viewBox="0 0 {} {}" width="{}" height="{}" role="img" aria-label="{}" class="line-chart">{}</svg>',
        width,
        height,
        width,
        height,
        label,
        SafeString("".join(parts)),
    )


def _number(value: float) -> str:
    """The value as the reader writes it, thousands grouped: "12.500" in Portuguese, "12,500" in English."""
    return formats.number_format(round(value, 1), decimal_pos=1 if value != int(value) else 0, force_grouping=True)
