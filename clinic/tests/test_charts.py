"""The server-drawn line chart: points where the values say, the normal band, flagged points marked."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import translation

from clinic.charts import line_chart

START = datetime(2026, 3, 1, 12, tzinfo=UTC)


def _circles(svg: str) -> list[tuple[float, float, str]]:
    return [
        (float(x), float(y), fill)
        for x, y, fill in re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)" r="\d" fill="(#[0-9a-f]+)"', svg)
    ]


def test_points_run_left_to_right_in_time_and_upward_with_the_value() -> None:
    svg = line_chart(
        [(START, 10.0), (START + timedelta(days=1), 14.0), (START + timedelta(days=3), 12.0)], width=320, height=120
    )
    (x1, y1, _), (x2, y2, _), (x3, y3, _) = _circles(svg)
    assert x1 < x2 < x3
    # Time scale: the third point is three times as far from the first as the second.
    assert abs((x3 - x1) - 3 * (x2 - x1)) < 0.5
    assert y2 < y3 < y1  # higher value, higher on the page (smaller y)
    assert 'role="img"' in svg


def test_the_band_and_the_flagged_points_are_drawn() -> None:
    svg = line_chart(
        [(START, 9.0), (START + timedelta(days=1), 13.0)],
        band=(12.0, 16.0),
        flagged=[True, False],
        label="Hemoglobina",
        unit="g/dL",
    )
    assert 'class="chart-band"' in svg
    (_, _, first), (_, _, second) = _circles(svg)
    assert first == "#dc3545" and second == "#0d6efd"
    assert 'aria-label="Hemoglobina"' in svg
    assert "g/dL</title>" in svg


def test_labels_are_escaped_and_no_points_draw_nothing() -> None:
    svg = line_chart([(START, 1.0)], label='<script>"x"</script>')
    assert "<script>" not in svg
    assert line_chart([]) == ""


def _axis_labels(svg: str) -> list[tuple[float, str]]:
    """The tick labels on the value axis: where each ends (they are right-aligned) and its text."""
    return [
        (float(x), text)
        for x, text in re.findall(
            r'<text x="([\d.]+)" y="[\d.]+" font-size="10" text-anchor="end"[^>]*>([^<]*)</text>', svg
        )
    ]


# A character of a sans-serif font at font-size 10 is at most 6.5 px wide (DejaVu Sans digits: 6.36).
CHARACTER = 6.5


@pytest.mark.parametrize(
    ("language", "top", "bottom", "point"),
    [("pt-br", "450.000", "150.000", "450.000 /mm³"), ("en", "450,000", "150,000", "450,000 /mm³")],
)
def test_six_digit_axis_labels_are_grouped_and_drawn_whole_inside_the_chart(
    language: str, top: str, bottom: str, point: str
) -> None:
    platelets = [(START, 150000.0), (START + timedelta(days=1), 310000.0), (START + timedelta(days=2), 450000.0)]
    with translation.override(language):
        svg = line_chart(platelets, band=(150000.0, 450000.0), unit="/mm³")
    labels = _axis_labels(svg)
    assert [text for _end, text in labels] == [top, bottom]
    view_left = float(re.search(r'viewBox="(-?[\d.]+) ', svg).group(1))  # type: ignore[union-attr]
    for end, text in labels:
        assert end - len(text) * CHARACTER >= view_left, f"{text} is cut at the left edge"
    first_point = _circles(svg)[0][0]
    assert all(end < first_point for end, _text in labels)  # the labels do not run into the line
    assert f"{point}</title>" in svg


def test_short_labels_keep_the_narrow_margin() -> None:
    svg = line_chart([(START, 36.5), (START + timedelta(days=1), 38.2)], band=(35.5, 37.7))
    assert [end for end, _text in _axis_labels(svg)] == [30.0, 30.0]
