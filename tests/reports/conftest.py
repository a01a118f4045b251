"""A ledger with the hand-worked story of :mod:`books`, and running ``report`` as a user does."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from connector.cli import main
from connector.ledger.database import open_migrated, session_factory

from . import books


@dataclass(frozen=True)
class Ran:
    """What a command printed and its exit code."""

    code: int
    out: str
    err: str

    def rows(self) -> list[dict[str, Any]]:
        """The JSON rows it printed."""
        found: list[dict[str, Any]] = json.loads(self.out)
        return found


Report = Callable[..., Ran]


def _config(folder: Path, url: str) -> Path:
    path = folder / "config.toml"
    path.write_text(f'[ledger]\nurl = "{url}"\n', encoding="utf-8")
    return path


def _runner(config: Path, capsys: pytest.CaptureFixture[str]) -> Report:
    def run(*args: str) -> Ran:
        capsys.readouterr()
        code = main(["report", *args, "--config", str(config)])
        done = capsys.readouterr()
        return Ran(code, done.out, done.err)
    return run


@pytest.fixture
def empty_report(tmp_path: Path, ledger_url: str, capsys: pytest.CaptureFixture[str]) -> Report:
    """``crm-connector report ...`` against an empty ledger."""
    open_migrated(ledger_url).dispose()
    return _runner(_config(tmp_path, ledger_url), capsys)


@pytest.fixture
def books_url(ledger_url: str) -> str:
    """The URL of a ledger holding the story of :mod:`books`."""
    engine = open_migrated(ledger_url)
    with session_factory(engine)() as session:
        books.build(session)
    engine.dispose()
    return ledger_url


@pytest.fixture
def report(tmp_path: Path, books_url: str, capsys: pytest.CaptureFixture[str]) -> Report:
    """``crm-connector report ...`` against the ledger of :mod:`books`."""
    return _runner(_config(tmp_path, books_url), capsys)
