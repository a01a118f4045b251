"""Progress of long Salesforce reads, for whoever watches (a terminal's progress bar).

A reader tells a :class:`ReadProgress` when it starts reading an object (how many records it
expects, and whether it goes through Bulk API 2.0), then how many records have arrived. The
default reports nothing; the CLI's terminal bar is :mod:`connector.commands.progress`.
"""

from __future__ import annotations

from typing import Protocol


class ProgressBar(Protocol):
    """One read under way."""

    def advance(self, records: int) -> None:
        """``records`` more have been read."""

    def close(self) -> None:
        """The read is over (finished or cut short)."""


class ReadProgress(Protocol):
    """Where reads report their progress."""

    def start(self, sobject: str, total: int, *, bulk: bool) -> ProgressBar:
        """A read of about ``total`` records of ``sobject`` begins."""
        ...


class _Silent:
    def advance(self, records: int) -> None:
        del records

    def close(self) -> None:
        pass


class NoProgress:
    """Reports nothing (the daemon, tests)."""

    def start(self, sobject: str, total: int, *, bulk: bool) -> ProgressBar:
        """A bar that shows nothing."""
        del sobject, total, bulk
        return _Silent()


SILENT = _Silent()
NO_PROGRESS = NoProgress()
