"""One daemon per ledger: a second ``run`` (or ``sync --once``) is refused with the holder's
pid and host, and ``kill -9`` of the holder frees the ledger."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from connector.errors import ConfigError
from connector.service import LedgerInUseError, ledger_lock
from crm_emulators.stack import EmulatorStack
from service.conftest import with_ledger
from service.processes import WAIT, start_daemon

HOST = socket.gethostname()


def test_a_second_holder_is_refused_with_the_first_ones_pid_and_host(ledger_url: str) -> None:
    source = "/etc/crm-connector/config.toml"
    with ledger_lock(ledger_url, source), pytest.raises(LedgerInUseError) as refused, \
            ledger_lock(ledger_url, source):
        pass

    [line] = refused.value.problems
    assert line.startswith("/etc/crm-connector/config.toml: ledger.url: ")
    assert f"is in use by another crm-connector (pid {os.getpid()} on host {HOST} since " in line
    assert line.endswith("; one daemon per ledger: stop that one first")
    assert "password" not in line


def test_the_ledger_is_free_again_once_the_holder_lets_go(ledger_url: str) -> None:
    with ledger_lock(ledger_url):
        pass
    with ledger_lock(ledger_url):
        pass  # no refusal


def test_the_sqlite_lock_file_sits_beside_the_ledger_private_and_names_the_holder(
        tmp_path: Path) -> None:
    ledger = tmp_path / "state" / "ledger.db"
    with ledger_lock(f"sqlite:///{ledger}"):
        lock = ledger.with_name("ledger.db.lock")
        assert lock.stat().st_mode & 0o777 == 0o600
        assert f'"pid": {os.getpid()}' in lock.read_text(encoding="utf-8")


def test_an_unwritable_folder_is_one_line_naming_the_lock_file(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")

    with pytest.raises(ConfigError) as failed, ledger_lock(f"sqlite:///{blocker}/ledger.db",
                                                           "config.toml"):
        pass

    [line] = failed.value.problems
    assert line.startswith(f"config.toml: ledger.url: cannot create the lock file {blocker}/")


def test_an_in_memory_ledger_is_not_locked() -> None:
    with ledger_lock("sqlite://"), ledger_lock("sqlite://"):
        pass


def _advisory_locks(url: str) -> int:
    """How many advisory locks the ledger's database holds."""
    engine = create_engine(make_url(url), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND database = (SELECT oid FROM pg_database WHERE datname = "
                "current_database())")).scalar_one())
    finally:
        engine.dispose()


def _wait_until_released(url: str) -> None:
    """SQLite's lock goes with the process; a server notices a dead session a moment later."""
    if not url.startswith("postgresql"):
        return
    deadline = time.monotonic() + WAIT
    while _advisory_locks(url) and time.monotonic() < deadline:
        time.sleep(0.05)


def test_two_runs_on_one_ledger_the_second_refuses_and_kill9_frees_it(
        stack: EmulatorStack, config: Path, ledger_url: str) -> None:
    with_ledger(config, ledger_url)
    first = start_daemon(stack, config, "run")
    started = [first]
    try:
        first.wait_for_log('"event": "daemon started"')
        second = start_daemon(stack, config, "run")
        once = start_daemon(stack, config, "sync", "--once")
        started += [second, once]
        assert second.finish() == 2
        assert once.finish() == 2
        first.kill9()
        _wait_until_released(ledger_url)
        third = start_daemon(stack, config, "run")
        started.append(third)
        third.wait_for_log('"event": "daemon started"')
        assert third.terminate() == 0, third.logs()[-3000:]
    finally:
        for process in started:
            process.kill9()

    for refused in (second, once):
        [line] = refused.logs().strip().splitlines()
        assert f"{config}: ledger.url: " in line
        assert f"in use by another crm-connector (pid {first.process.pid} on host {HOST}" in line


@pytest.mark.parametrize("url", ["not a url", "mysql+nodriver://u@h/db"])
def test_an_unusable_url_is_left_for_opening_the_ledger_to_report(url: str) -> None:
    with ledger_lock(url):
        pass  # no lock, no traceback: open_migrated names ledger.url in one line
