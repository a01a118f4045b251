"""A report drawn as the shapes of an inline SVG chart, for the dashboard.

The dashboard is served by the daemon's base install, where matplotlib (the ``[reports]``
extra behind ``--chart``) is not installed, so charts are laid out here from the same
series ``--chart`` draws (:func:`connector.reports.charts.series_of`): grouped bars,
stacked bars or a line, one panel per currency. The shapes are plain numbers and text;
the page template writes them as SVG elements and escapes every text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from connector.reports.charts import Series, series_of
from connector.reports.spec import Chart, Row

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 28, 64
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1",
           "#9c755f")


@dataclass(frozen=True)
class Rect:
    """A bar: its box, its colour and the tooltip (``title``) it shows."""

    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


@dataclass(frozen=True)
class Label:
    """A text at ``(x, y)``; ``rotate`` degrees around that point."""

    x: float
    y: float
    text: str
    anchor: str = "middle"
    rotate: int = 0


@dataclass(frozen=True)
class Line:
    """A series drawn as a polyline through ``points``, each marked with a dot."""

    points: list[tuple[float, float]]
    colour: str
    name: str

    @property
    def path(self) -> str:
        """``points`` as an SVG ``points`` attribute."""
        return " ".join(f"{x},{y}" for x, y in self.points)


@dataclass(frozen=True)
class SvgChart:
    """Everything the template draws for one panel of one report."""

    title: str
    width: int = WIDTH
    height: int = HEIGHT
    bars: list[Rect] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    legend: list[tuple[str, str]] = field(default_factory=list)
    baseline: float = HEIGHT - BOTTOM
    empty: bool = False


@dataclass(frozen=True)
class _Scale:
    low: float
    high: float

    def y(self, value: float) -> float:
        span = (self.high - self.low) or 1.0
        return round(TOP + (self.high - value) / span * (HEIGHT - TOP - BOTTOM), 2)


def layout(chart: Chart, rows: Sequence[Row], title: str) -> SvgChart:
    """The shapes of ``rows`` drawn as ``chart`` (a "no data" panel when there are none)."""
    labels, series = series_of(chart, rows)
    if not labels:
        return SvgChart(title, labels=[Label(WIDTH / 2, HEIGHT / 2, "no data")], empty=True)
    scale = _scale(series, stacked=chart.kind == "stacked")
    step = (WIDTH - LEFT - RIGHT) / len(labels)
    colours = {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(series)}
    shapes = SvgChart(title, legend=list(colours.items()) if len(series) > 1 else [],
                      baseline=scale.y(0), labels=_axis_labels(labels, step, scale))
    if chart.kind == "line":
        shapes.lines.extend(_lines(labels, series, step, scale, colours))
    else:
        shapes.bars.extend(_bars(labels, series, step, scale, colours,
                                 stacked=chart.kind == "stacked"))
    return shapes


def _scale(series: Series, *, stacked: bool) -> _Scale:
    if stacked:
        columns = list(zip(*series.values(), strict=True))
        values = [sum(v for v in column if v > 0) for column in columns]
        values += [sum(v for v in column if v < 0) for column in columns]
    else:
        values = [v for values in series.values() for v in values]
    low, high = min(0.0, *values), max(0.0, *values)
    return _Scale(low, high if high > low else low + 1.0)


def _axis_labels(labels: list[str], step: float, scale: _Scale) -> list[Label]:
    rotate = -40 if len(labels) > 6 else 0
    found = [Label(LEFT - 6, scale.y(scale.high) + 4, _number(scale.high), "end"),
             Label(LEFT - 6, scale.y(0) + 4, "0", "end")]
    if scale.low < 0 and scale.y(scale.low) - scale.y(0) > 12:
        found.append(Label(LEFT - 6, scale.y(scale.low) + 4, _number(scale.low), "end"))
    for index, text in enumerate(labels):
        x = LEFT + step * (index + 0.5)
        found.append(Label(x, HEIGHT - BOTTOM + 16, text, "end" if rotate else "middle",
                           rotate))
    return found


def _bars(labels: list[str], series: Series, step: float, scale: _Scale,
          colours: dict[str, str], *, stacked: bool) -> list[Rect]:
    width = step * 0.8 / (1 if stacked else len(series))
    bars: list[Rect] = []
    for index, label in enumerate(labels):
        left, up, down = LEFT + step * (index + 0.1), 0.0, 0.0
        for position, (name, values) in enumerate(series.items()):
            value = values[index]
            if stacked:
                start = up if value >= 0 else down
                up, down = (up + value, down) if value >= 0 else (up, down + value)
                x = left
            else:
                start, x = 0.0, left + width * position
            top, bottom = sorted((scale.y(start + value), scale.y(start)))
            bars.append(Rect(round(x, 2), top, round(width, 2), round(bottom - top, 2),
                             colours[name], f"{label} {name}: {_number(value)}"))
    return bars


def _lines(labels: list[str], series: Series, step: float, scale: _Scale,
           colours: dict[str, str]) -> list[Line]:
    return [Line([(round(LEFT + step * (i + 0.5), 2), scale.y(v)) for i, v in enumerate(values)],
                 colours[name], name)
            for name, values in series.items()]


def _number(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")
