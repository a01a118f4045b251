"""The terminal's progress bar: drawn by rich on a terminal, nothing when piped."""

from __future__ import annotations

import io

from connector.commands.progress import TerminalProgress
from connector.salesforce.progress import SILENT


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_bulk_read_on_a_terminal_draws_records_of_the_total() -> None:
    screen = _Terminal()
    bar = TerminalProgress(stream=screen).start("Opportunity", 5000, bulk=True)
    bar.advance(2000)
    bar.advance(3000)
    bar.close()

    drawn = screen.getvalue()
    assert "reading Opportunity (Bulk API)" in drawn
    assert "5000/5000" in drawn
    assert "records/s" in drawn


def test_small_reads_draw_only_when_every_read_is_asked_for() -> None:
    screen = _Terminal()
    assert TerminalProgress(stream=screen).start("Opportunity", 10, bulk=False) is SILENT
    bar = TerminalProgress(every_read=True, stream=screen).start("Opportunity", 10, bulk=False)
    bar.advance(10)
    bar.close()
    assert "reading Opportunity" in screen.getvalue()


def test_nothing_is_drawn_when_piped() -> None:
    assert TerminalProgress(stream=io.StringIO()).start("Opportunity", 5000, bulk=True) is SILENT
