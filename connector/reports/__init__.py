"""Finance reports off the ledger (no API calls), their renderers and charts.

What others may import: :data:`REPORTS`, :func:`find`, :class:`ReportQuery`, :class:`Month`,
:func:`render`, :func:`json_rows` and :func:`draw_chart`.
"""

from __future__ import annotations

from connector.reports.charts import draw_chart
from connector.reports.period import Month, MonthError, ReportQuery
from connector.reports.registry import REPORTS, find, listing
from connector.reports.render import json_rows, render
from connector.reports.spec import Chart, ReportSpec, Row

__all__ = ["REPORTS", "Chart", "Month", "MonthError", "ReportQuery", "ReportSpec", "Row",
           "draw_chart", "find", "json_rows", "listing", "render"]
