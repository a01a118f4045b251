"""What a report is: a name, a one-line description, its columns, how it is built and drawn.

A report's ``build`` reads the ledger only (no API calls) and returns rows: one dict per row
whose keys are the report's ``columns``. Values are ``str``, ``int``, ``Decimal`` (money in
major units, next to a ``currency`` key) or None; the renderers turn them into text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from sqlalchemy.orm import Session

from connector.reports.period import ReportQuery

Row = dict[str, Any]
ChartKind = Literal["bar", "stacked", "line"]


@dataclass(frozen=True)
class Chart:
    """How ``--chart`` draws a report.

    Attributes:
        kind: ``bar`` (grouped bars), ``stacked`` (stacked bars) or ``line``.
        x: the column along the horizontal axis (usually ``month``).
        series: the columns drawn as bars or lines.
        split: a column whose values get their own series (``stage``), or None.
        title: the chart's title.
        panel: a column whose values get their own panel with its own scale (``currency``:
            amounts in different currencies never share an axis), or None.
    """

    kind: ChartKind
    x: str
    series: tuple[str, ...]
    title: str
    split: str | None = None
    panel: str | None = None


@dataclass(frozen=True)
class ReportSpec:
    """One report of ``crm-connector report``.

    Attributes:
        name: what the user types (``revenue-by-month``).
        description: one line for ``report list``.
        columns: the row keys, in display order (the JSON contract).
        build: reads the ledger in ``session`` and returns the rows for the query.
        chart: how ``--chart`` draws it (None: it cannot be drawn).
        options: which of ``--from``/``--to``, ``--currency``, ``--account`` it honours.
        differs: given the rows, whether they report a problem (exit 1), e.g. reconciliation.
    """

    name: str
    description: str
    columns: tuple[str, ...]
    build: Callable[[Session, ReportQuery], list[Row]]
    chart: Chart | None = None
    options: frozenset[str] = field(default_factory=lambda: frozenset({"months"}))
    differs: Callable[[Sequence[Row]], bool] | None = None
