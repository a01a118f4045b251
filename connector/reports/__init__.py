"""Finance reports off the ledger (no API calls), their renderers and charts.

What others may import: :data:`REPORTS`, :func:`find`, :class:`ReportQuery`, :class:`Month`,
:func:`render` and :func:`draw_chart`.
"""

from __future__ import annotations

from connector.reports.charts import draw_chart
from connector.reports.period import Month, MonthError, ReportQuery
from connector.reports.registry import REPORTS, find, listing
from connector.reports.render import render
from connector.reports.spec import Chart, ReportSpec, Row

__all__ = ["REPORTS", "Chart", "Month", "MonthError", "ReportQuery", "ReportSpec", "Row",
           "draw_chart", "find", "listing", "render"]
