"""The dashboard's charts laid out from report rows: bars, stacked bars, lines, no data."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connector.ops.svg import BOTTOM, HEIGHT, TOP, layout
from connector.reports.spec import Chart

PLOT = HEIGHT - TOP - BOTTOM
BARS = Chart("bar", "month", ("revenue",), "Revenue")
ROWS = [{"month": "2026-01", "revenue": Decimal("1.00")},
        {"month": "2026-02", "revenue": Decimal("3.00")}]


def test_bars_stand_on_the_baseline_in_proportion() -> None:
    chart = layout(BARS, ROWS, "Revenue")

    first, second = chart.bars
    assert chart.baseline == HEIGHT - BOTTOM
    assert (first.y + first.height, second.y + second.height) == (chart.baseline,) * 2
    assert second.height == pytest.approx(PLOT)
    assert first.height == pytest.approx(PLOT / 3, abs=0.02)
    assert first.x < second.x
    assert [label.text for label in chart.labels if label.y > chart.baseline + 8] == [
        "2026-01", "2026-02"]
    assert (chart.legend, chart.empty) == ([], False)


def test_stacked_bars_sit_on_each_other_and_have_a_legend() -> None:
    chart = layout(Chart("stacked", "month", ("active", "canceled"), "Status"),
                   [{"month": "2026-05", "active": 3, "canceled": 1}], "Status")

    active, canceled = chart.bars
    assert active.x == canceled.x
    assert canceled.y + canceled.height == pytest.approx(active.y)
    assert active.height == pytest.approx(3 * canceled.height, abs=0.02)
    assert canceled.y == pytest.approx(TOP)
    assert [name for name, _ in chart.legend] == ["active", "canceled"]
    assert active.title == "2026-05 active: 3"


def test_a_line_goes_through_one_point_per_month() -> None:
    chart = layout(Chart("line", "month", ("revenue",), "MRR"), ROWS, "MRR")

    (line,) = chart.lines
    assert [y for _, y in line.points] == [pytest.approx(TOP + PLOT * 2 / 3, abs=0.02),
                                           pytest.approx(TOP)]
    assert line.path == " ".join(f"{x},{y}" for x, y in line.points)
    assert chart.bars == []


def test_a_negative_month_hangs_below_the_baseline() -> None:
    chart = layout(BARS, [{"month": "2026-05", "revenue": Decimal("-5.00")},
                          {"month": "2026-06", "revenue": Decimal("15.00")}], "Revenue")

    refund, paid = chart.bars
    assert refund.y == pytest.approx(chart.baseline)
    assert refund.y + refund.height == pytest.approx(HEIGHT - BOTTOM)
    assert paid.y + paid.height == pytest.approx(chart.baseline)
    assert paid.height == pytest.approx(3 * refund.height, abs=0.02)


def test_no_rows_is_a_no_data_panel() -> None:
    chart = layout(BARS, [], "Revenue")

    assert chart.empty
    assert (chart.bars, chart.lines) == ([], [])
    assert [label.text for label in chart.labels] == ["no data"]
