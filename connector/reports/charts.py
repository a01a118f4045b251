"""``--chart FILE.png``: a report drawn with matplotlib's Agg backend (no display needed).

Monthly series are bars (grouped when a report splits them, by coupon for example),
``status-by-month`` and ``pipeline`` stacked bars, MRR a line. Money in different currencies
gets a panel per currency, each with its own scale. matplotlib is the optional
extra ``crm-connector[reports]``; without it ``--chart`` says how to install it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from connector.errors import ConfigError
from connector.reports.spec import Chart, Row

Series = dict[str, list[float]]
WIDTH_INCHES, HEIGHT_INCHES, DPI = 10, 5, 100


def series_of(chart: Chart, rows: Sequence[Row]) -> tuple[list[str], Series]:
    """The x labels in order and one list of values per series (0 where a row is missing).

    With ``chart.split`` each value of that column gets its own series per drawn column
    (``usd``, or ``usd revenue`` when more than one column is drawn).
    """
    labels: list[str] = []
    cells: dict[tuple[str, str], float] = {}
    names: list[str] = []
    for row in rows:
        x = str(row.get(chart.x) if row.get(chart.x) is not None else "-")
        if x not in labels:
            labels.append(x)
        for column in chart.series:
            name = _series_name(chart, row, column)
            if name not in names:
                names.append(name)
            cells[(name, x)] = cells.get((name, x), 0.0) + _number(row.get(column))
    return labels, {name: [cells.get((name, x), 0.0) for x in labels] for name in names}


def _series_name(chart: Chart, row: Row, column: str) -> str:
    if chart.split is None:
        return column
    part = str(row.get(chart.split) or "-")
    return part if len(chart.series) == 1 else f"{part} {column}"


def _number(value: Any) -> float:
    if isinstance(value, Decimal | int | float):
        return float(value)
    return 0.0


def draw_chart(chart: Chart, rows: Sequence[Row], path: Path) -> None:
    """Write ``rows`` drawn as ``chart`` to the PNG file ``path``.

    Raises:
        ConfigError: matplotlib is not installed, or ``path`` cannot be written.
    """
    figure = _figure()
    found = panels(chart, rows)
    for index, (name, panel_rows) in enumerate(found.items()):
        axes = figure.add_subplot(len(found), 1, index + 1)
        _draw(axes, chart, panel_rows)
        axes.set_title(f"{chart.title} ({name})" if name else chart.title)
    figure.tight_layout()
    try:
        figure.savefig(path, format="png")
    except OSError as exc:
        raise ConfigError([f"--chart {path}: cannot write it: {exc.strerror or exc}"]) from None


def panels(chart: Chart, rows: Sequence[Row]) -> dict[str, list[Row]]:
    """The rows of each panel, by the panel column's value ("" for a single panel)."""
    panels: dict[str, list[Row]] = {}
    for row in rows:
        key = str(row.get(chart.panel) or "-").upper() if chart.panel else ""
        panels.setdefault(key, []).append(row)
    return panels or {"": []}


def _draw(axes: Any, chart: Chart, rows: Sequence[Row]) -> None:
    labels, series = series_of(chart, rows)
    if not labels:
        axes.text(0.5, 0.5, "no data", ha="center", va="center", transform=axes.transAxes)
    elif chart.kind == "line":
        for name, values in series.items():
            axes.plot(labels, values, marker="o", label=name)
    else:
        _bars(axes, labels, series, stacked=chart.kind == "stacked")
    if labels and (len(series) > 1 or chart.split):
        axes.legend(loc="best")
    axes.set_xlabel(chart.x)
    axes.tick_params(axis="x", labelrotation=45)


def _bars(axes: Any, labels: list[str], series: Series, *, stacked: bool) -> None:
    positions = list(range(len(labels)))
    width = 0.8 if stacked else 0.8 / max(len(series), 1)
    bottoms = [0.0] * len(labels)
    for index, (name, values) in enumerate(series.items()):
        if stacked:
            axes.bar(positions, values, width, bottom=bottoms, label=name)
            bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
        else:
            shifted = [p - 0.4 + width * (index + 0.5) for p in positions]
            axes.bar(shifted, values, width, label=name)
    axes.set_xticks(positions, labels)


def _figure() -> Any:
    logging.getLogger("matplotlib").setLevel(logging.WARNING)  # its font cache notice
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
        from matplotlib.figure import Figure  # noqa: PLC0415
    except ImportError:
        raise ConfigError(["--chart needs matplotlib: pip install 'crm-connector[reports]'"]
                          ) from None
    figure = Figure(figsize=(WIDTH_INCHES, HEIGHT_INCHES), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure
