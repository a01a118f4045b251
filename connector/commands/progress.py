"""The terminal's progress bar for long Salesforce reads (``backfill``, first large syncs).

Drawn by ``rich`` on stderr, only when stderr is a terminal: records read of the expected
total, records per second and time left. Piped or under systemd it draws nothing (the log
line of each read says the same).
"""

from __future__ import annotations

import sys
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from connector.salesforce.progress import SILENT, ProgressBar


class _RecordsPerSecond(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} records/s")


class _Bar:
    def __init__(self, progress: Progress, task: TaskID) -> None:
        self._progress, self._task = progress, task

    def advance(self, records: int) -> None:
        self._progress.advance(self._task, records)

    def close(self) -> None:
        self._progress.stop()


class TerminalProgress:
    """A :class:`~connector.salesforce.progress.ReadProgress` drawing rich bars.

    Args:
        every_read: draw a bar for every read (``backfill``), not only Bulk API reads.
        stream: where to draw (stderr by default); nothing is drawn unless it is a terminal.
    """

    def __init__(self, *, every_read: bool = False, stream: TextIO | None = None) -> None:
        self._every_read = every_read
        self._console = Console(file=stream or sys.stderr)

    def start(self, sobject: str, total: int, *, bulk: bool) -> ProgressBar:
        """A bar for this read, or one that draws nothing when it is not wanted."""
        if not self._console.is_terminal or total <= 0 or not (bulk or self._every_read):
            return SILENT
        progress = Progress(
            TextColumn(f"reading {sobject}" + (" (Bulk API)" if bulk else "")),
            BarColumn(), MofNCompleteColumn(), _RecordsPerSecond(), TimeRemainingColumn(),
            console=self._console, transient=False)
        task = progress.add_task(sobject, total=total)
        progress.start()
        return _Bar(progress, task)
