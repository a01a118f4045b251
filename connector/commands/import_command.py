"""``import stripe [--since DATE]``: the Stripe account's existing objects into the ledger.

Customers, subscriptions (any status), invoices, refunds and credit notes, listed page by
page inside ``[stripe] max_requests_per_second`` (see
:mod:`connector.inbound.stripe.importer`); customers find their Salesforce Account by
``metadata.salesforce_account_id`` or billing email. Safe to run again (nothing is
duplicated) and to interrupt (the next run resumes after the last committed page). It
may run beside the daemon: every page is one ledger transaction.
"""

from __future__ import annotations

import argparse
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time
from typing import TextIO

from rich.console import Console
from rich.progress import Progress, TaskID, TextColumn

from connector.clock import Clock, SystemClock
from connector.commands.sync_commands import load
from connector.config import Config
from connector.inbound.stripe.account_match import AccountMatcher
from connector.inbound.stripe.importer import KINDS, ImportResult, StripeImport
from connector.inbound.stripe.importer import Progress as PageProgress
from connector.inbound.stripe.objects import StripeObjects
from connector.ledger.unit_of_work import Ledger
from connector.retry import RetryPolicy
from connector.secrets import Secrets
from connector.sync.wiring import build_salesforce, build_stripe, load_mapping_set, open_ledger


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``import stripe [--since YYYY-MM-DD]``."""
    sources = parser.add_subparsers(dest="source", metavar="SOURCE", required=True)
    stripe = sources.add_parser("stripe", help="existing Stripe customers, subscriptions, "
                                "invoices, refunds and credit notes into the ledger")
    stripe.add_argument("--since", metavar="YYYY-MM-DD", type=_day,
                        help="only objects created on or after this day (UTC)")
    stripe.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS,
                        help="config file (default: $CRM_CONNECTOR_CONFIG, else ./config.toml)")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def import_stripe(args: argparse.Namespace) -> int:
    """Run the import; print what it did per kind. Exit 0 (a failure is exit 1 by the CLI)."""
    config = load(args)
    since = datetime.combine(args.since, time(0), UTC) if args.since else None
    with _terminal_progress(sys.stderr) as progress:
        result = build_import(config, Secrets(), progress=progress).run(since)
    print(summary(result))
    return 0


def build_import(config: Config, secrets: Secrets, *, clock: Clock | None = None,
                 retry: RetryPolicy | None = None,
                 progress: PageProgress | None = None) -> StripeImport:
    """The import for ``config``: the ledger, Stripe, Salesforce (for Accounts)."""
    mappings = load_mapping_set(config)
    _, sessions = open_ledger(config)
    gateway = build_stripe(config, secrets, retry)
    matcher = AccountMatcher(build_salesforce(config, secrets, retry))
    ledger = Ledger(sessions, clock or SystemClock(), f"import-{uuid.uuid4().hex[:12]}")
    return StripeImport(ledger, gateway, StripeObjects(gateway, mappings), mappings, matcher,
                        mirror=config.stripe.mirror_unlinked, progress=progress)


def summary(result: ImportResult) -> str:
    """One line per kind: pages, objects listed, applied, dead letters."""
    lines = ["stripe import " + ("resumed and finished" if result.resumed else "finished")]
    for kind, counts in result.kinds.items():
        lines.append(f"  {kind}: {counts.listed} listed in {counts.pages} pages, "
                     f"{counts.applied} applied, {counts.dead_letters} dead letters")
    return "\n".join(lines)


@contextmanager
def _terminal_progress(stream: TextIO) -> Iterator[PageProgress | None]:
    """A rich bar per kind (objects so far) when ``stream`` is a terminal; else nothing."""
    console = Console(file=stream)
    if not console.is_terminal:
        yield None
        return
    with Progress(TextColumn("{task.description}"), TextColumn("{task.completed:,.0f} objects"),
                  console=console) as bars:
        tasks: dict[str, TaskID] = {kind: bars.add_task(f"importing {kind}s", total=None)
                                    for kind in KINDS}

        def advance(kind: str, count: int) -> None:
            bars.advance(tasks[kind], count)
        yield advance
