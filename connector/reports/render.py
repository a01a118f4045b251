"""A report's rows as a table (rich on a terminal, plain when piped), CSV or JSON.

Every format has the report's columns in order. CSV and JSON write money as decimal strings
in major units (``1234.50``; JPY ``1200``), nothing as an empty cell / ``null``; the table
shows nothing as ``-``. An empty report is its header alone (``[]`` in JSON).
"""

from __future__ import annotations

import csv
import sys
from collections.abc import Sequence
from typing import Any, TextIO

from connector.commands.output import Table, plain, print_json
from connector.reports.spec import Row

FORMATS = ("table", "csv", "json")


def render(columns: Sequence[str], rows: Sequence[Row], output: str,
           stream: TextIO | None = None) -> None:
    """Print ``rows`` under ``columns`` in ``output`` (``table``, ``csv`` or ``json``)."""
    out = stream or sys.stdout
    if output == "json":
        print_json(json_rows(columns, rows), out)
    elif output == "csv":
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(key) is None else plain(row.get(key))
                             for key in columns])
    else:
        Table(list(columns), [[row.get(key) for key in columns] for row in rows]).print(out)


def json_rows(columns: Sequence[str], rows: Sequence[Row]) -> list[dict[str, Any]]:
    """``rows`` as ``--format json`` prints them: the columns in order, money as decimal
    strings, moments in ISO 8601 (the dashboard's tables show the same values)."""
    return [{key: plain(row.get(key)) for key in columns} for row in rows]
