"""``import stripe`` against the emulator: Stripe calls per 1,000 objects, and time.

    .venv/bin/python bench/stripe_import.py [--customers 1000] [--subscribed 0.5]
        [--limit 25] [--client-rate 24]

1. Seeds an account the daemon never saw: ``--customers`` customers, a share
   (``--subscribed``) of them with a monthly subscription (so an invoice and a charge
   each), a refund and a credit note on every tenth invoice.
2. Imports it into an empty SQLite ledger through the gateway (its token bucket at
   ``--client-rate``), against an emulator answering 429 past ``--limit`` requests/s;
   prints objects, Stripe calls by path, calls per 1,000 objects, seconds and 429s.
3. Imports again: prints the calls and whether the ledger changed (it must not).

Accounts are not matched (no Salesforce here: the matcher's one query per page of customers
is left out of the figures). Not a timed test: record the figures in bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from connector.billing.client import StripeGateway, build_stripe_client
from connector.clock import SystemClock
from connector.config import Config, MappingsConfig
from connector.inbound.stripe.account_match import AccountMatcher
from connector.inbound.stripe.importer import ImportResult, StripeImport
from connector.inbound.stripe.objects import StripeObjects
from connector.ledger.database import make_engine, migrate, session_factory
from connector.ledger.models import JournalEntry, Link, MoneyEntry
from connector.ledger.unit_of_work import Ledger
from connector.log import configure_logging
from connector.retry import RetryPolicy
from connector.sync.wiring import load_mapping_set
from crm_emulators.stripe_emulator import StripeEmulator

REPO = Path(__file__).resolve().parents[1]
KEY = "sk_test_bench"


def main() -> None:
    """Seed, import, import again; print one JSON object per phase."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--subscribed", type=float, default=0.5)
    parser.add_argument("--limit", type=float, default=25.0)
    parser.add_argument("--client-rate", type=float, default=24.0)
    args = parser.parse_args()
    configure_logging("warning")
    emulator = StripeEmulator(rate_limit_per_second=args.limit).start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            _run(args, emulator, Path(folder))
    finally:
        emulator.stop()


def _run(args: argparse.Namespace, emulator: StripeEmulator, folder: Path) -> None:
    _seed(emulator, args)
    engine = make_engine(f"sqlite:///{folder / 'ledger.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    first = _import(sessions, emulator, args, "import")
    before = _ledger(sessions)
    _import(sessions, emulator, args, "import again", unchanged=before)
    if first["objects"] <= 0:
        raise SystemExit("nothing imported")


def _seed(emulator: StripeEmulator, args: argparse.Namespace) -> None:
    client, _ = build_stripe_client(KEY, emulator.url, args.client_rate)  # paced: no 429
    price = emulator.seed_price("Platform", "PLATFORM-MONTHLY", 49900)
    started = time.monotonic()
    subscribed = int(args.customers * args.subscribed)
    for n in range(args.customers):
        customer = client.v1.customers.create({"name": f"Customer {n}",
                                               "email": f"c{n}@example.com"})
        if n < subscribed:
            client.v1.subscriptions.create({"customer": customer.id,
                                            "items": [{"price": price, "quantity": 1 + n % 5}]})
    for n, invoice in enumerate(emulator.objects("invoice")):
        if n % 10 == 0:
            client.v1.credit_notes.create({"invoice": invoice["id"], "amount": 100})
    for n, charge in enumerate(emulator.objects("charge")):
        if n % 10 == 5:
            client.v1.refunds.create({"charge": charge["id"], "amount": 250})
    print(json.dumps({"phase": "seed", "customers": args.customers, "subscriptions": subscribed,
                      "seconds": round(time.monotonic() - started, 1)}))


def _import(sessions: sessionmaker[Session], emulator: StripeEmulator,
            args: argparse.Namespace, phase: str,
            unchanged: dict[str, int] | None = None) -> dict[str, Any]:
    client, transport = build_stripe_client(KEY, emulator.url, args.client_rate)
    gateway = StripeGateway(client, transport, RetryPolicy())
    mappings = load_mapping_set(Config(mappings=MappingsConfig(dir=REPO / "mappings")))
    runner = StripeImport(Ledger(sessions, SystemClock(), f"bench-{phase}"), gateway,
                          StripeObjects(gateway, mappings), mappings, AccountMatcher(None))
    emulator.reset_counters()
    started = time.monotonic()
    result = runner.run()
    elapsed = time.monotonic() - started
    figures = _figures(result, emulator, phase, elapsed)
    if unchanged is not None:
        figures["ledger_unchanged"] = _ledger(sessions) == unchanged
    print(json.dumps(figures))
    return figures


def _figures(result: ImportResult, emulator: StripeEmulator, phase: str,
             elapsed: float) -> dict[str, Any]:
    objects = sum(counts.listed for counts in result.kinds.values())
    calls = emulator.request_count()
    paths = Counter(_path_kind(path) for _, path, _ in emulator.request_log)
    return {"phase": phase, "objects": objects,
            "pages": {kind: counts.pages for kind, counts in result.kinds.items()},
            "stripe_calls": calls, "calls_by_path": dict(sorted(paths.items())),
            "calls_per_1000_objects": round(calls * 1000 / max(objects, 1), 1),
            "seconds": round(elapsed, 1),
            "objects_per_second": round(objects / elapsed, 1) if elapsed else None,
            "http_429": sum(1 for entry in emulator.request_log if entry[2] == 429)}


def _path_kind(path: str) -> str:
    """``/v1/charges/ch_123`` -> ``/v1/charges/{id}``."""
    parts = path.split("/")
    return "/".join(parts[:3] + (["{id}"] if len(parts) > 3 else []))


def _ledger(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as session:
        return {table.__tablename__: int(session.scalar(
            select(func.count()).select_from(table)) or 0)
            for table in (Link, MoneyEntry, JournalEntry)}


if __name__ == "__main__":
    main()
