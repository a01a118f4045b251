"""Command-line entry point: ``python daemon.py COMMAND`` or ``crm-connector COMMAND``.

Exit codes: 0 success; 1 a fatal error (the run stopped); 2 a usage or configuration error;
3 the command's capability is not available in this version yet.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import sys
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, NoReturn

import shtab
import structlog

from connector import __version__
from connector.commands import (
    conflict_commands,
    customer_command,
    import_command,
    ledger_commands,
    mapping_commands,
    notification_commands,
    ops_commands,
    plan_command,
    report_command,
    status_command,
    sync_commands,
    webhook_status,
)
from connector.errors import ConfigError, ConnectorError, NotAvailableError
from connector.log import configure_logging
from connector.secrets import Secrets

EXIT_OK, EXIT_FATAL, EXIT_CONFIG, EXIT_NOT_AVAILABLE = 0, 1, 2, 3

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors, and a suggestion for a mistyped command or action."""

    def error(self, message: str) -> NoReturn:
        """Print ``prog: error: message`` (with a did-you-mean) and exit 2."""
        hint = _suggestion(message)
        self.exit(EXIT_CONFIG, f"{self.prog}: error: {message}{hint} "
                               f"(see '{self.prog} --help')\n")


def _suggestion(message: str) -> str:
    # argparse words it "invalid choice: 'stauts' (choose from 'run', 'sync', ...)".
    match = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
    if match is None:
        return ""
    close = difflib.get_close_matches(match[1], re.findall(r"'([^']*)'", match[2]), n=1)
    return f"; did you mean '{close[0]}'?" if close else ""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every command of the DESIGN.md CLI contract.

    ``--config`` and ``--log-level`` are accepted before or after the command (and its action).
    """
    parser = _Parser(
        prog="crm-connector",
        description="Keeps Salesforce, Stripe Billing and a local ledger in agreement.",
        epilog="Exit codes: 0 ok, 1 fatal error, 2 usage or config error, 3 not available yet.",
    )
    _add_common(parser, defaults=True)
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                     parser_class=_Parser)
    for name, help_text, add_args in _COMMANDS:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        _add_common(sub)
        add_args(sub)
    return parser


def _add_common(parser: argparse.ArgumentParser, *, defaults: bool = False) -> None:
    # Below the top level the options default to SUPPRESS, so a value given before the
    # command is not overwritten by the sub-parser's default.
    parser.add_argument(
        "--config", metavar="PATH", default=None if defaults else argparse.SUPPRESS,
        help="config file (default: $CRM_CONNECTOR_CONFIG, else ./config.toml)",
    )
    parser.add_argument("--log-level", choices=["debug", "info", "warning", "error"],
                        default=None if defaults else argparse.SUPPRESS,
                        help="how much to log (default: [logging] level, else info)")


def _action(actions: Any, name: str, help_text: str) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = actions.add_parser(name, help=help_text,
                                                         description=help_text)
    _add_common(parser)
    return parser


def _no_args(parser: argparse.ArgumentParser) -> None:
    del parser


def _sync_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--once", action="store_true", required=True,
                        help="run one full cycle of every job, then exit")


def _mappings_args(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True,
                                    parser_class=_Parser)
    check = _action(actions, "check", "validate every mapping file")
    check.add_argument("--offline", action="store_true",
                       help="check field names against the shipped data model, not the org")


def _format_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=["text", "json"], default="text",
                        help="text for a person (a table on a terminal), json for a script")


def _status_args(parser: argparse.ArgumentParser) -> None:
    _format_arg(parser)
    parser.epilog = status_command.EXIT_CODES_HELP


def _plan_args(parser: argparse.ArgumentParser) -> None:
    _format_arg(parser)
    _since_arg(parser, "also show what backfill --generate-since DATE would generate")


def _backfill_args(parser: argparse.ArgumentParser) -> None:
    _since_arg(parser, "also generate potential subscriptions for deals won on or after DATE "
                       "that were kept as history (shows the count first; see --yes)")
    parser.add_argument("--yes", action="store_true",
                        help="with --generate-since: create them (without it, only the count "
                             "is shown)")


def _since_arg(parser: argparse.ArgumentParser, text: str) -> None:
    parser.add_argument("--generate-since", metavar="YYYY-MM-DD", type=_day, help=text)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None


def _deadletter_args(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True,
                                    parser_class=_Parser)
    listing = _action(actions, "list", "show dead letters")
    listing.add_argument("--all", action="store_true", help="include resolved ones")
    _format_arg(listing)
    for action, verb in (("retry", "apply again"), ("drop", "discard")):
        one = _action(actions, action, f"{verb} dead letters")
        one.add_argument("ids", nargs="*", type=int, metavar="ID")
        one.add_argument("--all", action="store_true", help=f"{verb} every open dead letter")


def _webhooks_args(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True,
                                    parser_class=_Parser)
    enable = _action(actions, "enable", "turn on an endpoint disabled by a 410 Gone and "
                     "queue again what it skipped")
    enable.add_argument("url", metavar="URL", help="the endpoint's url, as in the config")


def _conflicts_args(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True,
                                    parser_class=_Parser)
    listing = _action(actions, "list", "show open conflicts")
    listing.add_argument("--all", action="store_true", help="include resolved ones")
    _format_arg(listing)
    resolve = _action(actions, "resolve", "settle a conflict")
    resolve.add_argument("id", type=int)
    resolve.add_argument("--take", choices=["salesforce", "stripe"], required=True,
                         help="the system whose value wins")


def _customer_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("account", metavar="ACCOUNT",
                        help="the account's Salesforce Id, ledger id or exact name")
    _format_arg(parser)


def _completion_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shell", choices=["bash", "zsh", "tcsh"])
    parser.epilog = ("install: crm-connector completion bash | sudo tee "
                     "/etc/bash_completion.d/crm-connector (zsh: into a folder on $fpath "
                     "as _crm-connector)")


def _completion(args: argparse.Namespace) -> int:
    print(shtab.complete(build_parser(), shell=args.shell))
    return EXIT_OK


def _system_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("system", nargs="?", default="all",
                        choices=["salesforce", "stripe", "all"],
                        help="which system (default: all)")


def _demo_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--keep-running", action="store_true",
                        help="leave the emulators up afterwards so you can poke at them")


_COMMANDS: list[tuple[str, str, Callable[[argparse.ArgumentParser], None]]] = [
    ("run", "run the daemon in the foreground (for systemd)", _no_args),
    ("sync", "run one full cycle of every job, then exit", _sync_args),
    ("mappings", "work with mapping files", _mappings_args),
    ("plan", "show what the next sync would change, without writing", _plan_args),
    ("status", "show the health of the daemon, the ledger and the API budgets", _status_args),
    ("deadletter", "list, retry or drop records that could not be applied", _deadletter_args),
    ("conflicts", "list or resolve changes made by a field's non-owner", _conflicts_args),
    ("webhooks", "outbound webhook endpoints (status shows them)", _webhooks_args),
    ("report", "print a finance report from the ledger", report_command.add_arguments),
    ("import", "bring what a system already has into the ledger: import stripe [--since DATE]",
     import_command.add_arguments),
    ("customer", "one account at a glance: licence, seats, utilisation, billing, problems",
     _customer_args),
    ("notifications", "list the notification catalog or preview an email with sample data",
     notification_commands.add_arguments),
    ("demo", "run everything against local emulators (no credentials needed)", _demo_args),
    ("backfill", "re-read everything from scratch", _backfill_args),
    ("completion", "print a shell completion script (bash, zsh, tcsh)", _completion_args),
    ("pause", "pause a system's part of every cycle (kept across restarts)", _system_args),
    ("resume", "resume a paused system from the next cycle", _system_args),
    ("diagnose", "check config, secrets, ledger, Salesforce, Stripe, SMTP and the clock",
     _no_args),
]


def _not_yet(capability: str, issue: int | None = None) -> Handler:
    planned = f" (planned in issue #{issue})" if issue else ""

    def handler(args: argparse.Namespace) -> int:
        raise NotAvailableError(f"{capability} is not available yet{planned}")
    return handler


def _demo(args: argparse.Namespace) -> int:
    from connector.commands import demo  # noqa: PLC0415 - only the demo loads the emulators

    return demo.run_demo(args)


def _handlers() -> dict[str, Handler]:
    return {
        "run": sync_commands.run,
        "sync": sync_commands.sync_once,
        "mappings": mapping_commands.check,
        "plan": plan_command.plan,
        "status": status_command.status,
        "deadletter": ledger_commands.deadletter,
        "conflicts": conflict_commands.conflicts,
        "webhooks": webhook_status.webhooks,
        "report": report_command.report,
        "import": import_command.import_stripe,
        "customer": customer_command.customer,
        "notifications": notification_commands.notifications,
        "demo": _demo,
        "backfill": sync_commands.backfill,
        "completion": _completion,
        "pause": ops_commands.pause,
        "resume": ops_commands.resume,
        "diagnose": ops_commands.diagnose,
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, run the command and return its exit code."""
    args = build_parser().parse_args(argv)
    configure_logging(args.log_level or "info", secrets=Secrets().values())
    try:
        return _handlers()[args.command](args)
    except BrokenPipeError:
        # The reader went away (``status | head -3``): what it wanted was printed. Point
        # stdout at /dev/null so the interpreter's final flush does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except NotAvailableError as exc:
        print(f"crm-connector {args.command}: {exc}", file=sys.stderr)
        return EXIT_NOT_AVAILABLE
    except ConfigError as exc:
        print("\n".join(exc.problems), file=sys.stderr)
        return EXIT_CONFIG
    except ConnectorError as exc:
        structlog.get_logger().error("command failed", command=args.command, error=str(exc))
        return EXIT_FATAL
