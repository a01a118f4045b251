"""What the sync engine tells the operations surface around each cycle and step.

The engine calls :meth:`OpsHooks.cycle_started` before a cycle (it learns which systems an
admin paused), :meth:`OpsHooks.step_failed` when a system's step gives up, and
:meth:`OpsHooks.cycle_finished` or :meth:`OpsHooks.cycle_failed` at the end; the hooks set
the connection states (:mod:`connector.ops.states`) and count the cycle in the metrics.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

import structlog
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from connector.clock import Clock
from connector.errors import AuthenticationError, BudgetExhaustedError
from connector.ledger import daemon_state
from connector.ledger.models import ConnectionState
from connector.ops.states import ADMIN_PAUSE, SYSTEMS, ConnectionStates, first_line

if TYPE_CHECKING:
    from connector.ops.metrics import SyncMetrics
    from connector.sync.report import CycleReport

log = structlog.get_logger(__name__)

LAST_CYCLE = "ops.last_cycle"
"""``{"at", "kind", "ok", "last_success"}``: the daemon's last cycle, for ``status``."""
POLLED = {"full": SYSTEMS, "stripe": ("stripe",)}
"""The systems each kind of cycle polls (and so sets POLLING, then IDLE)."""


@dataclass(frozen=True)
class CycleStart:
    """What :meth:`OpsHooks.cycle_started` learnt; handed back at the end."""

    kind: str
    started: float
    paused: frozenset[str]


class OpsHooks:
    """Connection states and metrics, driven by the engine.

    Args:
        sessions: the ledger.
        clock: the daemon's clock.
        metrics: where cycles are counted (None: not counted, e.g. ``sync --once``).
        monotonic: seconds for durations.
    """

    def __init__(self, sessions: sessionmaker[Session], clock: Clock,
                 metrics: SyncMetrics | None = None,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.sessions = sessions
        self.clock = clock
        self.metrics = metrics
        self.states = ConnectionStates(sessions, clock)
        self._monotonic = monotonic
        self._failed: set[str] = set()
        self._running = False  # states change only inside a cycle (plan's dry run is none)
        self._restored = False
        self.last_success: datetime | None = None
        """When the last full cycle ended with nothing deferred (``/readyz``)."""

    def cycle_started(self, kind: str) -> CycleStart:
        """Mark the cycle's systems POLLING (or PAUSED when an admin paused them).

        Returns:
            The systems to skip this cycle, with the start time.
        """
        self._failed, self._running = set(), True
        try:
            if not self._restored:
                self.states.restore()
                self._restored = True
            paused = frozenset(self.states.paused())
        except SQLAlchemyError as exc:
            self._running = False
            self.ledger_unavailable(exc)
            raise
        for system in POLLED.get(kind, ()):
            if system in paused:
                self.states.set(system, ConnectionState.PAUSED, ADMIN_PAUSE)
            else:
                self.states.set(system, ConnectionState.POLLING)
        return CycleStart(kind, self._monotonic(), paused)

    def step_failed(self, system: str, exc: Exception) -> None:
        """A step of ``system`` gave up with ``exc`` (after the adapter's retries); outside a
        cycle (``plan``'s reading steps) nothing changes."""
        if system not in SYSTEMS or not self._running:
            return
        self._failed.add(system)
        if isinstance(exc, BudgetExhaustedError):
            state = ConnectionState.PAUSED
        elif isinstance(exc, AuthenticationError):
            state = ConnectionState.UNAUTHORIZED
        else:
            state = ConnectionState.SYSTEM_ERROR
        self.states.set(system, state, str(exc))

    def ledger_unavailable(self, exc: Exception) -> None:
        """The ledger could not be read or written: every system is DB_UNAVAILABLE."""
        self.states.ledger_unavailable(first_line(exc))

    def cycle_finished(self, start: CycleStart, report: CycleReport) -> None:
        """The cycle ran to its end: systems that did not fail are IDLE; count it."""
        self._running = False
        for system in POLLED.get(start.kind, ()):
            if system not in self._failed and system not in start.paused:
                self.states.set(system, ConnectionState.IDLE)
        ok = not report.deferred
        now = self.clock.now()
        if ok and start.kind == "full":
            self.last_success = now
        self._publish(start.kind, ok, now)
        if self.metrics is not None:
            self.metrics.observe_cycle(start.kind, report, self._monotonic() - start.started,
                                       "ok" if ok else "deferred")

    def cycle_failed(self, start: CycleStart, exc: Exception) -> None:
        """The cycle stopped with ``exc`` (fatal, or the ledger went away); count it.

        The failing system's state was set by :meth:`step_failed` (or
        :meth:`ledger_unavailable`) on the way out.
        """
        self._running = False
        log.debug("cycle failed", kind=start.kind, error=str(exc))
        self._publish(start.kind, False, self.clock.now())
        if self.metrics is not None:
            self.metrics.observe_cycle(start.kind, None, self._monotonic() - start.started,
                                       "failed")

    def _publish(self, kind: str, ok: bool, now: datetime) -> None:
        last = self.last_success.isoformat() if self.last_success else None
        try:
            daemon_state.put(self.sessions, LAST_CYCLE,
                             {"at": now.isoformat(), "kind": kind, "ok": ok,
                              "last_success": last}, now)
        except SQLAlchemyError as exc:
            self.ledger_unavailable(exc)
