"""How fast the reports answer over a big SQLite ledger (issue 20: under 2 s each).

    .venv/bin/python bench/reports.py [--subscriptions 100000] [--invoices 1000000]
        [--without-indexes] [--repeat 3] [--db PATH]

Builds a migrated SQLite ledger with N subscriptions (each created, activated, some trialing
first, some past due, some canceled, spread over 24 months: about 2.5 journal entries each)
and M paid invoices (a payment each, 2 % refunded, a journal entry each; USD, EUR and JPY),
then times ``revenue-by-month`` and ``status-by-month`` over the whole range: the query in
process (best of ``--repeat``) and the command a user runs (``crm-connector report NAME
--format csv``, interpreter start included). ``--without-indexes`` drops the reports'
expression index (migration 0005) first, to measure the "before". Prints one JSON object per phase.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from connector.ledger.database import open_migrated, session_factory
from connector.reports import REPORTS, Month, ReportQuery

REPO = Path(__file__).resolve().parents[1]
TIMED = ("revenue-by-month", "status-by-month")
START = datetime(2025, 1, 1, tzinfo=UTC)
DAYS = 730
INDEX = ("CREATE INDEX IF NOT EXISTS ix_money_entries_kind_currency_month_amount ON "
         "money_entries (kind, currency, substr(occurred_at, 1, 7), amount_minor)")
"""Migration 0005's index, dropped and re-created for the before/after figures."""
CURRENCIES = ("usd",) * 16 + ("eur",) * 3 + ("jpy",)
CHUNK = 50_000


