"""The notification part of ``status``: what was skipped and why, what waits for a retry.

A customer notification without an address is recorded as skipped (``failed``, its reason
starting ``skipped:``) and never retried; a notification that met a temporary SMTP refusal
waits pending until its next attempt. Both are listed here with their reasons, the newest
first; dead-lettered ones are in ``deadletter list``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.commands.output import display
from connector.ledger import daemon_state
from connector.ledger.announcements import NotificationRetry
from connector.ledger.models import Notification, NotificationStatus

SKIPPED = "skipped:%"
SHOWN = 5


def notification_section(session: Session,
                         state: dict[str, dict[str, Any]]) -> tuple[dict[str, Any], list[str]]:
    """The JSON section (``skipped``, ``retrying``, ``templates_refused``) and the lines for
    a person."""
    refused = state.get(daemon_state.TEMPLATES_REFUSED)
    skipped = _skipped(session)
    retrying = _retrying(session)
    count = session.scalar(select(func.count()).where(
        Notification.status == NotificationStatus.FAILED,
        Notification.last_error.like(SKIPPED))) or 0
    lines = []
    if count:
        lines.append(f"  skipped:     {count} notification(s), not retried:")
        lines += [f"    {s['kind']} ({s['key']}): {s['reason']}" for s in skipped]
    if retrying:
        lines.append(f"  retrying:    {len(retrying)} notification(s) after a temporary "
                     "refusal:")
        lines += [f"    {r['kind']} to {r['recipient']}: attempt {r['attempts']}, next at "
                  f"{display(r['next_attempt_at'])}: {r['reason']}" for r in retrying]
    if refused:
        lines.append(f"  templates:   REFUSED at {refused['at']} (the last good versions "
                     "stay in force):")
        lines += [f"    {problem}" for problem in refused["problems"]]
    return {"skipped": count, "skipped_latest": skipped, "retrying": retrying,
            "templates_refused": refused}, lines


def _skipped(session: Session) -> list[dict[str, Any]]:
    rows = session.scalars(select(Notification).where(
        Notification.status == NotificationStatus.FAILED,
        Notification.last_error.like(SKIPPED)).order_by(Notification.id.desc()).limit(SHOWN))
    return [{"kind": row.kind, "key": row.key, "reason": row.last_error} for row in rows]


def _retrying(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(select(Notification, NotificationRetry).join(
        NotificationRetry, NotificationRetry.notification_id == Notification.id).where(
        Notification.status == NotificationStatus.PENDING)
        .order_by(NotificationRetry.next_attempt_at))
    return [{"kind": note.kind, "recipient": note.recipient, "attempts": note.attempts,
             "next_attempt_at": retry.next_attempt_at, "reason": retry.reason}
            for note, retry in rows]
