"""``deadletter list|retry|drop``: records that could not be applied, for admins."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.clock import SystemClock
from connector.commands.output import Table, print_json
from connector.commands.sync_commands import load
from connector.errors import ConfigError
from connector.ledger.models import (
    DeadLetter,
    DeadLetterStatus,
    Notification,
    NotificationStatus,
    OutboxOperation,
    OutboxStatus,
)
from connector.ledger.names import RecordName, RecordNames
from connector.ledger.webhook_deliveries import requeue_delivery
from connector.sync.wiring import open_ledger

RETRYABLE_SOURCES = ("outbox.", "notification", "webhook")


def _ago(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def deadletter(args: argparse.Namespace) -> int:
    """List, retry or drop dead letters."""
    _, sessions = open_ledger(load(args))
    with sessions() as session, session.begin():
        if args.action == "list":
            return _list(session, include_closed=args.all,
                         output=getattr(args, "format", "text"))
        letters = _select(session, args.ids, args.all)
        if args.action == "drop":
            return _drop(letters)
        return _retry(session, letters)


def _list(session: Session, include_closed: bool, output: str) -> int:
    query = select(DeadLetter).order_by(DeadLetter.id)
    if not include_closed:
        query = query.where(DeadLetter.status == DeadLetterStatus.OPEN)
    letters = list(session.scalars(query))
    names = RecordNames(session)
    rows = [_letter_row(letter, names.of_dead_letter(letter)) for letter in letters]
    if output == "json":
        print_json(rows)
    elif not letters:
        print("no dead letters" if include_closed else "no open dead letters")
    else:
        Table(["id", "status", "recorded", "source", "record", "Salesforce Id", "name", "code"],
              [[f"#{r['id']}", r["status"], r["created_at"], r["source"], r["record_key"],
                r["salesforce_id"], r["name"], r["error_code"]] for r in rows],
              [str(r["reason"]) for r in rows]).print()
    return 0


def _letter_row(letter: DeadLetter, name: RecordName) -> dict[str, Any]:
    return {"id": letter.id, "status": letter.status, "created_at": letter.created_at,
            "source": letter.source, "record_key": letter.record_key,
            "salesforce_id": name.salesforce_id, "name": name.name,
            "error_code": letter.error_code, "reason": letter.reason,
            "attempts": letter.attempts}


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
    elif letter.source == "webhook":
        if not requeue_delivery(session, int(payload.get("delivery_id", 0))):
            return False
    else:
        return False
    letter.status = DeadLetterStatus.RETRIED
    letter.attempts += 1
    letter.retried_at = SystemClock().now()
    return True
