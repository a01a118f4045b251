"""``status`` and ``deadletter``: what the ledger knows, for admins."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from connector.clock import SystemClock
from connector.commands.sync_commands import load
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
    NotificationStatus,
    Opportunity,
    OutboxOperation,
    OutboxStatus,
    StripeInboxEvent,
)
from connector.ops.status import status_lines
from connector.sync.api_budget import latest_usage
from connector.sync.wiring import load_mapping_set, open_ledger

RETRYABLE_SOURCES = ("outbox.", "notification")


def status(args: argparse.Namespace) -> int:
    """Print the ledger revision, the mapping set, connection states, the outbox, dead letters
    and cursors."""
    config = load(args)
    engine, sessions = open_ledger(config)
    print(f"config:        {config.source}")
    print(f"ledger:        {engine.url.render_as_string(hide_password=True)} "
          f"(schema {current_revision(engine)}, newest {head_revision()})")
    print(f"mappings:      {_mapping_state(config)}")
    with sessions() as session:
        state = daemon_state.read_all(session)
        _print_daemon_mappings(state)
        print("\n".join(status_lines(session, state)))
        _print_generation(session, state, config)
        _print_counts(session)
        _print_budget(session, config.salesforce.max_api_share)
        _print_cursors(session)
    return 0


def _print_generation(session: Session, state: dict[str, dict[str, Any]],
                      config: Config) -> None:
    """Which deals generate (``generate_since``), how many are history, what the org lacks."""
    since = config.sync.generate_since
    installed = state.get(daemon_state.INSTALLED)
    if since == "install":
        since = f"install ({installed['at']})" if installed else "install (no sync yet)"
    counts = dict(session.execute(select(Opportunity.generation, func.count())
                                  .group_by(Opportunity.generation)).all())
    print(f"generation:    deals won since {since}; {counts.get('history', 0)} opportunities "
          f"kept as history, {counts.get('pending', 0)} pending "
          "(backfill --generate-since DATE generates history)")
    refused = state.get(daemon_state.STREAMS_REFUSED)
    for problem in (refused or {}).get("problems", []):
        print(f"  REFUSED:     {problem}")


def _print_budget(session: Session, share: float) -> None:
    state = latest_usage(session, share)
    if state is None:
        print("salesforce api: no calls recorded yet")
        return
    used = "unknown" if state.org_used is None else f"{state.org_used}/{state.limit}"
    stop = f"pauses at {int((state.limit or 0) * share)}" if state.limit else "no limit known"
    print(f"salesforce api: {used} used by the org today; our calls today: "
          f"{state.calls_today}; max_api_share {share} ({stop}): "
          + ("PAUSED until usage falls" if state.paused else "running"))


def _mapping_state(config: Config) -> str:
    try:
        mappings = load_mapping_set(config)
    except ConfigError as exc:
        return f"INVALID ({len(exc.problems)} problems; run 'crm-connector mappings check')"
    return f"{mappings.directory} (digest {mappings.digest[:12]})"


def _print_daemon_mappings(state: dict[str, dict[str, Any]]) -> None:
    in_use = state.get(daemon_state.MAPPINGS_IN_USE)
    if in_use is None:
        print("  in use:      no running daemon has reported its mapping set yet")
    else:
        print(f"  in use:      digest {in_use['digest'][:12]} by the daemon, since "
              f"{in_use['since']}")
    refused = state.get(daemon_state.MAPPINGS_REFUSED)
    if refused is not None:
        problems = refused["problems"]
        print(f"  refused:     change to digest {refused['digest'][:12]} at {refused['at']}, "
              f"{len(problems)} problem{'s' if len(problems) != 1 else ''} "
              "(the set above stays in force):")
        for problem in problems:
            print(f"    {problem}")


def _print_counts(session: Session) -> None:
    outbox = _count_by(session, OutboxOperation.target, OutboxOperation.status)
    print("outbox:        " + (", ".join(f"{t}/{s}: {n}" for (t, s), n in outbox) or "empty"))
    open_letters = session.scalar(select(func.count()).select_from(DeadLetter).where(
        DeadLetter.status == DeadLetterStatus.OPEN)) or 0
    print(f"dead letters:  {open_letters} open"
          + (" (see 'crm-connector deadletter list')" if open_letters else ""))
    conflicts = session.scalar(select(func.count()).select_from(Conflict).where(
        Conflict.status == ConflictStatus.OPEN)) or 0
    print(f"conflicts:     {conflicts} open"
          + (" (see 'crm-connector conflicts list')" if conflicts else ""))
    notes = _count_by(session, Notification.status)
    print("notifications: " + (", ".join(f"{s}: {n}" for (s,), n in notes) or "none"))
    inbox = _count_by(session, StripeInboxEvent.status)
    print("stripe inbox:  " + (", ".join(f"{s}: {n}" for (s,), n in inbox) or "empty"))


def _count_by(session: Session,
              *columns: InstrumentedAttribute[str]) -> list[tuple[tuple[str, ...], int]]:
    rows = session.execute(select(*columns, func.count()).group_by(*columns))
    return [(tuple(row[:-1]), int(row[-1])) for row in rows]


def _print_cursors(session: Session) -> None:
    cursors = list(session.scalars(select(Cursor).order_by(Cursor.stream)))
    print("cursors:" + ("       none yet (nothing synced)" if not cursors else ""))
    for cursor in cursors:
        print(f"  {cursor.stream:<32} updated {_ago(cursor.updated_at)}")


def _ago(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def deadletter(args: argparse.Namespace) -> int:
    """List, retry or drop dead letters."""
    _, sessions = open_ledger(load(args))
    with sessions() as session, session.begin():
        if args.action == "list":
            return _list(session, include_closed=args.all)
        letters = _select(session, args.ids, args.all)
        if args.action == "drop":
            return _drop(letters)
        return _retry(session, letters)


def _list(session: Session, include_closed: bool) -> int:
    query = select(DeadLetter).order_by(DeadLetter.id)
    if not include_closed:
        query = query.where(DeadLetter.status == DeadLetterStatus.OPEN)
    letters = list(session.scalars(query))
    if not letters:
        print("no dead letters" if include_closed else "no open dead letters")
    for letter in letters:
        print(f"#{letter.id} [{letter.status}] {_ago(letter.created_at)} {letter.source} "
              f"{letter.record_key} {letter.error_code or ''}\n    {letter.reason}")
    return 0


def _select(session: Session, ids: Sequence[int], everything: bool) -> list[DeadLetter]:
    if not ids and not everything:
        raise ConfigError(["deadletter: name dead letter ids, or pass --all"])
    query = select(DeadLetter).where(DeadLetter.status == DeadLetterStatus.OPEN)
    if not everything:
        query = query.where(DeadLetter.id.in_(ids))
    letters = list(session.scalars(query.order_by(DeadLetter.id)))
    missing = set(ids) - {letter.id for letter in letters}
    if missing:
        raise ConfigError([f"deadletter: no open dead letter #{i}" for i in sorted(missing)])
    return letters


def _drop(letters: list[DeadLetter]) -> int:
    for letter in letters:
        letter.status = DeadLetterStatus.DROPPED
        print(f"#{letter.id} dropped")
    return 0


def _retry(session: Session, letters: list[DeadLetter]) -> int:
    refused = 0
    for letter in letters:
        if _requeue(session, letter):
            print(f"#{letter.id} queued again; the next sync delivers it")
        else:
            refused += 1
            print(f"#{letter.id} cannot be retried from here: it failed on the way in from "
                  f"{letter.source}; re-save the record in its system, or drop it")
    return 1 if refused else 0


def _requeue(session: Session, letter: DeadLetter) -> bool:
    payload = letter.payload or {}
    if letter.source.startswith("outbox.") and "outbox_id" in payload:
        op = session.get(OutboxOperation, payload["outbox_id"])
        if op is None:
            return False
        # Due at once whatever clock the daemon runs on: its creation time is never ahead.
        op.status, op.next_attempt_at = OutboxStatus.PENDING, op.created_at
    elif letter.source == "notification":
        note = session.scalars(select(Notification).where(
            Notification.key == letter.record_key)).one_or_none()
        if note is None:
            return False
        note.status = NotificationStatus.PENDING
    else:
        return False
    letter.status = DeadLetterStatus.RETRIED
    letter.attempts += 1
    letter.retried_at = SystemClock().now()
    return True
