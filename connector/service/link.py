"""What the running daemon tells systemd, and when.

* ``READY=1`` once the first full cycle reached Salesforce and Stripe (the ledger was
  migrated and the mappings loaded before the daemon started). While that first full cycle
  runs and progresses, the start timeout is extended, so a first sync of a large org is not
  killed for taking long; a first cycle that cannot connect leaves the service starting
  until ``TimeoutStartSec=`` fails it, with the reason in ``STATUS=`` and the journal.
* ``STATUS=`` after every cycle: :func:`~connector.service.status.status_line`.
* ``WATCHDOG=1`` from a heartbeat thread, only while :class:`CycleMonitor` sees the cycles
  alive; a hung cycle stops the pings and systemd restarts the daemon.
* ``STOPPING=1`` when a stop (SIGTERM) begins.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime

import structlog

from connector.service.notify import Notifier, watchdog_interval
from connector.service.progress import CycleMonitor
from connector.service.status import CycleOutcome, outcome_of, status_line
from connector.sync.engine import SyncEngine
from connector.sync.report import CycleReport

log = structlog.get_logger(__name__)

DEFAULT_STALL = 300.0
"""Seconds a cycle may go without progress when systemd set no watchdog (start-up only)."""

MAX_BEAT = 10.0
"""Longest wait between two heartbeats, in seconds."""

RETRY_BACKOFF = 30.0
"""The longest retry back-off (:class:`~connector.retry.RetryPolicy` ``maximum``)."""


class ServiceLink:
    """The daemon's side of ``Type=notify``; the :class:`Daemon` calls its hooks.

    Args:
        notifier: where the messages go.
        monitor: the cycles' progress.
        beat: seconds between heartbeats.
        now: the wall clock for the status line (injected for tests).
    """

    def __init__(self, notifier: Notifier, monitor: CycleMonitor, *, beat: float,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC),
                 states: Callable[[], Mapping[str, str]] | None = None) -> None:
        self.notifier = notifier
        self._states = states
        self.monitor = monitor
        self.beat = beat
        self.ready = False
        self.last: CycleOutcome | None = None
        self._now = now
        self._started_at = time.monotonic()
        self._full_cycles = 0
        self._stopping = threading.Event()
        self._hung = False
        self._thread: threading.Thread | None = None

    def started(self) -> None:
        """The daemon is up and about to run its first cycle: start the heartbeat."""
        self.notifier.status(status_line(None, phase="starting"))
        if self.notifier.enabled and self._thread is None:
            self._thread = threading.Thread(target=self._heartbeat, name="sd-heartbeat",
                                            daemon=True)
            self._thread.start()

    def cycle_started(self, kind: str) -> None:
        """A cycle of ``kind`` (``full`` or ``stripe``) begins on the calling thread."""
        if kind == "full":
            self._full_cycles += 1
        self._started_at = time.monotonic()
        self.monitor.started(kind)

    def cycle_finished(self, kind: str, report: CycleReport | None, failed: str | None) -> None:
        """The cycle ended with ``report`` (None when it raised; ``failed`` says why)."""
        self.monitor.finished()
        self.last = outcome_of(kind, report, failed, finished=self._now(),
                               seconds=time.monotonic() - self._started_at)
        if self._states is not None:
            self.last = replace(self.last, states=self._states())
        if not self.ready and kind == "full" and self.last.connected:
            self.ready = True
            self.notifier.ready(status_line(self.last))
            log.info("service ready", status=status_line(self.last))
            return
        self.notifier.status(status_line(self.last, phase="running" if self.ready
                                         else "starting"))

    def stopping(self) -> None:
        """A stop began: the cycle under way finishes, nothing new starts."""
        self.notifier.stopping(status_line(self.last, phase="stopping"))

    def close(self) -> None:
        """End the heartbeat (the daemon has stopped)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=self.beat + 1)

    def heartbeat(self) -> None:
        """One heartbeat: ping the watchdog (or, during start-up, extend it) if alive."""
        health = self.monitor.check()
        if not health.alive:
            if not self._hung:
                log.error("no cycle progress: watchdog pings stop, systemd will restart the "
                          "daemon", cycle=health.running, quiet_seconds=round(health.quiet))
            self._hung = True
            return
        self._hung = False
        if self.ready:
            self.notifier.watchdog()
        elif health.running == "full" and self._full_cycles == 1:
            self.notifier.extend_start(2 * self.monitor.stall)

    def _heartbeat(self) -> None:
        while not self._stopping.wait(self.beat):
            self.heartbeat()


def systemd_link(engine: SyncEngine, environ: Mapping[str, str] | None = None) -> ServiceLink:
    """The link for a daemon running ``engine``, as systemd started it (or not at all).

    The stall limit is the watchdog timeout (``WatchdogSec=``), so a cycle quiet for that
    long stops the pings and systemd restarts the daemon at most that long after; between
    cycles the next is due within two poll intervals.
    """
    env = os.environ if environ is None else environ
    watchdog = watchdog_interval(env)
    stall = watchdog or DEFAULT_STALL
    services = engine.services
    monitor = CycleMonitor(
        lambda: services.salesforce.meter.total_calls + services.stripe.transport.total_calls,
        stall=stall, idle=2 * engine.config.salesforce.poll_interval + stall)
    bind = engine.sessions.kw.get("bind")
    if bind is not None:
        monitor.watch(bind)
    quietest = engine.config.salesforce.request_timeout + RETRY_BACKOFF
    if watchdog is not None and watchdog <= quietest:
        log.warning("WatchdogSec is shorter than one slow call (salesforce.request_timeout "
                    "plus a retry back-off): a healthy cycle may be taken for hung",
                    watchdog_seconds=watchdog, quietest_seconds=quietest)
    states = engine.ops.states
    return ServiceLink(Notifier.from_environment(env), monitor, beat=min(stall / 4, MAX_BEAT),
                       states=lambda: {system: connection.state.value
                                       for system, connection in states.current().items()})
