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
from connector.errors import FatalError
from connector.secrets import Secrets
from connector.sync.engine import SyncEngine
from connector.sync.mapping_reload import MappingReloader
from connector.sync.wiring import build_engine, load_mapping_set
from connector.webhook.server import webhook_server

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
    """Run cycles every ``poll_interval`` seconds until SIGTERM or SIGINT.

    Between cycles a change of the mapping files is validated and swapped in (SIGHUP forces
    a reload); an invalid set is refused and the last good one stays in force. The Stripe
    webhook receiver serves alongside (``stripe.webhook_listen``) and stops with the daemon.
    """
    config = load(args)
    secrets = Secrets()
    engine = build_engine(config, secrets)
    receiver = webhook_server(config.stripe, secrets, engine.sessions, engine.clock)
    daemon = Daemon(engine, config)
    daemon.install_signal_handlers()
    if receiver is not None:
        receiver.start()
    try:
        daemon.start()
    finally:
        if receiver is not None:
            receiver.stop()
    return 0


class Daemon:
    """The scheduled daemon: one sync job, never two at once, stopped between cycles."""

    def __init__(self, engine: SyncEngine, config: Config) -> None:
        self.engine = engine
        self.config = config
        self.scheduler = BlockingScheduler(timezone=UTC)
        self.reloader = MappingReloader(engine, lambda: load_mapping_set(config),
                                        config.mappings.dir, engine.sessions, engine.clock)
        self._reload = threading.Event()

    def start(self) -> None:
        """Run until stopped; the first cycle starts at once."""
        self.scheduler.add_job(
            self.cycle, "interval", id="sync", seconds=self.config.salesforce.poll_interval,
            next_run_time=datetime.now(UTC), max_instances=1, coalesce=True,
        )
        self.reloader.publish()
        log.info("daemon started", poll_interval=self.config.salesforce.poll_interval,
                 mappings=self.engine.mappings.digest[:12])
        self.scheduler.start()
        log.info("daemon stopped")

    def cycle(self) -> None:
        """One scheduled cycle: take up changed mappings if valid, then sync; never raises."""
        self.reload_mappings(force=self._reload.is_set())
        self._reload.clear()
        try:
            self.engine.run_cycle()
        except FatalError as exc:
            log.error("sync cycle failed; will try again next interval", error=str(exc))

    def reload_mappings(self, *, force: bool = True) -> bool:
        """Swap in the mapping files if they changed (or ``force``) and are valid.

        Returns:
            Whether a new set is in force; an invalid one is refused, the last good one kept.
        """
        return self.reloader.check(force=force)

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
