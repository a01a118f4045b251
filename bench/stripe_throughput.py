"""Stripe throughput against the emulator's rate limit, and webhook ingest latency.

    .venv/bin/python bench/stripe_throughput.py [--subscriptions 1000] [--events 5000]
        [--limit 25] [--client-rate 24] [--concurrency 4]

1. Creates ``--subscriptions`` subscriptions (one customer per ten) through the gateway
   against an emulator that answers 429 past ``--limit`` requests/s; prints the requests/s
   achieved against the limit and the 429s received (target: >= 90 % and none).
2. Posts the first ``--events`` events Stripe emitted, signed, to the daemon's webhook
   receiver from ``--concurrency`` threads; prints ack latency p50/p99 (target p99 < 200 ms).
3. Applies the inbox to the ledger (re-fetching each object from Stripe, under the same
   rate limit); prints events/s applied and Stripe calls spent.

Not a timed test: figures depend on the machine. Record them in bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
import stripe
from sqlalchemy.orm import Session, sessionmaker

from connector.billing.client import StripeGateway, build_stripe_client
from connector.clock import SystemClock
from connector.config import Config, MappingsConfig
from connector.inbound.stripe.apply_inbox import InboxApplier
from connector.inbound.stripe.objects import StripeObjects
from connector.ledger.database import make_engine, migrate, session_factory
from connector.ledger.models import Subscription, System
from connector.ledger.unit_of_work import Ledger, unit_of_work
from connector.log import configure_logging
from connector.retry import RetryPolicy
from connector.sync.wiring import load_mapping_set
from connector.webhook.server import WebhookServer
from connector.webhook.signature import SignatureVerifier
from crm_emulators.stripe_emulator import StripeEmulator

REPO = Path(__file__).resolve().parents[1]
KEY = "sk_test_bench"
SECRET = "whsec_bench"


def main() -> None:
    """Run the three phases and print one JSON object each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=1000)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--limit", type=float, default=25.0)
    parser.add_argument("--client-rate", type=float, default=24.0)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    configure_logging("warning")
    emulator = StripeEmulator(rate_limit_per_second=args.limit).start()
    try:
        with tempfile.TemporaryDirectory() as folder:
            _run(args, emulator, Path(folder))
    finally:
        emulator.stop()


def _run(args: argparse.Namespace, emulator: StripeEmulator, folder: Path) -> None:
    client, transport = build_stripe_client(KEY, emulator.url, args.client_rate)
    gateway = StripeGateway(client, transport, RetryPolicy())
    price = emulator.seed_price("Platform", "PLATFORM-MONTHLY", 49900)
    created = _create(gateway, emulator, price, args)
    engine = make_engine(f"sqlite:///{folder / 'ledger.db'}")
    migrate(engine)
    sessions = session_factory(engine)
    _link(sessions, created)
    _ingest(sessions, emulator, args)
    _apply(sessions, gateway, emulator, args)


def _create(gateway: StripeGateway, emulator: StripeEmulator, price: str,
            args: argparse.Namespace) -> list[str]:
    emulator.reset_counters()
    started = time.monotonic()
    customer = ""
    created = []
    for n in range(args.subscriptions):
        if n % 10 == 0:
            customer = gateway.create_customer({"name": f"Bench {n}"}, key=f"customer:{n}").id
        created.append(gateway.create_subscription(
            {"customer": customer, "items": [{"price": price, "quantity": 1 + n % 5}]},
            key=f"subscription:{n}").id)
    elapsed = time.monotonic() - started
    requests_sent = emulator.request_count()
    throttled = sum(1 for entry in emulator.request_log if entry[2] == 429)
    rate = requests_sent / elapsed
    print(json.dumps({"phase": "create subscriptions", "subscriptions": args.subscriptions,
                      "requests": requests_sent, "seconds": round(elapsed, 1),
                      "requests_per_second": round(rate, 2), "limit": args.limit,
                      "share_of_limit": f"{rate / args.limit:.1%}", "http_429": throttled}))
    return created


def _link(sessions: sessionmaker[Session], created: list[str]) -> None:
    """The ledger bills every subscription created (as activation would have recorded)."""
    with unit_of_work(sessions, SystemClock(), "bench") as uow:
        for stripe_id in created:
            row = Subscription(status="active", currency="usd", created_at=uow.now,
                               updated_at=uow.now)
            uow.session.add(row)
            uow.session.flush()
            uow.link("subscription", row.id, System.STRIPE, "subscription", stripe_id)


def _ingest(sessions: sessionmaker[Session], emulator: StripeEmulator,
            args: argparse.Namespace) -> None:
    events = emulator.objects("event")[:args.events]
    clock = SystemClock()
    server = WebhookServer(SignatureVerifier([SECRET], clock), sessions, clock,
                           "127.0.0.1", 0).start()
    try:
        started = time.monotonic()
        with ThreadPoolExecutor(args.concurrency) as pool:
            latencies = list(pool.map(lambda e: _post(server.url, e), events))
        elapsed = time.monotonic() - started
    finally:
        server.stop()
    ms = sorted(latency * 1000 for latency, _ in latencies)
    print(json.dumps({"phase": "webhook ingest", "events": len(events),
                      "concurrency": args.concurrency, "seconds": round(elapsed, 1),
                      "events_per_second": round(len(events) / elapsed, 1),
                      "ack_ms_p50": round(statistics.median(ms), 1),
                      "ack_ms_p99": round(ms[int(len(ms) * 0.99) - 1], 1),
                      "non_2xx": sum(1 for _, status in latencies if status >= 300)}))


def _post(url: str, event: dict[str, Any]) -> tuple[float, int]:
    body = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(body, SECRET)
    started = time.monotonic()
    answer = requests.post(url, data=body, timeout=30, headers={"Stripe-Signature": header})
    return time.monotonic() - started, answer.status_code


def _apply(sessions: sessionmaker[Session], gateway: StripeGateway, emulator: StripeEmulator,
           args: argparse.Namespace) -> None:
    config = Config(mappings=MappingsConfig(dir=REPO / "mappings"))
    applier = InboxApplier(Ledger(sessions, SystemClock(), "bench"), gateway,
                           StripeObjects(gateway, load_mapping_set(config)))
    emulator.reset_counters()
    started = time.monotonic()
    result = applier.run()
    elapsed = time.monotonic() - started
    total = result.applied + result.ignored
    print(json.dumps({"phase": "apply inbox", "events": total, "applied": result.applied,
                      "ignored_other_types": result.ignored,
                      "dead_letters": result.dead_letters, "seconds": round(elapsed, 1),
                      "events_per_second": round(total / elapsed, 1),
                      "stripe_calls": emulator.request_count(),
                      "http_429": sum(1 for e in emulator.request_log if e[2] == 429),
                      "at": datetime.now(UTC).isoformat(timespec="seconds")}))


if __name__ == "__main__":
    main()
