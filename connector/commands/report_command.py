"""``report list`` and ``report NAME``: finance reports off the ledger, for a person or a script.

``--from``/``--to`` take months ``YYYY-MM`` (UTC), ``--format`` is ``table`` (rich on a
terminal, plain when piped), ``csv`` or ``json``; ``--chart FILE.png`` also draws it.
``reconciliation --live`` re-reads both systems (see
:mod:`connector.commands.live_reconciliation`); every other report reads the ledger only.
Exit codes: 0 printed; 1 the report found differences (``reconciliation``); 2 a usage
mistake (unknown report, bad month, ``--from`` after ``--to``, unknown account).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.clock import SystemClock
from connector.commands.customer_command import seat_products
from connector.commands.live_reconciliation import live_reconciliation
from connector.commands.sync_commands import load
from connector.errors import ConfigError
from connector.ledger.models import Account, Link, System
from connector.reports import (
    REPORTS,
    Month,
    MonthError,
    ReportQuery,
    ReportSpec,
    draw_chart,
    find,
    listing,
    render,
)
from connector.reports.registry import ACCOUNT, CURRENCY, MONTHS
from connector.sync.wiring import open_ledger

EXIT_DIFFERENCES = 1
LIVE_REPORT = "reconciliation"
_CURRENCY = re.compile(r"[A-Za-z]{3}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``report`` command's arguments."""
    parser.add_argument("name", metavar="NAME",
                        help="a report name, or 'list' to see them: " + ", ".join(REPORTS))
    parser.add_argument("--from", dest="start", metavar="YYYY-MM", type=_month,
                        help="first month (default: the first with data)")
    parser.add_argument("--to", dest="end", metavar="YYYY-MM", type=_month,
                        help="last month (default: this month)")
    parser.add_argument("--format", choices=["table", "csv", "json", "text"], default="table",
                        help="table for a person (text is the same), csv or json for a script")
    parser.add_argument("--currency", metavar="CODE", type=_currency,
                        help="only this currency (reports that mix currencies)")
    parser.add_argument("--account", metavar="ID",
                        help="only this account: its Salesforce Id or ledger id (acv, pipeline, "
                             "customer-summary)")
    parser.add_argument("--chart", metavar="FILE.png", type=Path,
                        help="also draw the report as a PNG chart")
    parser.add_argument("--live", action="store_true",
                        help="reconciliation only: re-read Salesforce and Stripe now (API "
                             "calls, within the budget) instead of the ledger's copies")
    parser.epilog = ("exit codes: 0 printed, 1 differences found (reconciliation), 2 a usage "
                     "mistake; 'crm-connector report list' describes each report")


def _month(text: str) -> Month:
    try:
        return Month.parse(text)
    except MonthError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _currency(text: str) -> str:
    if not _CURRENCY.fullmatch(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not a currency code like USD")
    return text.lower()


def report(args: argparse.Namespace) -> int:
    """Print the report ``args.name`` (or the list of reports); draw it with ``--chart``."""
    if args.name == "list":
        print("\n".join(line.strip() for line in listing()))
        return 0
    spec = find(args.name)
    _check_options(spec, args)
    config = load(args)
    _, sessions = open_ledger(config)
    with sessions() as session:
        query = ReportQuery(now=SystemClock().now(), start=args.start, end=args.end,
                            currency=args.currency, account=_account(session, args.account),
                            seat_products=seat_products(config))
        rows = live_reconciliation(config, session) if args.live else spec.build(session, query)
    render(spec.columns, rows, "table" if args.format == "text" else args.format)
    if args.chart is not None and spec.chart is not None:
        draw_chart(spec.chart, rows, args.chart)
    return EXIT_DIFFERENCES if spec.differs is not None and spec.differs(rows) else 0


def _check_options(spec: ReportSpec, args: argparse.Namespace) -> None:
    """Refuse options the report does not take, and a range that ends before it starts."""
    problems: list[str] = []
    if MONTHS not in spec.options and (args.start or args.end):
        problems.append(f"report {spec.name}: takes no --from/--to (it shows the ledger now)")
    if CURRENCY not in spec.options and args.currency:
        problems.append(f"report {spec.name}: takes no --currency")
    if ACCOUNT not in spec.options and args.account:
        problems.append(f"report {spec.name}: takes no --account")
    if args.live and spec.name != LIVE_REPORT:
        problems.append(f"report {spec.name}: takes no --live (only {LIVE_REPORT} does)")
    if args.chart is not None and spec.chart is None:
        problems.append(f"report {spec.name}: cannot be drawn (--chart)")
    if args.start and args.end and args.start > args.end:
        problems.append(f"report {spec.name}: --from {args.start} is after --to {args.end}")
    if problems:
        raise ConfigError(problems)


def _account(session: Session, given: str | None) -> str | None:
    """The ledger id of the account ``given`` (a ledger id or a Salesforce Id).

    Raises:
        ConfigError: the ledger has no such account.
    """
    if given is None:
        return None
    if session.get(Account, given) is not None:
        return given
    found = session.scalar(select(Link.entity_id).where(
        Link.system == System.SALESFORCE, Link.object_type == "Account",
        Link.external_id == given))
    if found is None:
        raise ConfigError([f"report: --account {given}: no such account in the ledger "
                           "(give its Salesforce Id or ledger id)"])
    return str(found)
