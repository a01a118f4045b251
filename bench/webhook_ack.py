"""Webhook ack latency: the daemon's real receiver under C concurrent senders.

    .venv/bin/python bench/webhook_ack.py [--senders 64] [--events 5000] [--sync full|normal]
        [--dir PATH]

The receiver (:class:`~connector.webhook.server.WebhookServer` on a SQLite ledger in a fresh
folder under ``--dir``, default the system's temporary folder, on a real disk so ``fsync``
costs what it costs) runs in a child process, so the senders do not share its interpreter.
The parent signs ``--events`` distinct events beforehand, then ``--senders`` threads post them
over keep-alive connections (``http.client``, the cheapest client in the standard library),
each sending its next event as soon as the previous one is answered.

``--sync full`` (default) is the daemon as shipped: each inbox commit is synced to disk
before the 2xx (``synchronous=FULL``). ``--sync normal`` turns that off to show its price.

Prints one JSON object: ack latency p50/p95/p99/max in ms (from sending the request to
reading the whole answer), events/s, non-2xx answers, rows found in the inbox afterwards, and
the CPU seconds spent by the client and by the server. Target: p99 < 200 ms at 64 senders.
Not a timed test: figures depend on the machine. Record them in bench/README.md.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import stripe

from connector.clock import SystemClock
from connector.ledger.database import make_engine, migrate, session_factory
from connector.log import configure_logging
from connector.webhook.server import WebhookServer
from connector.webhook.signature import SignatureVerifier

SECRET = "whsec_bench_ack"
PATH = "/webhooks/stripe"
REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    """Parse the arguments; run the senders, or (``--serve``) the receiver's child process."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--senders", type=int, default=64)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--sync", choices=["full", "normal"], default="full")
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--serve", type=Path, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        _serve(args.serve, durable=args.sync == "full")
        return
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="webhook-ack-") as folder:
        print(json.dumps(_run(args, Path(folder))))


def _serve(folder: Path, durable: bool) -> None:
    """The receiver on ``folder``'s ledger: print its port, serve until stdin closes."""
    configure_logging("warning")
    engine = make_engine(f"sqlite:///{folder / 'ledger.db'}")
    migrate(engine)
    clock = SystemClock()
    server = WebhookServer(SignatureVerifier([SECRET], clock), session_factory(engine), clock,
                           "127.0.0.1", 0, durable=durable).start()
    print(server.port, flush=True)
    sys.stdin.read()
    server.stop()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2)}), flush=True)


def _run(args: argparse.Namespace, folder: Path) -> dict[str, object]:
    bodies = [_signed(n) for n in range(args.events)]
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(folder), "--sync", args.sync],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)})
    assert child.stdin is not None
    assert child.stdout is not None
    port = int(child.stdout.readline())
    try:
        cpu_before = time.process_time()
        seconds, results = _send(port, bodies, args.senders)
        client_cpu = time.process_time() - cpu_before
    finally:
        child.stdin.close()
        server_cpu = json.loads(child.stdout.readline() or "{}").get("cpu_seconds")
        child.wait(timeout=30)
    ms = sorted(latency * 1000 for latency, _ in results)
    return {"senders": args.senders, "events": len(bodies), "sync": args.sync,
            "seconds": round(seconds, 2), "events_per_second": round(len(ms) / seconds, 1),
            "ack_ms_p50": round(statistics.median(ms), 1), "ack_ms_p95": _pct(ms, 0.95),
            "ack_ms_p99": _pct(ms, 0.99), "ack_ms_max": round(ms[-1], 1),
            "non_2xx": sum(1 for _, status in results if not 200 <= status < 300),
            "stored": _stored(folder), "client_cpu_seconds": round(client_cpu, 2),
            "server_cpu_seconds": server_cpu}


def _signed(n: int) -> tuple[bytes, str]:
    body = json.dumps({
        "id": f"evt_bench_{n:07d}", "object": "event", "type": "invoice.paid",
        "created": int(time.time()), "api_version": "2026-10-28.endive", "livemode": False,
        "data": {"object": {"id": f"in_bench_{n:07d}", "object": "invoice", "amount_paid": 4990,
                            "currency": "usd", "customer": "cus_bench", "status": "paid"}}})
    return body.encode(), stripe.WebhookSignature.generate_signature_header(body, SECRET)


def _send(port: int, bodies: list[tuple[bytes, str]], senders: int,
          ) -> tuple[float, list[tuple[float, int]]]:
    """Post ``bodies`` from ``senders`` threads; return the wall time and (latency, status)."""
    shares = [bodies[n::senders] for n in range(senders)]
    results: list[list[tuple[float, int]]] = [[] for _ in shares]
    ready = threading.Barrier(senders + 1)
    threads = [threading.Thread(target=_sender, args=(port, share, out, ready))
               for share, out in zip(shares, results, strict=True)]
    for thread in threads:
        thread.start()
    ready.wait()  # every sender has connected; start the clock
    started = time.monotonic()
    for thread in threads:
        thread.join()
    return time.monotonic() - started, [entry for out in results for entry in out]


def _sender(port: int, share: list[tuple[bytes, str]], out: list[tuple[float, int]],
            ready: threading.Barrier) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.connect()
    ready.wait()
    for body, signature in share:
        started = time.monotonic()
        connection.request("POST", PATH, body, {"Content-Type": "application/json",
                                                "Stripe-Signature": signature})
        answer = connection.getresponse()
        answer.read()
        out.append((time.monotonic() - started, answer.status))
        if answer.will_close:
            connection.close()
            connection.connect()
    connection.close()


def _pct(ms: list[float], share: float) -> float:
    return round(ms[min(len(ms) - 1, int(len(ms) * share))], 1)


def _stored(folder: Path) -> int:
    with sqlite3.connect(folder / "ledger.db") as db:
        row = db.execute("SELECT count(*) FROM stripe_inbox").fetchone()
    return int(row[0])


if __name__ == "__main__":
    main()
