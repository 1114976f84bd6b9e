"""The server-drawn line chart: points where the values say, the normal band, flagged points marked."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

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
