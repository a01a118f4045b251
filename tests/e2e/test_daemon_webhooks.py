"""``run`` serves the Stripe webhook receiver in its own process and stops it on SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests
import stripe
from sqlalchemy import create_engine, text

from crm_emulators.stack import EmulatorStack

REPO = Path(__file__).resolve().parents[2]
SECRET = "whsec_daemon"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_healthy(base: str, process: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise AssertionError("the webhook receiver did not come up")


def test_run_receives_signed_webhooks_and_stops_on_sigterm(tmp_path: Path) -> None:
    stack = EmulatorStack.start()
    port = _free_port()
    try:
        config = stack.write_config(tmp_path, REPO / "mappings", REPO / "templates",
                                    webhook_port=port)
        env = {**os.environ, **stack.environment(), "STRIPE_WEBHOOK_SECRET": SECRET}
        process = subprocess.Popen(
            [sys.executable, "daemon.py", "run", "--config", str(config)], cwd=REPO, env=env,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        base = f"http://127.0.0.1:{port}"
        _wait_healthy(base, process)
        body = json.dumps({"id": "evt_daemon", "object": "event", "type": "invoice.paid",
                           "created": int(time.time()),
                           "data": {"object": {"id": "in_x", "object": "invoice"}}})
        signed = requests.post(f"{base}/webhooks/stripe", data=body, timeout=10, headers={
            "Stripe-Signature": stripe.WebhookSignature.generate_signature_header(body, SECRET)})
        forged = requests.post(f"{base}/webhooks/stripe", data=body, timeout=10, headers={
            "Stripe-Signature": stripe.WebhookSignature.generate_signature_header(body, "x")})

        process.send_signal(signal.SIGTERM)
        try:
            _, logs = process.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
            _, logs = process.communicate()
            raise AssertionError(f"the daemon did not stop on SIGTERM:\n{logs}") from None
    finally:
        stack.stop()

    assert (signed.status_code, forged.status_code) == (200, 400)
    assert process.returncode == 0, logs
    assert "stripe webhook receiver stopped" in logs
    ledger = create_engine(f"sqlite:///{tmp_path / 'ledger.db'}")
    with ledger.connect() as connection:
        ids = connection.execute(text("SELECT event_id FROM stripe_inbox")).scalars().all()
    assert "evt_daemon" in ids
    assert SECRET not in logs
