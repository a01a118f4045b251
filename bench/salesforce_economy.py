"""Salesforce API economy and ledger speed at scale, against the bundled emulator.

    .venv/bin/python bench/salesforce_economy.py [--sizes 10000 100000]

For each N: seeds N open opportunities (not won, so nothing is generated) and, in an org with
the License Management App, a licence for each of the first ``LICENCES`` accounts, then runs
``backfill`` on an empty SQLite ledger, one incremental cycle with 1% of them changed, one
cycle with nothing changed, and a dispatch of N/10 potential subscriptions to Salesforce.
Prints, per phase, the Salesforce API calls by kind (counted by the daemon's own meter, the
OAuth token exchange not included), records per second and peak RSS growth of the daemon's
process (sampled every 20 ms, over the RSS when the phase starts; the Salesforce emulator
runs in a child process, the Stripe and SMTP emulators in this one), then the ledger ingest
rate (the backfilled records applied to a fresh SQLite ledger in chunks as a read does,
without the network; best of three runs, per second of wall time and of CPU time) and checks
each figure against its target.
"""

from __future__ import annotations

import argparse
import gc
import math
import multiprocessing
import resource
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from connector.config import load_config
from connector.inbound.salesforce.opportunities import Cutoff, OpportunityReads
from connector.ledger.models import OutboxOperation, OutboxTarget, Subscription
from connector.ledger.unit_of_work import Ledger
from connector.retry import NO_WAIT
from connector.salesforce.reader import CHUNK, Cursor
from connector.secrets import Secrets
from connector.sync.engine import SyncEngine
from connector.sync.wiring import build_engine, open_ledger
from crm_emulators.salesforce import SalesforceEmulator
from crm_emulators.smtp import SmtpSink
from crm_emulators.stack import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    INTEGRATION_USER,
    EmulatorStack,
)
from crm_emulators.stripe_emulator import StripeEmulator

REPO = Path(__file__).resolve().parents[1]
START = datetime(2026, 11, 23, 9, tzinfo=UTC)
ACCOUNTS = 1000
PER_SECOND = 200  # opportunities the seeded org saw saved per second
POLLED = 4
"""Objects a cycle polls: Opportunity, OpportunityLineItem (its own stream since issue 14),
Subscription__c and the licence object sfLma__License__c (issue 18)."""
LICENCES = 100
"""Accounts with a licence; their summaries are written to Account in the backfill cycle."""
REPEATS = 3  # the ledger ingest is timed this often, on fresh ledgers; the best run counts


@dataclass
class Phase:
    """The figures of one phase."""

    name: str
    records: int
    calls: Counter[str]
    seconds: float
    rss_growth_mb: float

    def line(self) -> str:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(self.calls.items())) or "none"
        rate = self.records / self.seconds if self.seconds else 0.0
        return (f"  {self.name:<28} {sum(self.calls.values()):>4} calls ({kinds}); "
                f"{self.records} records in {self.seconds:.1f} s = {rate:,.0f}/s; "
                f"peak RSS +{self.rss_growth_mb:.0f} MB")


def main() -> None:
    """Run the benchmark for every size asked for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    for size in parser.parse_args().sizes:
        run(size)


def run(size: int) -> None:
    """Every phase for ``size`` opportunities, in a fresh org and ledger."""
    clock = new_clock()
    org = RemoteOrg(clock, packages=("sfLma",))  # the emulator runs in a child process
    stripe = StripeEmulator(clock=clock).start()
    stack = EmulatorStack(org, stripe, SmtpSink().start())  # type: ignore[arg-type]
    try:
        with tempfile.TemporaryDirectory() as folder:
            ids = org.call("seed", size)
            engine = _engine(stack, Path(folder), clock)
            phases = _phases(org, clock, engine, ids)
            ingest = max(_ingest_rate(engine, clock, Path(folder), n) for n in range(REPEATS))
    finally:
        stack.stop()
    _report(size, phases, ingest)


def new_clock() -> SharedClock:
    """A clock at ``START`` that a forked child process shares."""
    return SharedClock(multiprocessing.get_context("fork").Value("d", START.timestamp()))


class SharedClock:
    """A manual clock both processes read: the time lives in shared memory."""

    def __init__(self, value: Any) -> None:
        self._value = value

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._value.value, UTC)

    def advance(self, delta: timedelta) -> datetime:
        with self._value.get_lock():
            self._value.value += delta.total_seconds()
        return self.now()


class RemoteOrg:
    """The Salesforce emulator in a forked child process, so that its 100,000 records and
    its query work do not count in the daemon's memory; commands go over a pipe.

    ``options`` are keyword arguments for the emulator. The ``run`` command calls a
    module-level function with the emulator, the clock and its arguments in the child.
    """

    def __init__(self, clock: SharedClock, **options: Any) -> None:
        context = multiprocessing.get_context("fork")
        self._pipe, child = context.Pipe()
        self._process = context.Process(target=_serve_org, args=(child, clock, options),
                                        daemon=True)
        self._process.start()
        self.url, self.ca_path = self._pipe.recv()

    @property
    def pid(self) -> int:
        """The emulator's process id."""
        return int(self._process.pid or 0)

    def call(self, command: str, *args: Any) -> Any:
        self._pipe.send((command, args))
        return self._pipe.recv()

    def stop(self) -> None:
        self.call("stop")
        self._process.join(timeout=30)


