"""``sync --once`` and ``run``: the daemon's cycles, once or on a schedule."""

from __future__ import annotations

import argparse
import signal
import threading
from datetime import UTC, datetime
from types import FrameType

import structlog
from apscheduler.schedulers.blocking import BlockingScheduler

from connector.config import Config, load_config, resolve_config_path
from connector.errors import ConfigError, FatalError
from connector.secrets import Secrets
from connector.sync.engine import SyncEngine
from connector.sync.wiring import build_engine, load_mapping_set

log = structlog.get_logger(__name__)


def load(args: argparse.Namespace) -> Config:
    """The config named by ``--config`` / ``$CRM_CONNECTOR_CONFIG`` / ``./config.toml``."""
    return load_config(resolve_config_path(args.config))


def sync_once(args: argparse.Namespace) -> int:
    """Run one full cycle of every job, then exit (non-zero on a fatal error)."""
    engine = build_engine(load(args), Secrets())
    report = engine.run_cycle()
    return 1 if report.deferred else 0


def backfill(args: argparse.Namespace) -> int:
    """Re-read every Salesforce stream from scratch and apply it; non-zero if it was cut short.

    Nothing that is already in the ledger is created again or written again.
    """
    engine = build_engine(load(args), Secrets())
    report = engine.backfill()
    summary = report.summary()
    print(f"backfill: {summary['opportunities_read']} opportunities and "
          f"{report.edits.read} Subscription__c records read, "
          f"{summary['potential_subscriptions']} potential subscriptions created, "
          f"{summary['salesforce_records_deleted']} deletions found")
    unfinished = {"salesforce"} & {*report.deferred, *report.paused}
    if unfinished:
        print("backfill: Salesforce was paused or unreachable; the next sync carries on "
              "from where it stopped")
    return 1 if unfinished else 0


def run(args: argparse.Namespace) -> int:
    """Run cycles every ``poll_interval`` seconds until SIGTERM or SIGINT; SIGHUP reloads."""
    config = load(args)
    engine = build_engine(config, Secrets())
    daemon = Daemon(engine, config)
    daemon.install_signal_handlers()
    daemon.start()
    return 0


class Daemon:
    """The scheduled daemon: one sync job, never two at once, stopped between cycles."""

    def __init__(self, engine: SyncEngine, config: Config) -> None:
        self.engine = engine
        self.config = config
        self.scheduler = BlockingScheduler(timezone=UTC)
        self._reload = threading.Event()

    def start(self) -> None:
        """Run until stopped; the first cycle starts at once."""
        self.scheduler.add_job(
            self.cycle, "interval", id="sync", seconds=self.config.salesforce.poll_interval,
            next_run_time=datetime.now(UTC), max_instances=1, coalesce=True,
        )
        log.info("daemon started", poll_interval=self.config.salesforce.poll_interval,
                 mappings=self.engine.mappings.digest[:12])
        self.scheduler.start()
        log.info("daemon stopped")

    def cycle(self) -> None:
        """One scheduled cycle: reload mappings if asked, then sync; never raises."""
        if self._reload.is_set():
            self._reload.clear()
            self.reload_mappings()
        try:
            self.engine.run_cycle()
        except FatalError as exc:
            log.error("sync cycle failed; will try again next interval", error=str(exc))

    def reload_mappings(self) -> bool:
        """Swap in the mapping files if they are valid; keep the last good set otherwise."""
        try:
            fresh = load_mapping_set(self.config)
        except ConfigError as exc:
            log.error("mapping reload refused; keeping the last good set",
                      in_use=self.engine.mappings.digest[:12], problems=exc.problems)
            return False
        self.engine.mappings = fresh
        log.info("mappings reloaded", digest=fresh.digest[:12])
        return True

    def install_signal_handlers(self) -> None:
        """SIGTERM/SIGINT: finish the current cycle, then exit 0. SIGHUP: reload mappings."""
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        signal.signal(signal.SIGHUP, self._hup)

    def stop(self) -> None:
        """Stop scheduling; a cycle under way finishes first. Callable from any thread."""
        threading.Thread(target=self.scheduler.shutdown, kwargs={"wait": True}).start()

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        log.info("stopping after the current step", signal=signal.Signals(signum).name)
        self.stop()

    def _hup(self, signum: int, frame: FrameType | None) -> None:
        log.info("mapping reload requested")
        self._reload.set()
