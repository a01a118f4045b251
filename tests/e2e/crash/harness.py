"""The kill -9 harness: the emulators in the test process, the daemon in a subprocess.

The emulators survive the daemon's death, as Salesforce and Stripe would; they keep the
wall clock, like the daemon (Stripe's moves ahead when a test advances it). A daemon is
started with ``CRM_CONNECTOR_CRASHPOINT`` naming a step boundary (see
:mod:`connector.crashpoints`); the harness waits for its marker line on stderr and sends
SIGKILL to that pid. :meth:`CrashWorld.cycle` runs one cycle of the same code in the test
process, for preparing a scenario cheaply (no interpreter start) and for letting the
restarted daemon's work settle.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from simple_salesforce.api import Salesforce
from sqlalchemy.orm import Session

from connector import crashpoints
from connector.config import load_config
from connector.ledger.database import make_engine, session_factory
from connector.retry import NO_WAIT
from connector.secrets import Secrets
from connector.sync.engine import SyncEngine
from connector.sync.report import CycleReport
from connector.sync.wiring import build_engine
from crm_emulators.seed import SampleOrg, seed_salesforce, seed_stripe
from crm_emulators.stack import EmulatorStack

REPO = Path(__file__).resolve().parents[3]
WAIT = 60.0
"""Seconds any wait on the daemon may take before the test fails (a hang, not a measure)."""
SUBSCRIPTIONS = (
    "SELECT Id, Account__c, Product__c, Product__r.ProductCode, Quantity__c, Status__c, "
    "Ledger_Id__c, Stripe_Customer_Id__c, Stripe_Subscription_Id__c, Last_Payment_Status__c, "
    "Sync_Error__c FROM Subscription__c ORDER BY Name"
)


def next_second() -> None:
    """Sleep into the next wall-clock second. The daemon reads Salesforce only up to the
    start of the current second (``SystemModstamp`` has 1-second resolution), so what the
    test just wrote is read by a cycle that starts after this."""
    time.sleep(1.02 - time.time() % 1)


@dataclass
class DaemonRun:
    """A daemon process and the file its stderr goes to."""

    process: subprocess.Popen[bytes]
    stderr: Path

    def logs(self) -> str:
        """Everything it wrote to stderr so far."""
        return self.stderr.read_text(encoding="utf-8", errors="replace")

    def wait_for(self, text: str, *, after: int = 0, within: float = WAIT) -> int:
        """Wait until stderr holds ``text`` past offset ``after``; return where it ends.

        Raises:
            AssertionError: the process exited first, or nothing came ``within`` seconds.
        """
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            logs = self.logs()
            found = logs.find(text, after)
            if found >= 0:
                return found + len(text)
            if self.process.poll() is not None:
                raise AssertionError(f"the daemon exited ({self.process.returncode}) before "
                                     f"{text!r}:\n{self.logs()[-4000:]}")
            time.sleep(0.05)
        raise AssertionError(f"no {text!r} within {within} s:\n{logs[-4000:]}")

    def reached(self, point: str) -> bool:
        """Whether the daemon stopped at crashpoint ``point``."""
        return f"{crashpoints.MARKER} {point} pid={self.process.pid}" in self.logs()

    def kill9(self) -> None:
        """SIGKILL by pid, then reap it."""
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=WAIT)

    def finish(self) -> str:
        """Wait for it to exit by itself with status 0; return its logs."""
        code = self.process.wait(timeout=WAIT * 2)
        assert code == 0, self.logs()[-4000:]
        return self.logs()

    def stop(self) -> str:
        """SIGTERM, then wait for a clean exit; return its logs."""
        self.process.send_signal(signal.SIGTERM)
        return self.finish()


@dataclass
class CrashWorld:
    """Emulators with the sample org and catalog, a ledger file and a daemon config."""

    stack: EmulatorStack
    org: SampleOrg
    folder: Path
    config: Path
    environment: dict[str, str]
    webhook_url: str
    older_events: frozenset[str]
    """Events made before the webhook endpoint existed (the seeded catalog): never sent."""
    runs: int = 0
    _engine: SyncEngine | None = field(default=None, repr=False)

    @classmethod
    def start(cls, folder: Path) -> CrashWorld:
        """Emulators up (Stripe sends webhooks to the daemon's port), seeded, a config."""
        stack = EmulatorStack.start()
        try:
            org = seed_salesforce(stack.salesforce, datetime.now(UTC).date())
            seed_stripe(stack.stripe)
            port = _free_port()
            url = f"http://127.0.0.1:{port}/webhooks/stripe"
            secret = stack.stripe.add_webhook_endpoint(url)
            older = frozenset(e["id"] for e in stack.stripe.objects("event"))
            config = stack.write_config(folder, REPO / "mappings", REPO / "templates",
                                        webhook_port=port)
            environment = {**stack.environment(), "STRIPE_WEBHOOK_SECRET": secret}
            next_second()
            return cls(stack, org, folder, config, environment, url, older)
        except BaseException:
            stack.stop()
            raise

    def stop(self) -> None:
        """Stop the emulators and close the in-process ledger connections."""
        if self._engine is not None:
            self._engine.sessions.kw["bind"].dispose()
        self.stack.stop()

    # --- the daemon as a process ---------------------------------------------------------

    def daemon(self, *args: str, crashpoint: str | None = None) -> DaemonRun:
        """Start ``daemon.py ARGS --config ...``, armed at ``crashpoint`` if given."""
        self.runs += 1
        stderr = self.folder / f"daemon-{self.runs}.log"
        env = {key: value for key, value in os.environ.items() if key != crashpoints.ENV}
        env.update(self.environment)
        if crashpoint is not None:
            env[crashpoints.ENV] = crashpoint
        with stderr.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, "daemon.py", *args, "--config", str(self.config)],
                cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=sink)
        return DaemonRun(process, stderr)

    def sync_once(self) -> str:
        """``sync --once`` to its end (status 0); return its logs."""
        return self.daemon("sync", "--once").finish()

    # --- the same code in the test process -----------------------------------------------

    def cycle(self, *, list_events: bool = True) -> CycleReport:
        """One full cycle in the test process (the daemon's code, its clock)."""
        return self.engine().run_cycle(list_events=list_events)

    def engine(self) -> SyncEngine:
        """The in-process engine on the ledger file (built once)."""
        if self._engine is None:
            self._engine = build_engine(load_config(self.config), Secrets(self.environment),
                                        retry=NO_WAIT)
        return self._engine

    @contextmanager
    def ledger(self) -> Iterator[Session]:
        """A session on the ledger file, apart from any engine."""
        engine = make_engine(f"sqlite:///{self.folder / 'ledger.db'}")
        try:
            with session_factory(engine)() as session:
                yield session
        finally:
            engine.dispose()

    # --- the outside world -----------------------------------------------------------------

    def admin(self) -> Salesforce:
        """simple-salesforce as the integration user (for a CSM's edits, and to look)."""
        emulator = self.stack.salesforce
        return Salesforce(instance_url=emulator.url,
                          session_id=emulator.issue_session_token(None),
                          session=emulator.requests_session(), version="62.0")

    def subscriptions(self) -> list[dict[str, Any]]:
        """Every Subscription__c."""
        return list(self.admin().query_all(SUBSCRIPTIONS)["records"])

    def by_code(self) -> dict[str, dict[str, Any]]:
        """Subscription__c by product code (one each in the sample org)."""
        return {r["Product__r"]["ProductCode"]: r for r in self.subscriptions()}

    def edit(self, code: str, **values: Any) -> None:
        """Change the Subscription__c of product ``code`` as a CSM would."""
        record = self.by_code()[code]
        self.admin().restful(f"sobjects/Subscription__c/{record['Id']}", method="PATCH",
                             data=json.dumps(values))
        next_second()

    def deliver_webhooks(self) -> threading.Thread:
        """Stripe's delivery of pending events to the daemon, in a thread (a daemon
        stopped at a crashpoint holds a delivery open until it dies)."""
        thread = threading.Thread(target=self.stack.stripe.deliver_pending, daemon=True)
        thread.start()
        return thread

    def acknowledged(self) -> set[str]:
        """The events the daemon's endpoint answered 2xx."""
        return {e["id"] for e in self.stack.stripe.objects("event")
                if not e["pending_webhooks"] and e["id"] not in self.older_events}

    def undelivered(self) -> int:
        """Events some endpoint has not acknowledged yet."""
        return sum(1 for event in self.stack.stripe.objects("event")
                   if event["pending_webhooks"])


def until(condition: Callable[[], bool], what: str) -> None:
    """Wait until ``condition()`` holds (at most :data:`WAIT` seconds)."""
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {WAIT} s: {what}")
        time.sleep(0.1)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port