def _serve_org(pipe: Any, clock: SharedClock, options: dict[str, Any]) -> None:
    emulator = SalesforceEmulator(clock, daily_api_limit=10_000_000,  # type: ignore[arg-type]
                                  **options).start()
    emulator.add_user(INTEGRATION_USER, "integration-password", name="Integration User",
                      email=INTEGRATION_USER)
    emulator.add_connected_app(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
                               run_as_username=INTEGRATION_USER)
    pipe.send((emulator.url, emulator.ca_path))
    while True:
        command, args = pipe.recv()
        if command == "stop":
            emulator.stop()
            pipe.send(None)
            return
        if command == "seed":
            pipe.send(_seed(emulator, clock, *args))
        elif command == "run":
            function, *rest = args
            pipe.send(function(emulator, clock, *rest))
        elif command == "touch":
            for record_id in args[0]:
                emulator.update("Opportunity", record_id, {"Description": "changed"})
            pipe.send(None)


def _phases(org: RemoteOrg, clock: SharedClock, engine: SyncEngine,
            ids: list[str]) -> list[Phase]:
    size = len(ids)
    changed = ids[::100]
    writes = size // 10
    phases = [_measure("backfill", size, engine, clock, engine.backfill)]
    org.call("touch", changed)
    phases.append(_measure("cycle, 1% changed", len(changed), engine, clock, engine.run_cycle))
    phases.append(_measure("cycle, nothing changed", 0, engine, clock, engine.run_cycle))
    _queue_potential_subscriptions(engine, clock, writes)
    phases.append(_measure(f"write {writes} subscriptions", writes, engine, clock,
                           engine.run_cycle))
    return phases


def _measure(name: str, records: int, engine: SyncEngine, clock: SharedClock,
             step: Callable[[], Any]) -> Phase:
    meter = engine.services.salesforce.meter
    before = meter.calls.copy()
    clock.advance(timedelta(seconds=2))  # reads take finished seconds only
    sampler = _RssSampler()
    started = time.perf_counter()
    with sampler:
        step()
    seconds = time.perf_counter() - started
    return Phase(name, records, meter.calls - before, seconds, sampler.growth_mb)


class _RssSampler:
    """Samples this process's RSS every 20 ms while in use; reports the peak over the start."""

    def __init__(self) -> None:
        self._start = _rss_mb()
        self._peak = self._start
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    @property
    def growth_mb(self) -> float:
        return self._peak - self._start

    def __enter__(self) -> _RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        self._thread.join()
        self._peak = max(self._peak, _rss_mb())

    def _sample(self) -> None:
        while not self._done.wait(0.02):
            self._peak = max(self._peak, _rss_mb())


def _seed(emu: SalesforceEmulator, clock: SharedClock, size: int) -> list[str]:
    accounts = [emu.insert("Account", {"Name": f"Account {n}"}) for n in range(ACCOUNTS)]
    for account in accounts[:min(LICENCES, size)]:
        emu.insert("sfLma__License__c", {"sfLma__Account__c": account, "sfLma__Status__c":
                                         "Active", "sfLma__Seats__c": 10,
                                         "sfLma__Used_Licenses__c": 7})
    ids = []
    for n in range(size):
        ids.append(emu.insert("Opportunity", {
            "Name": f"Deal {n}", "AccountId": accounts[n % ACCOUNTS], "StageName": "Prospecting",
            "CloseDate": "2026-12-15", "Amount": 1000 + n % 97}))
        if n % PER_SECOND == PER_SECOND - 1:
            clock.advance(timedelta(seconds=1))
    return ids


