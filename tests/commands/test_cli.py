"""The command-line contract of DESIGN.md: commands, help, exit codes, error messages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from connector.cli import EXIT_CONFIG, EXIT_OK, main
from connector.ledger.database import head_revision

REPO = Path(__file__).resolve().parents[2]
DESIGN_COMMANDS = ("run", "sync", "mappings", "plan", "status", "deadletter", "report", "demo",
                   "backfill")


def _config(tmp_path: Path, extra: str = "") -> Path:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[ledger]\nurl = "sqlite:///{tmp_path / "ledger.db"}"\n\n'
        f'[mappings]\ndir = "{REPO / "mappings"}"\n\n[templates]\ndir = "{REPO / "templates"}"\n'
        + extra, encoding="utf-8")
    return path


def test_daemon_py_help_lists_every_design_command() -> None:
    shown = subprocess.run([sys.executable, "daemon.py", "--help"], cwd=REPO, check=True,
                           capture_output=True, text=True).stdout

    for command in DESIGN_COMMANDS:
        assert f"    {command} " in shown or f"    {command}\n" in shown, command


@pytest.mark.parametrize("command", DESIGN_COMMANDS)
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])

    assert exited.value.code == EXIT_OK
    assert "--config PATH" in capsys.readouterr().out


def test_a_shortened_report_name_gets_a_suggestion(tmp_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["report", "mrr", "--config", str(_config(tmp_path))])

    assert code == EXIT_CONFIG
    assert "did you mean 'mrr-by-month'?" in capsys.readouterr().err


def test_bad_config_names_the_file_and_key(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    config = _config(tmp_path, "\n[salesforce]\npoll_intervall = 30\n")

    code = main(["status", "--config", str(config)])

    assert code == EXIT_CONFIG
    error = capsys.readouterr().err
    assert f"{config}: salesforce.poll_intervall:" in error
    assert "did you mean 'poll_interval'" in error


def test_mappings_check_accepts_the_shipped_mappings(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["mappings", "check", "--offline", "--config", str(_config(tmp_path))])

    assert code == EXIT_OK
    assert "are valid" in capsys.readouterr().out


def test_mappings_check_reports_a_misspelt_field(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    mappings = tmp_path / "mappings"
    mappings.mkdir()
    for source in (REPO / "mappings").glob("*.toml"):
        text = source.read_text(encoding="utf-8")
        (mappings / source.name).write_text(text.replace('"Quantity"', '"Quantiy"'),
                                            encoding="utf-8")
    config = _config(tmp_path).read_text(encoding="utf-8").replace(
        str(REPO / "mappings"), str(mappings))
    (tmp_path / "config.toml").write_text(config, encoding="utf-8")

    code = main(["mappings", "check", "--offline", "--config", str(tmp_path / "config.toml")])

    assert code != EXIT_OK
    out = capsys.readouterr().out
    assert "opportunity_to_subscription.toml:" in out
    assert "Quantiy" in out
    assert "did you mean 'Quantity'" in out


def test_status_on_a_fresh_ledger(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--config", str(_config(tmp_path)), "status"])  # options before the command

    assert code == EXIT_OK
    out = capsys.readouterr().out
    assert f"schema {head_revision()}, newest {head_revision()}" in out
    assert "no running daemon has reported its mapping set yet" in out
    assert "dead letters:  0 open" in out
    assert "nothing synced" in out


def test_deadletter_list_on_a_fresh_ledger(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["deadletter", "list", "--config", str(_config(tmp_path))])

    assert code == EXIT_OK
    assert "no open dead letters" in capsys.readouterr().out.lower()
