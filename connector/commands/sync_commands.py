"""``sync --once`` and ``run``: the daemon's cycles, once or on a schedule."""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from types import FrameType

import structlog
from apscheduler.events import EVENT_SCHEDULER_STARTED
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from connector.commands.progress import TerminalProgress
from connector.commands.summary import cycle_summary
from connector.config import Config, load_config, resolve_config_path
from connector.errors import ConfigError, FatalError
from connector.ledger import daemon_state
from connector.ledger.models import Notification
from connector.ledger.unit_of_work import Ledger
from connector.log import configure_logging
from connector.notify import preview
from connector.ops.listener import Operations
from connector.ops.metrics import ClientCollector
from connector.secrets import Secrets
from connector.service import ServiceLink, ledger_lock, systemd_link
from connector.sync.daily import DAILY_HOUR, run_daily
from connector.sync.engine import SyncEngine
from connector.sync.mapping_reload import MappingReloader
from connector.sync.report import CycleReport
from connector.sync.wiring import build_engine, load_mapping_set
from connector.webhook.server import webhook_server

log = structlog.get_logger(__name__)


def load(args: argparse.Namespace) -> Config:
    """The config named by ``--config`` / ``$CRM_CONNECTOR_CONFIG`` / ``./config.toml``.

    Without ``--log-level`` the config's ``[logging] level`` is taken up from here on.
    """
    config = load_config(resolve_config_path(args.config))
    if getattr(args, "log_level", None) is None and config.logging.level != "info":
        configure_logging(config.logging.level, secrets=Secrets().values())
    return config


def sync_once(args: argparse.Namespace) -> int:
    """Run one full cycle of every job, print its summary line, then exit.

    Exit 1 when a system could not be reached (the next run carries on), else 0. Refused
    (exit 2) while another process (``run``) holds the ledger.
    """
    config = load(args)
    with ledger_lock(config.ledger.url, config.source or "config"):
        engine = build_engine(config, Secrets())
        engine.services.progress = TerminalProgress()  # a bar for reads through Bulk API
        started, calls = time.monotonic(), engine.services.salesforce.meter.total_calls
        run_daily(engine)
        report = engine.run_cycle()
        spent = engine.services.salesforce.meter.total_calls - calls
        print(cycle_summary(report, spent, time.monotonic() - started))
    return 1 if report.deferred else 0


def backfill(args: argparse.Namespace) -> int:
    """Re-read every Salesforce stream from scratch and apply it; non-zero if it was cut short.

    Nothing that is already in the ledger is created again or written again. Refused
    (exit 2) while another process (``run``) holds the ledger.
    """
    config = load(args)
    with ledger_lock(config.ledger.url, config.source or "config"):
        return _backfill(args, build_engine(config, Secrets()))


def _backfill(args: argparse.Namespace, engine: SyncEngine) -> int:
    since = getattr(args, "generate_since", None)
    if since is not None and not args.yes:
        return _show_history(engine, since)
    engine.services.progress = TerminalProgress(every_read=True)
    report = engine.backfill(generate_since=since)
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


def _show_history(engine: SyncEngine, since: date) -> int:
    """Print how many potential subscriptions ``backfill --generate-since`` would create."""
    def count(ledger: Ledger, report: CycleReport) -> tuple[int, int, int]:
        keys = report.generated.notifications
        with ledger.unit() as uow:
            csms = set(uow.session.scalars(
                select(Notification.recipient).where(Notification.key.in_(keys))))
        return len(report.generated.subscriptions), len(keys), len(csms)

    subscriptions, opportunities, csms = engine.dry_run(count, generate_since=since)
    day = since.isoformat()
    print(f"backfill --generate-since {day} would create {subscriptions} potential "
          f"subscriptions for {opportunities} opportunities won since then and email "
          f"{csms} CSMs (plan --generate-since {day} lists them).")
    print("Nothing was written. Run it again with --yes to create them.")
    return 0


def run(args: argparse.Namespace) -> int:
    """Run the daemon's jobs on their intervals until SIGTERM or SIGINT.

    Between cycles a change of the mapping files is validated and swapped in (SIGHUP forces
    a reload); an invalid set is refused and the last good one stays in force. The Stripe
    webhook receiver serves alongside (``stripe.webhook_listen``), wakes the daemon when an
    event arrives, and stops with it; so does the operations listener (``ops.listen``:
    ``/metrics``, ``/healthz``, ``/readyz``).

    One daemon per ledger: a second ``run`` (or ``sync --once``) on the same ledger is
    refused with the holder's pid and host (exit 2). Under systemd (``Type=notify``) it
    reports readiness, status, watchdog pings and its stop (:mod:`connector.service`).
    """
    config = load(args)
    with ledger_lock(config.ledger.url, config.source or "config"):
        return _run(config)


