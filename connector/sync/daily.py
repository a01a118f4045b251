"""The daily notification job: time-based facts (trials ending and expired, renewals).

The daemon runs it once a day and when it starts (a restart catches up); ``sync --once`` runs
it before its cycle. It reads the ledger only; the notifications it queues are sent by the
next cycle's email step.
"""

from __future__ import annotations

import structlog

from connector.clock import Clock
from connector.ledger.unit_of_work import Ledger
from connector.sync.engine import SyncEngine
from connector.workflows.moments import Moments
from connector.workflows.notices import CatalogStep

log = structlog.get_logger(__name__)

DAILY_HOUR = 8
"""The UTC hour the daemon runs the job at (besides at start-up)."""


def run_daily(engine: SyncEngine, clock: Clock | None = None) -> int:
    """Announce the time-based facts now due and queue their notifications; return how
    many facts were new.

    Args:
        clock: the time to run at (the engine's; the demo passes the emulators' moved time).
    """
    ledger = Ledger(engine.sessions, clock or engine.clock, "daily-notifications")
    settings = engine.config.notifications
    announced = Moments(settings).run(ledger)
    queued = CatalogStep(settings).run(ledger)
    log.info("daily notification job finished", facts=announced, queued=queued.queued,
             skipped=queued.skipped, late=queued.late)
    return announced
