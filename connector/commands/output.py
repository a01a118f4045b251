"""How commands print: tables that fit a terminal, plain text for a pipe, JSON for a script.

On a terminal a table is drawn by ``rich``; piped or redirected it is plain text, one row per
line with columns separated by two spaces, so ``grep``/``awk`` work on it; ``--format json``
prints one JSON document. Values are shown as a person reads them (``1200.00``, not
``Decimal('1200.00')``; ``2026-11-23 09:00:02 UTC``; ``-`` for nothing), and as JSON
scalars in JSON (money and decimals as strings, times in ISO 8601).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TextIO

from rich.console import Console
from rich.table import Table as RichTable

NOTHING = "-"


def display(value: Any) -> str:
    """``value`` as text for a person."""
    if value is None or value == "":
        return NOTHING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Mapping | list | tuple):
        return json.dumps(plain(value), ensure_ascii=False)
    return str(value)


def plain(value: Any) -> Any:
    """``value`` made of JSON types: decimals as strings, times in ISO 8601."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    return value


def print_json(document: Any, stream: TextIO | None = None) -> None:
    """Print ``document`` as indented JSON."""
    print(json.dumps(plain(document), indent=2, ensure_ascii=False), file=stream or sys.stdout)


@dataclass(frozen=True)
class Table:
    """Rows under named columns; ``notes`` are printed under a row (a reason, a hint)."""

    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]
    notes: Sequence[str | None] = ()

    def print(self, stream: TextIO | None = None) -> None:
        """Draw it with rich on a terminal, else as plain aligned text."""
        out = stream or sys.stdout
        if out.isatty():
            self._rich(out)
        else:
            print("\n".join(self.plain_lines()), file=out)

    def plain_lines(self) -> list[str]:
        """The table as aligned text lines: a header, then each row and its note."""
        cells = [[display(v) for v in row] for row in self.rows]
        widths = [max([len(c)] + [len(r[i]) for r in cells])
                  for i, c in enumerate(self.columns)]
        lines = [_line(self.columns, widths)]
        for index, row in enumerate(cells):
            lines.append(_line(row, widths))
            note = self.notes[index] if index < len(self.notes) else None
            if note:
                lines.append(f"    {note}")
        return lines

    def _rich(self, out: TextIO) -> None:
        table = RichTable(*self.columns, show_lines=bool(self.notes))
        for index, row in enumerate(self.rows):
            cells = [display(v) for v in row]
            note = self.notes[index] if index < len(self.notes) else None
            if note:
                cells[-1] = f"{cells[-1]}\n[dim]{_escape(note)}[/dim]"
            table.add_row(*cells)
        Console(file=out).print(table)


def _line(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()


def _escape(text: str) -> str:
    return text.replace("[", r"\[")
