"""Run one emulator in the foreground: ``python -m crm_emulators salesforce|stripe|smtp``."""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading
from collections.abc import Sequence

from crm_emulators.smtp import SmtpSink
from crm_emulators.standalone import serve_salesforce, serve_stripe

DEFAULT_PORTS = {"salesforce": 8443, "stripe": 12111, "smtp": 2525}


def main(argv: Sequence[str] | None = None) -> int:
    """Parse arguments and serve the chosen emulator until SIGINT or SIGTERM."""
    parser = argparse.ArgumentParser(
        prog="python -m crm_emulators",
        description="Run a local emulator of Salesforce, Stripe or an SMTP relay.",
    )
    parser.add_argument("service", choices=sorted(DEFAULT_PORTS))
    parser.add_argument("--port", type=int, help="port to listen on (default: per service)")
    parser.add_argument("--seed", action="store_true",
                        help="load the demo's sample org and catalog (salesforce, stripe)")
    parser.add_argument("--multi-currency", action="store_true",
                        help="salesforce: enable multiple currencies (records carry "
                             "CurrencyIsoCode); default: one currency, like most orgs")
    parser.add_argument("--currency", default="USD", metavar="ISO",
                        help="salesforce: the org's corporate currency (default: USD)")
    args = parser.parse_args(argv)
    port = args.port if args.port is not None else DEFAULT_PORTS[args.service]
    if args.service == "salesforce":
        serve_salesforce(port, seed=args.seed, multi_currency=args.multi_currency,
                         currency=args.currency.upper())
    elif args.service == "stripe":
        serve_stripe(port, seed=args.seed)
    else:
        _serve_smtp(port)
    return 0


def _serve_smtp(port: int) -> None:
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with SmtpSink(port=port) as sink:
        print(f"SMTP sink listening on {sink.host}:{sink.port} (Ctrl-C to stop)", flush=True)
        shown = 0
        with contextlib.suppress(KeyboardInterrupt):
            while not stop.wait(0.5):
                for received in sink.messages[shown:]:
                    print(f"--- to {', '.join(received.rcpt_tos)}: {received.subject}\n"
                          f"{received.text()}", flush=True)
                shown = len(sink.messages)


if __name__ == "__main__":
    raise SystemExit(main())
