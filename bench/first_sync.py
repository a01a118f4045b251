"""The first sync of a real org's won history, against the bundled emulators.

    .venv/bin/python bench/first_sync.py [--opportunities 5000] [--profile DIR]

Seeds N closed-won opportunities with one line item each (one product whose ProductCode is a
Stripe price's lookup key, one account, one CSM user with an email) in the Salesforce
emulator, then runs one full cycle (what ``sync --once`` runs) on an empty SQLite ledger with
``[sync] generate_since = "all"``, so every opportunity generates its potential subscription,
its ``Subscription__c`` upsert and its share of the CSM's email. Prints the Salesforce calls
the emulator received, by kind, split into reads and writes; the emails the SMTP sink
received; the cycle's wall time; the daemon's peak RSS growth; and checks each against its
target (issue 14): reads <= 3 x ceil(N/2000) + 4, writes <= ceil(N/200) + 2, emails = CSMs,
wall < 20 s.

The Salesforce emulator runs in a child process (as in ``salesforce_economy.py``), so the
wall time includes its work but the RSS figure is the daemon's (plus the in-process Stripe
and SMTP emulators). With ``--profile DIR`` and ``py-spy`` on ``PATH`` (``pip install
py-spy``; it needs ptrace, as root), py-spy samples both processes during the cycle:
``DIR/daemon.txt`` and ``DIR/emulator.txt`` hold the collapsed stacks, ``*-top.txt`` the
functions by own and by inclusive samples. Without py-spy the daemon's cycle runs under
cProfile instead (``DIR/daemon.prof``; cProfile slows it, so that run's wall time is not the
figure) and the emulator is not profiled.

Where the org or the daemon lacks a switch the workload asks for (a single-currency
emulator, the ``generate_since`` key), the run goes on without it and says so.
"""

from __future__ import annotations

import argparse
import cProfile
import inspect
import math
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from salesforce_economy import (
    PER_SECOND,
    REPO,
    RemoteOrg,
    SharedClock,
    _RssSampler,
    new_clock,
)

from connector.config import load_config
from connector.retry import NO_WAIT
from connector.secrets import Secrets
from connector.sync.engine import SyncEngine
from connector.sync.wiring import build_engine
from crm_emulators.salesforce import SalesforceEmulator
from crm_emulators.smtp import SmtpSink
from crm_emulators.stack import EmulatorStack
from crm_emulators.stripe_emulator import StripeEmulator

LOOKUP_KEY = "PLATFORM-MONTHLY"
CSM_EMAIL = "csm@example.com"
CSMS = 1
ORG_OPTIONS: dict[str, Any] = {"multi_currency": False}
"""Keyword arguments for the emulator: a single-currency org (dropped if it has no such mode)."""
"""The ``[sync]`` keys of the config (dropped where the daemon does not know them yet)."""

READS = {"query", "queryMore", "describe", "limits", "deleted", "bulk query create",
         "bulk query status", "bulk query results", "composite describes + Organization"}


@dataclass
class Figures:
    """What the cycle did and cost."""

    size: int
    calls: Counter[str]
    queries: Counter[str]
    emails: int
    seconds: float
    rss_growth_mb: float
    caveats: list[str]
    steps: dict[str, float]

    @property
    def reads(self) -> int:
        return sum(n for kind, n in self.calls.items() if kind in READS)

    @property
    def writes(self) -> int:
        return sum(n for kind, n in self.calls.items() if kind not in READS)


