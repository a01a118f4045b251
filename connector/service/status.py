"""The one-line ``STATUS=`` the daemon shows in ``systemctl status``.

Built from what is known about the last cycle: its kind, when it ended, how long it took,
the state of each connection and a few counts. The connection states are plain strings keyed
by system, so richer states (``IDLE``, ``POLLING``, ``PAUSED``, ``SYSTEM_ERROR``, ...) slot in
without changing the line's shape.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from connector.sync.report import CycleReport

SYSTEMS = ("salesforce", "stripe", "email")
"""The connections a cycle uses, in the order the line lists them."""

COUNTS = (("salesforce_records_written", "written"), ("emails_sent", "emails"),
          ("dead_letters", "dead letters"))
"""Which counts of a cycle's summary the line shows, and what it calls them."""


@dataclass(frozen=True)
class CycleOutcome:
    """What is known of one finished cycle.

    Attributes:
        kind: ``full`` (Salesforce and Stripe) or ``stripe`` (webhooks, events backstop).
        finished: when it ended (timezone-aware UTC).
        seconds: how long it ran.
        connections: each system's state after it (``ok``, ``paused``, ``deferred``, ...).
        counts: named counts to show (records written, emails sent, dead letters).
        failed: why the cycle stopped, when a fatal error stopped it.
        states: each system's connection state (``IDLE``, ``PAUSED``, ``UNAUTHORIZED``...,
            :mod:`connector.ops.states`), when known.
    """

    kind: str
    finished: datetime
    seconds: float
    connections: Mapping[str, str] = field(default_factory=dict)
    counts: Mapping[str, int] = field(default_factory=dict)
    failed: str | None = None
    states: Mapping[str, str] = field(default_factory=dict)

    @property
    def connected(self) -> bool:
        """Whether the cycle reached Salesforce and Stripe (a spent budget counts as reached)."""
        return self.failed is None and all(
            self.connections.get(system) in ("ok", "paused") for system in ("salesforce", "stripe"))


def outcome_of(kind: str, report: CycleReport | None, failed: str | None, *,
               finished: datetime, seconds: float) -> CycleOutcome:
    """The outcome of a cycle that returned ``report``, or stopped with ``failed``."""
    if report is None:
        return CycleOutcome(kind, finished, seconds, {s: "unknown" for s in SYSTEMS},
                            failed=failed or "stopped")
    summary = report.summary()
    return CycleOutcome(kind, finished, seconds, connection_states(report),
                        {label: int(summary[key]) for key, label in COUNTS}, failed)


def connection_states(report: CycleReport) -> dict[str, str]:
    """Each system's state as a cycle left it: ``paused`` (API budget), ``deferred`` (a
    transient failure left work for the next cycle) or ``ok``."""
    def state(system: str) -> str:
        if system in report.paused:
            return "paused"
        return "deferred" if system in report.deferred else "ok"
    return {system: state(system) for system in SYSTEMS}


def status_line(outcome: CycleOutcome | None, *, phase: str = "running") -> str:
    """One line for ``STATUS=``: the phase, then the last cycle, its connections and counts.

    Examples:
        ``starting: first cycle under way``;
        ``running; last full cycle ok at 16:20:03 UTC (2.1 s): salesforce ok, stripe ok,
        email ok; written 4, emails 3, dead letters 0``.
    """
    if outcome is None:
        return f"{phase}: first cycle under way"
    verdict = f"failed ({outcome.failed})" if outcome.failed else "ok"
    when = outcome.finished.strftime("%H:%M:%S UTC")
    connections = ", ".join(f"{name} {state}" for name, state in outcome.connections.items())
    counts = ", ".join(f"{name} {value}" for name, value in outcome.counts.items())
    line = (f"{phase}; last {outcome.kind} cycle {verdict} at {when} "
            f"({outcome.seconds:.1f} s): {connections}")
    if outcome.states:
        line += "; connections " + ", ".join(f"{n} {s}" for n, s in outcome.states.items())
    return f"{line}; {counts}" if counts else line
