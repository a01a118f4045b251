"""The daemon as an admin runs it: ``sync --once`` and ``run`` in their own processes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from crm_emulators.seed import seed_salesforce, seed_stripe
from crm_emulators.stack import EmulatorStack

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def stack() -> Iterator[EmulatorStack]:
    started = EmulatorStack.start()
    try:
        seed_salesforce(started.salesforce, date.today())
        seed_stripe(started.stripe)
        time.sleep(1.1)  # the daemon reads only finished seconds
        yield started
    finally:
        started.stop()


def _daemon(stack: EmulatorStack, tmp_path: Path, *args: str) -> subprocess.Popen[str]:
    config = stack.write_config(tmp_path, REPO / "mappings", REPO / "templates")
    env = {**os.environ, **stack.environment()}
    return subprocess.Popen(
        [sys.executable, "daemon.py", *args, "--config", str(config)], cwd=REPO, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_sync_once_runs_one_cycle_and_exits_zero(stack: EmulatorStack, tmp_path: Path) -> None:
    process = _daemon(stack, tmp_path, "sync", "--once")
    out, logs = process.communicate(timeout=120)

    assert process.returncode == 0, logs
    calls = stack.salesforce.request_count() - 1  # less the OAuth token request
    summary = re.fullmatch(
        r"read \d+ opportunities, created 4 potential subscriptions, .*wrote 4 Salesforce "
        r"records, sent 3 emails, 0 errors, (\d+) Salesforce calls, \d+\.\d s\n", out)
    assert summary is not None, out
    assert int(summary[1]) == calls
    assert len(stack.salesforce.records("Subscription__c")) == 4
    assert len(stack.smtp.messages) == 3
    assert '"event": "sync run finished"' in logs
    assert "demo-client-secret" not in logs
    assert "sk_test_emulator" not in logs


def test_run_cycles_until_sigterm_then_exits_zero(stack: EmulatorStack, tmp_path: Path) -> None:
    process = _daemon(stack, tmp_path, "run")
    deadline = time.monotonic() + 60
    while len(stack.smtp.messages) < 3 and time.monotonic() < deadline:
        time.sleep(0.2)

    process.send_signal(signal.SIGTERM)
    _, logs = process.communicate(timeout=60)

    assert process.returncode == 0, logs
    assert len(stack.salesforce.records("Subscription__c")) == 4
    assert "daemon stopped" in logs