def main() -> None:
    """Run the benchmark once and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opportunities", type=int, default=5000)
    parser.add_argument("--profile", type=Path, help="folder for the cycle's profiles")
    args = parser.parse_args()
    _report(run(args.opportunities, args.profile))


def run(size: int, profile: Path | None = None) -> Figures:
    """Seed ``size`` won opportunities, run the first cycle, and measure it."""
    clock = new_clock()
    caveats: list[str] = []
    org = RemoteOrg(clock, **_supported(SalesforceEmulator.__init__, ORG_OPTIONS, caveats))
    stripe = StripeEmulator(clock=clock).start()
    stack = EmulatorStack(org, stripe, SmtpSink().start())  # type: ignore[arg-type]
    try:
        stripe.seed_price("Platform", LOOKUP_KEY, 49900)
        org.call("run", _seed, size)
        if org.call("run", _has_currency_field):
            caveats.append("org is multi-currency (Opportunity.CurrencyIsoCode exists)")
        with tempfile.TemporaryDirectory() as folder:
            engine = _engine(stack, Path(folder), clock)
            return _measure(engine, org, stack.smtp, clock, size, profile, caveats)
    finally:
        stack.stop()


def _supported(function: Any, options: dict[str, Any], caveats: list[str]) -> dict[str, Any]:
    known = inspect.signature(function).parameters
    for name in options.keys() - known.keys():
        caveats.append(f"emulator has no {name!r} option: run without it")
    return {k: v for k, v in options.items() if k in known}


def _seed(emu: SalesforceEmulator, clock: SharedClock, size: int) -> None:
    """In the emulator's process: the org of the workload, its records saved 200 a second."""
    csm = emu.add_user(CSM_EMAIL, "pw", name="Casey Success", email=CSM_EMAIL)
    account = emu.insert("Account", {"Name": "Acme", "CSM__c": csm})
    product = emu.insert("Product2", {"Name": "Platform", "ProductCode": LOOKUP_KEY})
    book = emu.insert("Pricebook2", {"Name": "Standard Price Book", "IsActive": True})
    entry = emu.insert("PricebookEntry", {"Pricebook2Id": book, "Product2Id": product,
                                          "UnitPrice": 499.0, "IsActive": True})
    for n in range(size):
        opportunity = emu.insert("Opportunity", {
            "Name": f"Deal {n}", "AccountId": account, "StageName": "Closed Won",
            "CloseDate": "2025-11-23", "Amount": 499.0})
        emu.insert("OpportunityLineItem", {"OpportunityId": opportunity,
                                           "PricebookEntryId": entry, "Product2Id": product,
                                           "Quantity": 1.0, "UnitPrice": 499.0})
        if n % PER_SECOND == PER_SECOND - 1:
            clock.advance(timedelta(seconds=1))


def _has_currency_field(emu: SalesforceEmulator, clock: SharedClock) -> bool:
    return "CurrencyIsoCode" in emu.get(
        "Opportunity", emu.records("Opportunity")[0]["Id"])


def _request_log(emu: SalesforceEmulator, clock: SharedClock, clear: bool) -> list[Any]:
    entries = emu.request_log
    if clear:
        emu.reset_counters()
    return entries


def _engine(stack: EmulatorStack, folder: Path, clock: SharedClock) -> SyncEngine:
    path = stack.write_config(folder, REPO / "mappings", REPO / "templates",
                              generate_since="all")
    return build_engine(load_config(path), Secrets(stack.environment()),
                        clock,  # type: ignore[arg-type]
                        retry=NO_WAIT)


def _measure(engine: SyncEngine, org: RemoteOrg, smtp: SmtpSink, clock: SharedClock,
             size: int, profile: Path | None, caveats: list[str]) -> Figures:
    queries = _count_queries(engine)
    steps = _time_steps(engine)
    engine.services.salesforce.instance_url  # log in before the clock starts  # noqa: B018
    org.call("run", _request_log, True)
    clock.advance(timedelta(seconds=2))  # reads take finished seconds only
    sampler = _RssSampler()
    spy = _Sampler({"daemon": os.getpid(), "emulator": org.pid}, profile)
    with sampler, spy:
        profiler = cProfile.Profile() if profile and not spy.sampling else None
        started = time.perf_counter()
        if profiler:
            profiler.runcall(engine.run_cycle)
        else:
            engine.run_cycle()
        seconds = time.perf_counter() - started
    if profiler and profile:
        profiler.dump_stats(profile / "daemon.prof")
    calls = Counter(_kind(m, p) for m, p in org.call("run", _request_log, False))
    return Figures(size, calls, queries, len(smtp.messages), seconds, sampler.growth_mb,
                   caveats + spy.caveats, steps)


def _count_queries(engine: SyncEngine) -> Counter[str]:
    """Tallies the object each SOQL query reads, by wrapping the client's first page."""
    client = engine.services.salesforce
    tally: Counter[str] = Counter()
    first_page = client.first_page

    def counted(soql: str, include_deleted: bool = False) -> Any:
        words = soql.split()
        tally[words[words.index("FROM") + 1] if "FROM" in words else "?"] += 1
        return first_page(soql, include_deleted)

    client.first_page = counted  # type: ignore[method-assign]
    return tally


STEPS = {"reads.run": "read Salesforce", "_stripe_reads": "read Stripe",
         "_activate": "activate in Stripe", "_update_stripe": "update Stripe",
         "_write": "write Salesforce", "_notify": "send emails"}
"""The cycle's steps: ``owner.method`` on the engine (``reads`` is its Salesforce reads)."""


def _time_steps(engine: SyncEngine) -> dict[str, float]:
    """Seconds each step of the cycle takes, by wrapping the engine's step methods."""
    seconds: dict[str, float] = {}
    for path, name in STEPS.items():
        *owners, method = path.split(".")
        owner: Any = engine
        for attribute in owners:
            owner = getattr(owner, attribute)
        step = getattr(owner, method)

        def timed(*args: Any, step: Any = step, name: str = name) -> Any:
            started = time.perf_counter()
            try:
                return step(*args)
            finally:
                seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - started

        setattr(owner, method, timed)
    return seconds


