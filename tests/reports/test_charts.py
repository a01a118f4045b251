"""``--chart FILE.png``: the picture is a real PNG of the expected size with bars drawn."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from connector.reports.charts import DPI, HEIGHT_INCHES, WIDTH_INCHES

from .conftest import Report

WHITE = (255, 255, 255)


def _colours(path: Path) -> tuple[tuple[int, int], set[tuple[int, ...]]]:
    with Image.open(path) as image:
        assert image.format == "PNG"
        rgb = image.convert("RGB")
        return rgb.size, {c for _, c in rgb.getcolors(maxcolors=1 << 20) or []}


BLUE = (31, 119, 180)  # the first colour of matplotlib's default cycle


@pytest.mark.parametrize(("name", "least"), [
    ("revenue-by-month", 1),   # bars, a panel per currency
    ("status-by-month", 3),    # stacked: a colour per status
    ("mrr-by-month", 1),       # a line, a panel per currency
])
def test_a_chart_is_drawn(report: Report, tmp_path: Path, name: str, least: int) -> None:
    chart = tmp_path / f"{name}.png"

    ran = report(name, "--from", "2026-01", "--to", "2026-05", "--chart", str(chart))

    assert ran.code == 0, ran.err
    size, colours = _colours(chart)
    assert size == (WIDTH_INCHES * DPI, HEIGHT_INCHES * DPI)
    # matplotlib's default cycle: blue, orange, green, ... for the series
    cycle = {BLUE, (255, 127, 14), (44, 160, 44)}
    assert len(colours & cycle) >= least
    assert len(colours) > 20  # text, axes and antialiasing: not a blank page


def test_amounts_in_two_currencies_get_a_panel_each(report: Report, tmp_path: Path) -> None:
    chart = tmp_path / "revenue.png"

    report("revenue-by-month", "--from", "2026-01", "--to", "2026-05", "--chart", str(chart))

    with Image.open(chart) as image:
        rgb = image.convert("RGB")
        width, height = rgb.size
        top = rgb.crop((0, 0, width, height // 2)).getcolors(maxcolors=1 << 20) or []
        bottom = rgb.crop((0, height // 2, width, height)).getcolors(maxcolors=1 << 20) or []
    assert BLUE in {c for _, c in top}  # JPY's bars
    assert BLUE in {c for _, c in bottom}  # USD's bars, on their own scale


def test_an_empty_report_draws_a_chart_that_says_so(empty_report: Report,
                                                     tmp_path: Path) -> None:
    chart = tmp_path / "empty.png"

    ran = empty_report("revenue-by-month", "--chart", str(chart))

    assert ran.code == 0
    size, colours = _colours(chart)
    assert size == (WIDTH_INCHES * DPI, HEIGHT_INCHES * DPI)
    assert WHITE in colours
    assert len(colours) > 2


def test_an_unwritable_chart_path_is_one_line(report: Report, tmp_path: Path) -> None:
    ran = report("revenue-by-month", "--chart", str(tmp_path / "no" / "such" / "x.png"))

    assert ran.code == 2
    assert ran.err.count("\n") == 1
    assert "--chart" in ran.err
    assert "cannot write" in ran.err