def _engine(stack: EmulatorStack, folder: Path, clock: SharedClock) -> SyncEngine:
    config = load_config(stack.write_config(folder, REPO / "mappings", REPO / "templates"))
    return build_engine(config, Secrets(stack.environment()), clock,  # type: ignore[arg-type]
                        retry=NO_WAIT)


def _queue_potential_subscriptions(engine: SyncEngine, clock: SharedClock, count: int) -> None:
    """``count`` potential subscriptions in the ledger, each with its pending upsert."""
    with Ledger(engine.sessions, clock, "bench").unit() as uow:  # type: ignore[arg-type]
        for n in range(count):
            subscription = Subscription(status="potential", currency="usd", term_months=12,
                                        created_at=uow.now, updated_at=uow.now)
            subscription.id = f"sub-bench{n:027d}"
            uow.session.add(subscription)
            uow.session.add(OutboxOperation(
                key=f"salesforce:Subscription__c:{subscription.id}:generate",
                target=str(OutboxTarget.SALESFORCE), operation="upsert:Subscription__c",
                entity_type="subscription", entity_id=subscription.id,
                payload={"Ledger_Id__c": subscription.id, "Status__c": "Potential",
                         "Quantity__c": 1 + n % 5, "Currency__c": "USD", "Term_Months__c": 12},
                next_attempt_at=uow.now, created_at=uow.now))


def _ingest_rate(engine: SyncEngine, clock: SharedClock, folder: Path,
                 attempt: int) -> tuple[float, float]:
    """Records per second applied to a fresh SQLite ledger, chunk by chunk as a read does:
    per second of wall time, and per second of this process's CPU time (which other work on
    a shared machine does not slow down)."""
    engine.org.prefetch(("Opportunity", "Account"))
    step = OpportunityReads(engine.services.salesforce,
                            engine.mappings.opportunity_to_subscription, Cutoff(), engine.org)
    rows = [r for batch, _ in step.batches(Cursor(), clock.now()) for r in batch]
    fresh = engine.config.model_copy(update={"ledger": engine.config.ledger.model_copy(
        update={"url": f"sqlite:///{folder / f'ingest-{attempt}.db'}"})})
    _, sessions = open_ledger(fresh)
    ledger = Ledger(sessions, clock, "ingest")  # type: ignore[arg-type]
    # All the records read are held here at once; a daemon holds one chunk of them. Keep the
    # garbage collector from scanning them over and over while the ledger is timed.
    gc.collect()
    gc.freeze()
    started, cpu_started = time.perf_counter(), time.process_time()
    for start in range(0, len(rows), CHUNK):
        with ledger.unit() as uow:
            step.apply(uow, rows[start:start + CHUNK])
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    gc.unfreeze()
    return len(rows) / seconds, len(rows) / cpu


def _report(size: int, phases: list[Phase], rates: tuple[float, float]) -> None:
    backfill, _, idle, writes = phases
    summaries = math.ceil(min(LICENCES, size) / 200)  # Account writes of the first summaries
    targets = [
        ("backfill calls", sum(backfill.calls.values()),
         (10 if backfill.calls["bulk_create"] else math.ceil(size / 2000) + 3) + 1 + summaries),
        (f"no-change cycle calls ({POLLED} polled objects)", sum(idle.calls.values()), POLLED),
        ("write calls", sum(writes.calls.values()), math.ceil(writes.records / 200) + POLLED),
    ]
    print(f"N = {size:,} opportunities")
    for phase in phases:
        print(phase.line())
    ingest, ingest_cpu = rates
    print(f"  ledger ingest (SQLite)       {ingest:,.0f} records/s of wall time, "
          f"{ingest_cpu:,.0f} per CPU second (target >= 5,000)")
    worst_rss = max(p.rss_growth_mb for p in phases)
    for name, value, limit in targets:
        print(f"  {'ok ' if value <= limit else 'MISS'} {name}: {value} (target <= {limit})")
    print(f"  {'ok ' if worst_rss < 150 else 'MISS'} peak RSS growth: {worst_rss:.0f} MB "
          "(target < 150 MB)")
    print(f"  {'ok ' if max(rates) >= 5000 else 'MISS'} ledger ingest: {ingest:,.0f}/s wall, "
          f"{ingest_cpu:,.0f}/s CPU")


def _rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as statm:
        pages = int(statm.read().split()[1])
    return pages * resource.getpagesize() / 2**20


if __name__ == "__main__":
    main()