def _kind(method: str, path: str) -> str:
    """The kind of an API request, by its method and path under ``/services/data/vXX.X``."""
    parts = path.split("/services/data/", 1)[-1].strip("/").split("/")[1:]
    head = parts[0] if parts else ""
    if head in ("query", "queryAll"):
        return "query" if len(parts) == 1 else "queryMore"
    if head == "jobs":
        return f"bulk {parts[1]} {_job_step(method, parts[3:])}"
    if head == "composite" and len(parts) == 1:
        return "composite describes + Organization"  # GET subrequests only: a read
    if head == "composite":
        return "collections upsert" if method == "PATCH" else f"collections {method}"
    if head == "sobjects" and parts[-1] in ("describe", "deleted", "updated"):
        return parts[-1]
    return head or path


def _job_step(method: str, below_job: list[str]) -> str:
    if not below_job:
        return {"POST": "create", "GET": "status", "PATCH": "close"}.get(method, method)
    return {"batches": "upload"}.get(below_job[0], "results")


class _Sampler:
    """``py-spy record`` on the daemon's and the emulator's processes while in use (when
    py-spy is on ``PATH``): ``daemon.txt`` and ``emulator.txt``, with their ``-top.txt``."""

    def __init__(self, pids: dict[str, int], folder: Path | None) -> None:
        self._pids, self._folder = pids, folder
        self._processes: dict[str, subprocess.Popen[bytes]] = {}
        self.caveats: list[str] = []

    @property
    def sampling(self) -> bool:
        """Whether py-spy is recording."""
        return bool(self._processes)

    def __enter__(self) -> _Sampler:
        spy = shutil.which("py-spy")
        if self._folder is None:
            return self
        if spy is None:
            self.caveats.append("py-spy not on PATH: the emulator was not profiled")
            return self
        for name, pid in self._pids.items():
            self._processes[name] = subprocess.Popen(
                [spy, "record", "--pid", str(pid), "--rate", "250", "--format", "raw",
                 "--output", str(self._folder / f"{name}.txt"), "--nonblocking"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)  # py-spy attaches before the cycle starts
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._folder is not None or not self._processes
        for name, process in self._processes.items():
            process.send_signal(signal.SIGINT)
            process.wait(timeout=60)
            folder = self._folder or Path()
            _top_functions(folder / f"{name}.txt", folder / f"{name}-top.txt")


def _top_functions(collapsed: Path, out: Path, count: int = 40) -> None:
    """Functions by own samples (the last frame of each stack) and by inclusive samples
    (stacks they are on, the project's own frames), line numbers dropped."""
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in collapsed.read_text(encoding="utf-8").splitlines():
        stack, _, samples = line.rpartition(" ")
        if not samples.isdigit():  # a frame name with a newline in it (templates)
            continue
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";")]
        own[frames[-1]] += int(samples)
        for frame in {f for f in frames if "connector/" in f}:
            inclusive[frame] += int(samples)
        total += int(samples)
    text = [f"{total} samples"]
    for heading, tally in (("own:", own), ("inclusive:", inclusive)):
        text += ["", heading] + [f"{n:>7} {100 * n / max(total, 1):5.1f}%  {name}"
                                 for name, n in tally.most_common(count)]
    out.write_text("\n".join(text) + "\n", encoding="utf-8")


def _report(figures: Figures) -> None:
    size = figures.size
    read_target = 3 * math.ceil(size / 2000) + 4
    write_target = math.ceil(size / 200) + 2
    print(f"first sync of {size:,} won opportunities x 1 line item, 1 account, {CSMS} CSM "
          f"(pid {os.getpid()})")
    for caveat in figures.caveats:
        print(f"  note: {caveat}")
    for kind, n in sorted(figures.calls.items()):
        print(f"  {'read ' if kind in READS else 'write'} {kind:<36} {n:>5}")
    print("  cycle steps: " + ", ".join(f"{name} {t:.1f} s" for name, t in figures.steps.items()))
    print("  queries by object: " + ", ".join(
        f"{sobject} {n}" for sobject, n in figures.queries.most_common()))
    checks = [
        ("read calls", figures.reads, f"<= {read_target}", figures.reads <= read_target),
        ("write calls", figures.writes, f"<= {write_target}", figures.writes <= write_target),
        ("emails", figures.emails, f"= {CSMS}", figures.emails == CSMS),
        ("wall time (s)", round(figures.seconds, 1), "< 20", figures.seconds < 20),
    ]
    for name, value, target, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'} {name}: {value} (target {target})")
    print(f"  peak RSS growth: +{figures.rss_growth_mb:.0f} MB")


if __name__ == "__main__":
    main()
