"""``crm-connector report`` as a person types it: the list, an empty ledger, and mistakes.

Mistakes run the real command in its own process, so a traceback anywhere fails the test.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from connector.reports import REPORTS

from .conftest import Report

REPO = Path(__file__).resolve().parents[2]


def test_report_list_names_every_report_with_a_line(empty_report: Report) -> None:
    ran = empty_report("list")

    assert ran.code == 0
    lines = ran.out.splitlines()
    assert [line.split()[0] for line in lines] == list(REPORTS)
    assert all(len(line.split()) > 3 for line in lines)


@pytest.mark.parametrize("name", sorted(REPORTS))
def test_an_empty_ledger_prints_the_headers(empty_report: Report, name: str) -> None:
    table = empty_report(name)
    as_json = empty_report(name, "--format", "json")
    as_csv = empty_report(name, "--format", "csv")

    assert (table.code, as_json.code, as_csv.code) == (0, 0, 0)
    assert table.out.split() == list(REPORTS[name].columns)
    assert as_json.rows() == []
    assert as_csv.out == ",".join(REPORTS[name].columns) + "\n"


def _crm(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    config = folder / "config.toml"
    config.write_text(f'[ledger]\nurl = "sqlite:///{folder / "ledger.db"}"\n', encoding="utf-8")
    return subprocess.run([sys.executable, str(REPO / "daemon.py"), "report", *args,
                           "--config", str(config)], capture_output=True, text=True,
                          timeout=120, check=False)


MISTAKES = {
    "unknown report": (["revenu-by-month"], "did you mean 'revenue-by-month'?"),
    "malformed month": (["revenue-by-month", "--from", "2026-13"],
                        "'2026-13' is not a month YYYY-MM"),
    "from after to": (["status-by-month", "--from", "2026-05", "--to", "2026-03"],
                      "--from 2026-05 is after --to 2026-03"),
    "unknown account": (["acv", "--account", "001NOPE"],
                        "--account 001NOPE: no such account in the ledger"),
    "bad currency": (["revenue-by-month", "--currency", "dollars"],
                     "'dollars' is not a currency code"),
    "option not taken": (["plan-by-unit", "--from", "2026-01"], "takes no --from/--to"),
    "live elsewhere": (["acv", "--live"], "report acv: takes no --live (only reconciliation"),
    "unknown customer": (["customer-summary", "--account", "001NOPE"],
                         "--account 001NOPE: no such account in the ledger"),
}


@pytest.mark.parametrize("case", sorted(MISTAKES))
def test_a_mistake_is_one_clear_line_and_exit_2(tmp_path: Path, case: str) -> None:
    args, expected = MISTAKES[case]

    done = _crm(tmp_path, *args)

    assert done.returncode == 2, done.stderr
    assert expected in done.stderr
    assert "Traceback" not in done.stderr
    if case == "unknown report":  # the hint, then the list to choose from
        assert all(name in done.stderr for name in REPORTS)
    else:
        assert done.stderr.count("\n") == 1