def _stamp(moment: datetime) -> str:
    """How SQLAlchemy stores a UTC datetime in SQLite."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _subscriptions(count: int, rng: random.Random) -> Iterator[tuple[tuple, list[tuple]]]:
    """(subscription row, its journal rows) for ``count`` subscriptions."""
    for number in range(count):
        sub_id = f"sub-{number:032x}"
        created = START + timedelta(days=rng.uniform(0, DAYS - 60))
        history = [(created, "ledger", "create", None, "potential")]
        status, at = "potential", created + timedelta(days=rng.uniform(1, 10))
        for new in _statuses(rng):
            history.append((at, "stripe", "update", status, new))
            status, at = new, at + timedelta(days=rng.uniform(10, 200))
        row = (sub_id, f"cust-{number // 3:032x}", status, rng.choice(CURRENCIES),
               _stamp(created), _stamp(created))
        yield row, [(sub_id, source, _stamp(when), kind,
                     json.dumps({"status": [old, new]}), _stamp(when))
                    for when, source, kind, old, new in history]


def _statuses(rng: random.Random) -> list[str]:
    path = ["trialing", "active"] if rng.random() < 0.2 else ["active"]
    if rng.random() < 0.05:
        path += ["past_due", "active"]
    if rng.random() < 0.15:
        path.append("canceled")
    return path


def _load(db: Path, subscriptions: int, invoices: int) -> dict[str, int]:
    rng = random.Random(20)
    connection = sqlite3.connect(db)
    counts = {"subscriptions": 0, "journal": 0, "invoices": 0, "money": 0}
    with connection:
        subs, journal = [], []
        for row, entries in _subscriptions(subscriptions, rng):
            subs.append(row)
            journal.extend(entries)
        connection.executemany(
            "INSERT INTO subscriptions (id, customer_id, status, currency, created_at, "
            "updated_at, cancel_at_period_end) VALUES (?, NULL, ?, ?, ?, ?, 0)",
            [(r[0], r[2], r[3], r[4], r[5]) for r in subs])
        _journal(connection, "subscription", journal)
        counts["subscriptions"], counts["journal"] = len(subs), len(journal)
        counts.update(_invoices(connection, [(r[0], r[3]) for r in subs], invoices, rng))
    connection.close()
    return counts


def _journal(connection: sqlite3.Connection, entity_type: str, rows: list[tuple]) -> None:
    connection.executemany(
        "INSERT INTO journal (entity_type, entity_id, source, source_ts, kind, diff, "
        f"recorded_at) VALUES ('{entity_type}', ?, ?, ?, ?, ?, ?)", rows)


def _invoices(connection: sqlite3.Connection, subs: list[tuple[str, str]], count: int,
              rng: random.Random) -> dict[str, int]:
    made = {"invoices": 0, "money": 0}
    for first in range(0, count, CHUNK):
        invoices, money, journal = [], [], []
        for number in range(first, min(first + CHUNK, count)):
            sub_id, currency = subs[number % len(subs)]
            amount = rng.randint(10, 2000) * (1 if currency == "jpy" else 100)
            paid = _stamp(START + timedelta(days=rng.uniform(0, DAYS)))
            inv_id = f"inv-{number:032x}"
            invoices.append((inv_id, sub_id, currency, amount, amount, paid, paid, paid))
            money.append((f"money-p{number:031x}", "payment", inv_id, sub_id, amount, currency,
                          paid, f"in_{number}", paid))
            if rng.random() < 0.02:
                money.append((f"money-r{number:031x}", "refund", inv_id, sub_id, amount // 2,
                              currency, paid, f"re_{number}", paid))
            journal.append((inv_id, "stripe", paid, "create", '{"status": [null, "paid"]}',
                            paid))
        connection.executemany(
            "INSERT INTO invoices (id, subscription_id, status, currency, amount_due_minor, "
            "amount_paid_minor, amount_remaining_minor, discount_minor, invoiced_at, "
            "created_at, updated_at) VALUES (?, ?, 'paid', ?, ?, ?, 0, 0, ?, ?, ?)", invoices)
        connection.executemany(
            "INSERT INTO money_entries (id, kind, invoice_id, subscription_id, amount_minor, "
            "currency, occurred_at, external_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            money)
        _journal(connection, "invoice", journal)
        made["invoices"] += len(invoices)
        made["money"] += len(money)
    return made


def _time_query(url: str, name: str, repeat: int) -> tuple[float, int]:
    engine = open_migrated(url)
    sessions = session_factory(engine)
    query = ReportQuery(now=datetime(2026, 12, 31, tzinfo=UTC), start=Month(2025, 1),
                        end=Month(2026, 12))
    best, rows = float("inf"), 0
    for _ in range(repeat):
        with sessions() as session:
            started = time.perf_counter()
            rows = len(REPORTS[name].build(session, query))
            best = min(best, time.perf_counter() - started)
    engine.dispose()
    return best, rows


def _time_command(folder: Path, url: str, name: str) -> float:
    config = folder / "config.toml"
    config.write_text(f'[ledger]\nurl = "{url}"\n', encoding="utf-8")
    started = time.perf_counter()
    subprocess.run([sys.executable, str(REPO / "daemon.py"), "report", name, "--from",
                    "2025-01", "--to", "2026-12", "--format", "csv", "--config", str(config)],
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    """Build the ledger, time the reports, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=100_000)
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--without-indexes", action="store_true")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--db", type=Path, help="keep the ledger in this file (reused if it "
                                                "exists)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = args.db or Path(folder) / "ledger.db"
        _run(args, db, Path(folder))


def _run(args: argparse.Namespace, db: Path, folder: Path) -> None:
    url = f"sqlite:///{db}"
    if not db.exists():
        open_migrated(url).dispose()
        started = time.perf_counter()
        counts = _load(db, args.subscriptions, args.invoices)
        print(json.dumps({"phase": "build", **counts,
                          "seconds": round(time.perf_counter() - started, 1)}), flush=True)
    _indexes(db, keep=not args.without_indexes)
    for name in TIMED:
        seconds, rows = _time_query(url, name, args.repeat)
        command = _time_command(folder, url, name)
        print(json.dumps({"report": name, "indexes": not args.without_indexes, "rows": rows,
                          "query_seconds": round(seconds, 3),
                          "command_seconds": round(command, 3), "target_seconds": 2}),
              flush=True)


def _indexes(db: Path, *, keep: bool) -> None:
    connection = sqlite3.connect(db)
    with connection:
        if keep:
            connection.execute(INDEX)
        else:
            connection.execute("DROP INDEX IF EXISTS ix_money_entries_kind_currency_month_amount")
        connection.execute("ANALYZE")
    connection.close()


if __name__ == "__main__":
    main()
