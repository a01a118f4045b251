"""``status``: the health of the daemon, the ledger and the API budget, for a person or a script.

Exit codes (also in ``status --help``): 0 all is well; 4 something needs an admin's attention
(open dead letters or conflicts, a refused mapping change, Salesforce streams refused, the API
budget reached, a system paused by an admin); 5 the daemon cannot do its work (the mapping
files are invalid, the ledger's schema is behind this version, a connection is
UNAUTHORIZED, SYSTEM_ERROR or DB_UNAVAILABLE). Codes 1 and 2 keep their meaning (fatal,
usage/config).
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from connector.commands.licence_status import licence_section
from connector.commands.notification_status import notification_section
from connector.commands.output import display, print_json
from connector.commands.sync_commands import load
from connector.commands.webhook_status import webhook_section
from connector.config import Config
from connector.errors import ConfigError
from connector.ledger import daemon_state
from connector.ledger.database import current_revision, head_revision
from connector.ledger.models import (
    Conflict,
    ConflictStatus,
    Cursor,
    DeadLetter,
    DeadLetterStatus,
    Notification,
    Opportunity,
    OutboxOperation,
    StripeInboxEvent,
)
from connector.ops import states
from connector.ops.hooks import LAST_CYCLE
from connector.ops.status import status_lines
from connector.sync.api_budget import latest_usage
from connector.sync.wiring import load_mapping_set, open_ledger

EXIT_ATTENTION, EXIT_BROKEN = 4, 5
EXIT_CODES_HELP = ("exit codes: 0 all well; 4 needs attention (dead letters, conflicts, a "
                   "refused mapping change, refused streams, API budget reached, a system "
                   "paused); 5 cannot work (invalid mapping files, ledger schema behind, a "
                   "connection in error)")


@dataclass
class StatusReport:
    """What ``status`` found: named sections for JSON, lines for a person, and findings."""

    sections: dict[str, Any] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    attention: list[str] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """5 when something stops the daemon working, 4 when something needs a look, else 0."""
        return EXIT_BROKEN if self.broken else EXIT_ATTENTION if self.attention else 0

    def as_json(self) -> dict[str, Any]:
        """The report as one JSON object."""
        return {**self.sections, "attention": self.attention, "broken": self.broken,
                "exit_code": self.exit_code}


def status(args: argparse.Namespace) -> int:
    """Print the status (``--format text|json``) and exit with its code (see module doc)."""
    config = load(args)
    report = collect(config)
    if getattr(args, "format", "text") == "json":
        print_json(report.as_json())
    else:
        print("\n".join(report.lines + _findings(report)))
    return report.exit_code


def collect(config: Config) -> StatusReport:
    """Read everything ``status`` shows from the config, the mapping files and the ledger."""
    report = StatusReport()
    engine, sessions = open_ledger(config)
    schema, newest = current_revision(engine), head_revision()
    report.sections["config"] = str(config.source)
    report.sections["ledger"] = {"url": engine.url.render_as_string(hide_password=True),
                                 "schema": schema, "newest": newest}
    report.lines += [f"config:        {config.source}",
                     f"ledger:        {report.sections['ledger']['url']} "
                     f"(schema {schema}, newest {newest})"]
    if schema != newest:
        report.broken.append(f"the ledger's schema is {schema}, this version needs {newest}: "
                             "start the daemon once ('run' or 'sync --once') to migrate it")
    _mappings(report, config)
    with sessions() as session:
        state = daemon_state.read_all(session)
        _daemon_mappings(report, state)
        _connections(report, session, state)
        _generation(report, session, state, config)
        _counts(report, session)
        report.sections["notification_problems"], lines = notification_section(session, state)
        report.lines += lines
        if report.sections["notification_problems"]["templates_refused"]:
            report.attention.append("email templates refused at SIGHUP (see 'templates:')")
        report.sections["licences"], lines = licence_section(session, state)
        report.lines += lines
        report.sections["webhooks"], lines, attention = webhook_section(session)
        report.lines += lines
        report.attention += attention
        _budget(report, session, config.salesforce.max_api_share)
        _cursors(report, session)
    return report


def _findings(report: StatusReport) -> list[str]:
    return ([f"NOT WORKING:   {b}" for b in report.broken]
            + [f"ATTENTION:     {a}" for a in report.attention])


def _mappings(report: StatusReport, config: Config) -> None:
    try:
        mappings = load_mapping_set(config)
    except ConfigError as exc:
        report.sections["mappings"] = {"valid": False, "problems": list(exc.problems)}
        report.lines.append(f"mappings:      INVALID ({len(exc.problems)} problems; "
                            "run 'crm-connector mappings check')")
        report.broken.append("the mapping files are invalid: run 'crm-connector mappings check'")
        return
    report.sections["mappings"] = {"valid": True, "directory": str(mappings.directory),
                                   "digest": mappings.digest}
    report.lines.append(f"mappings:      {mappings.directory} (digest {mappings.digest[:12]})")


def _daemon_mappings(report: StatusReport, state: dict[str, dict[str, Any]]) -> None:
    in_use, refused = state.get(daemon_state.MAPPINGS_IN_USE), state.get(
        daemon_state.MAPPINGS_REFUSED)
    report.sections["daemon"] = {"mappings_in_use": in_use, "mappings_refused": refused}
    if in_use is None:
        report.lines.append("  in use:      no running daemon has reported its mapping set yet")
    else:
        report.lines.append(f"  in use:      digest {in_use['digest'][:12]} by the daemon, "
                            f"since {in_use['since']}")
    if refused is None:
        return
    problems = refused["problems"]
    report.lines.append(f"  refused:     change to digest {refused['digest'][:12]} at "
                        f"{refused['at']}, {len(problems)} problem"
                        f"{'s' if len(problems) != 1 else ''} (the set above stays in force):")
    report.lines += [f"    {problem}" for problem in problems]
    report.attention.append("the daemon refused the latest mapping change: fix the files "
                            "('mappings check'), it reloads them by itself")


def _connections(report: StatusReport, session: Session,
                 state: dict[str, dict[str, Any]]) -> None:
    """Each system's connection state (and why), the daemon's last cycle."""
    connections = states.read(session)
    report.sections["connections"] = {
        c.system: {"state": c.state.value, "reason": c.reason, "paused": c.paused,
                   "since": c.since} for c in connections.values()}
    report.sections["last_cycle"] = state.get(LAST_CYCLE)
    report.lines += status_lines(session, state)
    for c in connections.values():
        if c.in_error:
            report.broken.append(f"{c.system} is {c.state.value}: {c.reason or 'see the log'}")
        elif c.paused:
            report.attention.append(f"{c.system} is paused by an admin: "
                                    f"'crm-connector resume {c.system}' to go on")


def _generation(report: StatusReport, session: Session, state: dict[str, dict[str, Any]],
                config: Config) -> None:
    """Which deals generate (``generate_since``), how many are history, what the org lacks."""
    since = config.sync.generate_since
    installed = state.get(daemon_state.INSTALLED)
    if since == "install":
        since = f"install ({installed['at']})" if installed else "install (no sync yet)"
    counts = dict(session.execute(select(Opportunity.generation, func.count())
                                  .group_by(Opportunity.generation)).all())
    refused = list((state.get(daemon_state.STREAMS_REFUSED) or {}).get("problems", []))
    report.sections["generation"] = {"since": since, "history": counts.get("history", 0),
                                     "pending": counts.get("pending", 0),
                                     "streams_refused": refused}
    report.lines.append(
        f"generation:    deals won since {since}; {counts.get('history', 0)} opportunities "
        f"kept as history, {counts.get('pending', 0)} pending "
        "(backfill --generate-since DATE generates history)")
    report.lines += [f"  REFUSED:     {problem}" for problem in refused]
    if refused:
        report.attention.append(f"{len(refused)} Salesforce stream(s) refused (see REFUSED)")


def _counts(report: StatusReport, session: Session) -> None:
    outbox = _count_by(session, OutboxOperation.target, OutboxOperation.status)
    letters = _open(session, DeadLetter.status, DeadLetterStatus.OPEN)
    conflicts = _open(session, Conflict.status, ConflictStatus.OPEN)
    notes = _count_by(session, Notification.status)
    inbox = _count_by(session, StripeInboxEvent.status)
    report.sections.update({
        "outbox": [{"target": t, "status": s, "count": n} for (t, s), n in outbox],
        "dead_letters": {"open": letters}, "conflicts": {"open": conflicts},
        "notifications": {s: n for (s,), n in notes},
        "stripe_inbox": {s: n for (s,), n in inbox},
    })
    report.lines += [
        "outbox:        " + (", ".join(f"{t}/{s}: {n}" for (t, s), n in outbox) or "empty"),
        f"dead letters:  {letters} open"
        + (" (see 'crm-connector deadletter list')" if letters else ""),
        f"conflicts:     {conflicts} open"
        + (" (see 'crm-connector conflicts list')" if conflicts else ""),
        "notifications: " + (", ".join(f"{s}: {n}" for (s,), n in notes) or "none"),
        "stripe inbox:  " + (", ".join(f"{s}: {n}" for (s,), n in inbox) or "empty"),
    ]
    if letters:
        report.attention.append(f"{letters} open dead letter(s): 'crm-connector deadletter list'")
    if conflicts:
        report.attention.append(f"{conflicts} open conflict(s): 'crm-connector conflicts list'")


def _open(session: Session, column: InstrumentedAttribute[str], value: str) -> int:
    return session.scalar(select(func.count()).where(column == value)) or 0


def _count_by(session: Session,
              *columns: InstrumentedAttribute[str]) -> list[tuple[tuple[str, ...], int]]:
    rows = session.execute(select(*columns, func.count()).group_by(*columns))
    return [(tuple(row[:-1]), int(row[-1])) for row in rows]


def _budget(report: StatusReport, session: Session, share: float) -> None:
    state = latest_usage(session, share)
    if state is None:
        report.sections["salesforce_api"] = None
        report.lines.append("salesforce api: no calls recorded yet")
        return
    report.sections["salesforce_api"] = {
        "org_used": state.org_used, "limit": state.limit, "calls_today": state.calls_today,
        "max_api_share": share, "paused": state.paused}
    used = "unknown" if state.org_used is None else f"{state.org_used}/{state.limit}"
    stop = f"pauses at {int((state.limit or 0) * share)}" if state.limit else "no limit known"
    report.lines.append(f"salesforce api: {used} used by the org today; our calls today: "
                        f"{state.calls_today}; max_api_share {share} ({stop}): "
                        + ("PAUSED until usage falls" if state.paused else "running"))
    if state.paused:
        report.attention.append("Salesforce calls are paused: the org's API usage reached "
                                "max_api_share; they resume when usage falls")


def _cursors(report: StatusReport, session: Session) -> None:
    cursors = list(session.scalars(select(Cursor).order_by(Cursor.stream)))
    report.sections["cursors"] = [{"stream": c.stream, "updated_at": c.updated_at}
                                  for c in cursors]
    report.lines.append("cursors:" + ("       none yet (nothing synced)" if not cursors else ""))
    report.lines += [f"  {c.stream:<32} updated {display(c.updated_at)}" for c in cursors]
