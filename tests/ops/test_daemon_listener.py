"""``run`` in its own process serves /metrics, /healthz, /readyz and /dashboard, and stops with
SIGTERM."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import requests

from connector.ops.dashboard import SHOWN
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


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _until_ready(base: str, process: subprocess.Popen[str]) -> requests.Response:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            answer = requests.get(f"{base}/readyz", timeout=2)
            if answer.status_code == 200 and answer.json()["last_success"]:
                return answer  # ready after its first cycle (ready during the first too)
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    process.kill()
    raise AssertionError(f"never ready: {process.communicate(timeout=10)[1][-3000:]}")


def test_run_serves_the_ops_listener(stack: EmulatorStack, tmp_path: Path) -> None:
    port = _free_port()
    config = stack.write_config(tmp_path, REPO / "mappings", REPO / "templates", ops_port=port)
    process = subprocess.Popen(
        [sys.executable, "daemon.py", "run", "--config", str(config)], cwd=REPO,
        env={**os.environ, **stack.environment()}, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        ready = _until_ready(base, process)
        metrics = requests.get(f"{base}/metrics", timeout=5).text
        health = requests.get(f"{base}/healthz", timeout=5)
        dashboard = requests.get(f"{base}/dashboard", timeout=30)
    finally:
        process.send_signal(signal.SIGTERM)
        _, logs = process.communicate(timeout=60)

    assert ready.json()["connections"] == {"salesforce": "IDLE", "stripe": "IDLE"}
    assert health.json() == {"status": "ok", "reasons": []}
    assert dashboard.status_code == 200
    assert all(f'data-report="{name}"' in dashboard.text for name in SHOWN)
    assert 'crm_cycles_total{kind="full",outcome="ok"}' in metrics
    assert "crm_salesforce_api_calls_total" in metrics
    assert "crm_salesforce_api_remaining" in metrics
    assert "crm_stripe_requests_total" in metrics
    assert 'crm_records_read_total{object="Opportunity",system="salesforce"}' in metrics
    assert process.returncode == 0, logs
    assert "operations listener serving" in logs
