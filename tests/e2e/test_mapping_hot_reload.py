"""A running daemon (``daemon.py run`` in its own process) takes up edited mapping files.

A valid change is swapped in between cycles and used; an invalid one is refused, the last
good set stays in force, and ``status`` (another process) shows both. The tests poll for
each condition with a generous timeout instead of sleeping fixed amounts.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.exc import OperationalError

from connector.ledger.models import DaemonState
from connector.mapping.loader import digest
from crm_emulators.seed import SampleOrg, seed_salesforce, seed_stripe
from crm_emulators.stack import EmulatorStack

REPO = Path(__file__).resolve().parents[2]
TIMEOUT = 90.0
OPP = "opportunity_to_subscription.toml"


@pytest.fixture
def stack() -> Iterator[tuple[EmulatorStack, SampleOrg]]:
    started = EmulatorStack.start()
    try:
        org = seed_salesforce(started.salesforce, date.today())
        seed_stripe(started.stripe)
        yield started, org
    finally:
        started.stop()


class RunningDaemon:
    """``daemon.py run`` on a copy of the shipped mappings, polling every second."""

    def __init__(self, stack: EmulatorStack, folder: Path) -> None:
        self.mappings = folder / "mappings"
        shutil.copytree(REPO / "mappings", self.mappings)
        self.config = stack.write_config(folder, self.mappings, REPO / "templates")
        text = self.config.read_text(encoding="utf-8")
        self.config.write_text(text.replace("poll_interval = 5", "poll_interval = 1"),
                               encoding="utf-8")
        self.ledger = create_engine(f"sqlite:///{folder / 'ledger.db'}")
        self.env = {**os.environ, **stack.environment()}
        self.log_path = folder / "daemon.log"
        self._log = self.log_path.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            [sys.executable, "daemon.py", "run", "--config", str(self.config)], cwd=REPO,
            env=self.env, stdout=self._log, stderr=subprocess.STDOUT, text=True)

    def edit(self, name: str, old: str, new: str) -> str:
        """Replace ``old`` in a mapping file; return the set's new digest."""
        path = self.mappings / name
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
        return digest(self.mappings)

    def state(self) -> dict[str, Any]:
        """What the daemon published in ``daemon_state``."""
        try:
            with self.ledger.connect() as connection:
                rows = connection.execute(select(DaemonState.key, DaemonState.value))
                return {key: value for key, value in rows}
        except OperationalError:  # the table exists once the daemon has migrated
            return {}

    def status(self, exit_code: int = 0) -> str:
        """``daemon.py status`` as an admin runs it, in its own process."""
        done = subprocess.run(
            [sys.executable, "daemon.py", "status", "--config", str(self.config)], cwd=REPO,
            env=self.env, capture_output=True, text=True, timeout=TIMEOUT, check=False)
        assert done.returncode == exit_code, done.stdout + done.stderr
        return done.stdout

    def logs(self) -> str:
        """Everything the daemon logged so far."""
        return self.log_path.read_text(encoding="utf-8")

    def stop(self) -> int:
        """SIGTERM, then wait for the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=TIMEOUT)
        self._log.close()
        self.ledger.dispose()
        return code


@pytest.fixture
def daemon(stack: tuple[EmulatorStack, SampleOrg], tmp_path: Path) -> Iterator[RunningDaemon]:
    running = RunningDaemon(stack[0], tmp_path)
    try:
        yield running
    finally:
        if running.process.poll() is None:
            running.stop()


def _wait_for(condition: Callable[[], Any], daemon: RunningDaemon, what: str) -> Any:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        assert daemon.process.poll() is None, f"daemon exited:\n{daemon.logs()}"
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}; daemon log:\n{daemon.logs()}")


def _in_use(daemon: RunningDaemon) -> str | None:
    in_use = daemon.state().get("mappings.in_use")
    return in_use["digest"] if in_use else None


def test_a_valid_change_is_swapped_in_and_used(
        stack: tuple[EmulatorStack, SampleOrg], daemon: RunningDaemon) -> None:
    emulator, org = stack
    first = digest(daemon.mappings)
    _wait_for(lambda: _in_use(daemon) == first, daemon, "the daemon to publish its mappings")
    _wait_for(lambda: len(emulator.salesforce.records("Subscription__c")) == 4, daemon,
              "the first potential subscriptions")

    changed = daemon.edit(OPP, "default = 12", "default = 24")
    _wait_for(lambda: _in_use(daemon) == changed, daemon, "the new mapping set")
    emulator.salesforce.update("Opportunity", org.opportunities["initech_open"],
                               {"StageName": "Closed Won"})

    def new_subscription() -> list[Any]:
        return [r for r in emulator.salesforce.records("Subscription__c")
                if r["Opportunity__c"] == org.opportunities["initech_open"]]

    [created] = _wait_for(new_subscription, daemon, "a subscription under the new mappings")
    assert created["Term_Months__c"] == 24
    assert all(r["Term_Months__c"] == 12 for r in emulator.salesforce.records("Subscription__c")
               if r["Id"] != created["Id"])
    status = daemon.status()
    assert f"in use:      digest {changed[:12]} by the daemon" in status
    assert "refused" not in status
    assert daemon.stop() == 0
    assert "mappings reloaded" in daemon.logs()


def test_an_invalid_change_is_refused_and_the_last_good_set_stays(
        stack: tuple[EmulatorStack, SampleOrg], daemon: RunningDaemon) -> None:
    good = digest(daemon.mappings)
    _wait_for(lambda: _in_use(daemon) == good, daemon, "the daemon to publish its mappings")

    broken = daemon.edit(OPP, 'transform = ["upper"]', 'transform = ["uper"]')
    refusal = _wait_for(lambda: daemon.state().get("mappings.refused"), daemon,
                        "the refusal")

    assert refusal["digest"] == broken
    problem = (f"{daemon.mappings / OPP}:51: fields.Currency__c.transform[0]: "
               "unknown transform 'uper' (did you mean 'upper'?)")
    assert refusal["problems"] == [problem]
    assert _in_use(daemon) == good
    status = daemon.status(exit_code=5)  # the mapping files on disk are invalid
    assert f"in use:      digest {good[:12]} by the daemon" in status
    assert f"refused:     change to digest {broken[:12]}" in status
    assert problem in status
    assert "mapping change refused; keeping the last good set" in daemon.logs()

    daemon.process.send_signal(signal.SIGHUP)  # a forced reload refuses it again
    daemon.edit(OPP, 'transform = ["uper"]', 'transform = ["upper"]')  # and the fix clears it
    _wait_for(lambda: "mappings.refused" not in daemon.state(), daemon, "the refusal to clear")
    assert _in_use(daemon) == good
    assert daemon.stop() == 0