def _run(config: Config) -> int:
    secrets = Secrets()
    engine = build_engine(config, secrets)
    preview.check(engine.services.renderer, config.notifications.branding)  # refused on load
    link = systemd_link(engine)
    daemon = Daemon(engine, config, service=link)
    operations = Operations(config, engine.ops, [ClientCollector(engine.services)])
    try:
        receiver = webhook_server(config.stripe, secrets, engine.sessions, engine.clock,
                                  on_stored=daemon.wake, wrap=operations.webhook_timer)
    except ConfigError as exc:
        raise ConfigError([f"{config.source or 'config'}: {p}" for p in exc.problems]) from None
    operations.start()
    daemon.install_signal_handlers()
    if receiver is not None:
        receiver.start()
    try:
        daemon.start()
    finally:
        if receiver is not None:
            receiver.stop()
        operations.stop()
        link.close()
    return 0


WAKE_DELAY = timedelta(milliseconds=500)
"""How long a webhook's wake-up waits before applying the inbox, so a burst is one cycle."""

DUE_SLACK = 1.0
"""Seconds early the events backstop still counts as due (scheduler jitter)."""


class Daemon:
    """The scheduled daemon: four jobs, never two at once, stopped between them.

    * ``sync``, every ``salesforce.poll_interval`` seconds (the first at once): the full
      cycle. It lists Stripe's ``/v1/events`` only when the backstop is due.
    * ``stripe-events``, every ``stripe.events_poll_interval`` seconds: the backstop and
      the inbox without polling Salesforce, unless a full cycle has just listed the events.
    * ``inbox``, half a second after a webhook delivery (one run for a burst): the inbox
      without polling Salesforce or listing events, so a Stripe change reaches the ledger
      and Salesforce in about a second.
    * ``notifications-daily``, at start and every day at 08:00 UTC: the time-based
      notification facts (trials ending and expired, renewals; :mod:`connector.sync.daily`).

    Each job takes the same lock, so cycles never overlap; one that was waiting when the
    daemon is stopped does not start.
    """

    def __init__(self, engine: SyncEngine, config: Config,
                 monotonic: Callable[[], float] = time.monotonic, *,
                 service: ServiceLink | None = None) -> None:
        self.engine = engine
        self.config = config
        self.service = service
        self.scheduler = BlockingScheduler(timezone=UTC)
        self.reloader = MappingReloader(engine, lambda: load_mapping_set(config),
                                        config.mappings.dir, engine.sessions, engine.clock)
        self._reload = threading.Event()
        self._stopping = threading.Event()
        self._settled = threading.Event()  # the scheduler is running, or will not run
        self._busy = threading.Lock()
        self._monotonic = monotonic
        self._events_listed: float | None = None

    def start(self) -> None:
        """Run until stopped; the first full cycle starts at once."""
        self.scheduler.add_job(
            self.cycle, "interval", id="sync", seconds=self.config.salesforce.poll_interval,
            next_run_time=datetime.now(UTC), max_instances=1, coalesce=True,
        )
        self.scheduler.add_job(
            self.stripe_cycle, "interval", id="stripe-events",
            seconds=self.config.stripe.events_poll_interval, max_instances=1, coalesce=True,
        )
        self.scheduler.add_job(
            self.daily, "cron", id="notifications-daily", hour=DAILY_HOUR,
            next_run_time=datetime.now(UTC), max_instances=1, coalesce=True,
        )
        self.reloader.publish()
        self.scheduler.add_listener(lambda _: self._settled.set(), EVENT_SCHEDULER_STARTED)
        if self._stopping.is_set():  # stopped before it started (SIGTERM during start-up)
            self._settled.set()
            log.info("daemon stopped")
            return
        log.info("daemon started", poll_interval=self.config.salesforce.poll_interval,
                 events_poll_interval=self.config.stripe.events_poll_interval,
                 mappings=self.engine.mappings.digest[:12])
        if self.service is not None:
            self.service.started()
        self.scheduler.start()
        log.info("daemon stopped")

    def cycle(self) -> None:
        """The ``sync`` job: take up changed mappings if valid, then sync; never raises."""
        with self._busy:
            if not self._stopping.is_set():
                self._attempt("full", self._full_cycle)

    def _full_cycle(self) -> CycleReport:
        forced = self._reload.is_set()
        self.reload_mappings(force=forced)
        if forced:
            self.check_templates()
        self._reload.clear()
        return self.engine.run_cycle(list_events=self._events_due())

    def daily(self) -> None:
        """The ``notifications-daily`` job: trials ending and expired, renewals coming
        (ledger only; the next cycle sends what it queues); never raises."""
        with self._busy:
            if self._stopping.is_set():
                return
            try:
                run_daily(self.engine)
            except (FatalError, SQLAlchemyError) as exc:
                log.error("daily notification job failed; it runs again tomorrow or at the "
                          "next start", error=str(exc))

    def stripe_cycle(self) -> None:
        """The ``stripe-events`` job: the events backstop, if due, then the inbox."""
        with self._busy:
            if not self._stopping.is_set() and self._events_due():
                self._attempt("stripe", lambda: self.engine.run_stripe_cycle(list_events=True))

    def apply_inbox(self) -> None:
        """The ``inbox`` job: apply what webhooks delivered, without polling anything."""
        with self._busy:
            if not self._stopping.is_set():
                self._attempt("stripe",
                              lambda: self.engine.run_stripe_cycle(list_events=False))

    def wake(self) -> None:
        """A webhook delivered a new event: run the ``inbox`` job soon. Callable from any
        thread; while a run is already scheduled this does nothing, so a burst is one run."""
        if self._stopping.is_set() or self.scheduler.get_job("inbox") is not None:
            return
        self.scheduler.add_job(
            self.apply_inbox, "date", id="inbox", run_date=datetime.now(UTC) + WAKE_DELAY,
            replace_existing=True, max_instances=2, misfire_grace_time=None,
        )

    def reload_mappings(self, *, force: bool = True) -> bool:
        """Swap in the mapping files if they changed (or ``force``) and are valid.

        Returns:
            Whether a new set is in force; an invalid one is refused, the last good one kept.
        """
        return self.reloader.check(force=force)

    def check_templates(self) -> bool:
        """Check every catalog template (SIGHUP); a broken one is refused with
        ``file:line: reason`` in the log and in ``status``, its last good version stays in
        force. Return whether all are good."""
        renderer = self.engine.services.renderer
        renderer.reload()
        problems = preview.problems(renderer, self.config.notifications.branding)
        now = self.engine.clock.now()
        if problems:
            log.error("email templates refused; the last good versions stay in force",
                      problems=problems)
        daemon_state.put(self.engine.sessions, daemon_state.TEMPLATES_REFUSED,
                         {"problems": problems, "at": now.isoformat()} if problems else None,
                         now)
        return not problems

    def install_signal_handlers(self) -> None:
        """SIGTERM/SIGINT: finish the current cycle, then exit 0. SIGHUP: reload mappings and
        check the email templates."""
        signal.signal(signal.SIGTERM, self._stop)
        signal.signal(signal.SIGINT, self._stop)
        signal.signal(signal.SIGHUP, self._hup)

    def stop(self) -> None:
        """Stop scheduling; a cycle under way finishes first. Callable from any thread."""
        self._stopping.set()
        if self.service is not None:
            self.service.stopping()
        threading.Thread(target=self._shut_down, name="daemon-stop", daemon=True).start()

    def _shut_down(self) -> None:
        # A stop that comes while start() is still getting ready (a SIGTERM right after the
        # webhook receiver came up) waits until the scheduler runs or has declined to.
        self._settled.wait()
        with contextlib.suppress(SchedulerNotRunningError):
            self.scheduler.shutdown(wait=True)

    def _events_due(self) -> bool:
        """Whether the events backstop should run now; if so, it counts as run."""
        now = self._monotonic()
        interval = self.config.stripe.events_poll_interval
        if self._events_listed is not None and now - self._events_listed < interval - DUE_SLACK:
            return False
        self._events_listed = now
        return True

    def _attempt(self, kind: str, cycle: Callable[[], CycleReport]) -> None:
        """Run one cycle of ``kind``; a fatal error is logged and the next interval retries.
        The service link hears of its start and its end (for the watchdog and STATUS=)."""
        report: CycleReport | None = None
        failed: str | None = "unexpected error"
        if self.service is not None:
            self.service.cycle_started(kind)
        try:
            report, failed = cycle(), None
        except FatalError as exc:
            failed = type(exc).__name__
            log.error("sync cycle failed; will try again next interval", error=str(exc))
        finally:
            if self.service is not None:
                self.service.cycle_finished(kind, report, failed)

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        log.info("stopping after the current step", signal=signal.Signals(signum).name)
        self.stop()

    def _hup(self, signum: int, frame: FrameType | None) -> None:
        log.info("mapping reload requested")
        self._reload.set()
