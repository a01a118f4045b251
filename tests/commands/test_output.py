"""How commands print values and tables: readable for a person, exact for a script."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal

from connector.commands.output import Table, display, plain, print_json


def test_values_read_as_a_person_writes_them() -> None:
    assert display(Decimal("1200.00")) == "1200.00"
    assert display(datetime(2026, 11, 23, 9, 0, 2, tzinfo=UTC)) == "2026-11-23 09:00:02 UTC"
    assert display(date(2030, 1, 1)) == "2030-01-01"
    assert display(None) == "-"
    assert display(True) == "yes"
    assert display({"a": Decimal("1.50")}) == '{"a": "1.50"}'


def test_json_keeps_money_exact_and_times_in_iso() -> None:
    out = io.StringIO()
    print_json({"amount": Decimal("1200.10"), "at": datetime(2026, 1, 2, tzinfo=UTC)}, out)
    assert json.loads(out.getvalue()) == {"amount": "1200.10", "at": "2026-01-02T00:00:00+00:00"}
    assert plain([date(2026, 1, 2)]) == ["2026-01-02"]


def test_a_piped_table_is_aligned_plain_text_with_notes_under_rows() -> None:
    out = io.StringIO()  # not a terminal
    Table(["id", "amount"], [["#1", Decimal("5.00")], ["#22", None]], ["why", None]).print(out)
    assert out.getvalue().splitlines() == ["id   amount", "#1   5.00", "    why", "#22  -"]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_table_is_drawn_by_rich() -> None:
    out = _Terminal()
    Table(["id", "amount"], [["#1", Decimal("5.00")]]).print(out)
    drawn = out.getvalue()
    assert "┏" in drawn  # a box, with the header in bold
    assert "│ #1 │ 5.00   │" in drawn
