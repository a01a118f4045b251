"""``GET /dashboard``: the finance reports as one read-only page of charts and tables.

Shown: the Checkout Management App's four components (``revenue-by-month``,
``new-subscribers-by-month``, ``plan-by-unit``, ``status-by-month``), ``mrr-by-month`` and
``reconciliation`` (from the ledger's last-seen copies; a page load never calls Salesforce
or Stripe). Every figure comes from the report's own ``build`` with the default range, and
each table holds the values ``crm-connector report NAME --format json`` prints for the same
ledger (its first :data:`MAX_ROWS` rows). Charts are inline SVG laid out by
:mod:`connector.ops.svg`; the page has no script and loads nothing from elsewhere, so it
works offline. Each load reads the ledger afresh.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from sqlalchemy.orm import Session, sessionmaker

from connector.clock import Clock
from connector.ops.svg import SvgChart, layout
from connector.reports import REPORTS, ReportQuery, ReportSpec, json_rows
from connector.reports.charts import panels

SHOWN = ("revenue-by-month", "new-subscribers-by-month", "plan-by-unit", "status-by-month",
         "mrr-by-month", "reconciliation")
TEMPLATE = "dashboard.html.j2"
NOTHING = "-"
MAX_ROWS = 200
"""Rows a table shows; the rest are for ``report NAME`` (a ledger with thousands of
reconciliation differences would otherwise make a page of megabytes)."""


@dataclass(frozen=True)
class Section:
    """One report on the page.

    Attributes:
        name: the report's name (the section's id, and what ``report NAME`` takes).
        description: its one-line description.
        columns: the table's header.
        cells: the table's first :data:`MAX_ROWS` rows, each value as text (``-`` for
            nothing).
        total: how many rows the report has.
        charts: one chart per panel (per currency); none for a report without a chart.
        differences: for a report that checks something, whether it found a problem.
    """

    name: str
    description: str
    columns: tuple[str, ...]
    cells: list[list[str]]
    total: int
    charts: list[SvgChart]
    differences: bool | None


def section(spec: ReportSpec, session: Session, query: ReportQuery) -> Section:
    """The section of the report ``spec`` for ``query``."""
    rows = spec.build(session, query)
    values = json_rows(spec.columns, rows)
    charts = [] if spec.chart is None else [
        layout(spec.chart, panel_rows, f"{spec.chart.title} ({name})" if name
               else spec.chart.title)
        for name, panel_rows in panels(spec.chart, rows).items()]
    return Section(spec.name, spec.description, spec.columns,
                   [[_cell(row[key]) for key in spec.columns] for row in values[:MAX_ROWS]],
                   len(values), charts, None if spec.differs is None else spec.differs(rows))


def _cell(value: Any) -> str:
    return NOTHING if value is None else str(value)


class Dashboard:
    """Renders the page from the ledger.

    Args:
        sessions: the ledger.
        clock: the daemon's clock (the reports' current month).
    """

    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock
        self._templates = Environment(
            loader=FileSystemLoader(Path(__file__).parent),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)

    def page(self) -> str:
        """The whole HTML page, every report read now.

        Raises:
            sqlalchemy.exc.SQLAlchemyError: the ledger cannot be read.
        """
        now = self._clock.now()
        with self._sessions() as session:
            query = ReportQuery(now=now)
            sections = [section(REPORTS[name], session, query) for name in SHOWN]
        return self._templates.get_template(TEMPLATE).render(
            sections=sections, generated=_moment(now))


def _moment(now: datetime) -> str:
    return now.strftime("%Y-%m-%d %H:%M:%S UTC")
