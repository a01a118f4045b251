"""Claiming outbox operations and recording how their delivery went.

State machine of an operation: ``pending`` → ``done``; or back to ``pending`` with a later
``next_attempt_at`` after a transient failure; or ``dead`` (with a dead letter) when the
target rejected it. The dispatcher is at-least-once; the targets' idempotency (Stripe keys,
Salesforce upserts by external id) makes it exactly-once in effect.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from connector.errors import RetriableError, SkippableError
from connector.ledger.models import OutboxOperation, OutboxStatus
from connector.ledger.unit_of_work import UnitOfWork

MAX_BACKOFF = timedelta(hours=1)


def due(uow: UnitOfWork, target: str, operation: str | None = None,
        limit: int = 1000) -> list[OutboxOperation]:
    """Pending operations for ``target`` whose next attempt is not in the future, oldest first."""
    query = select(OutboxOperation).where(
        OutboxOperation.target == target, OutboxOperation.status == OutboxStatus.PENDING,
        OutboxOperation.next_attempt_at <= uow.now,
    )
    if operation is not None:
        query = query.where(OutboxOperation.operation == operation)
    return list(uow.session.scalars(query.order_by(OutboxOperation.id).limit(limit)))


def mark_done(uow: UnitOfWork, op: OutboxOperation, result: dict[str, Any] | None = None) -> None:
    """Record a delivered operation."""
    op.status = OutboxStatus.DONE
    op.attempts += 1
    op.done_at = uow.now
    op.result = result
    op.last_error = None


def mark_retry(uow: UnitOfWork, op: OutboxOperation, error: RetriableError) -> None:
    """Put an operation back for a later attempt, backing off exponentially."""
    op.attempts += 1
    op.last_error = str(error)
    wait = min(timedelta(seconds=2 ** min(op.attempts, 12)), MAX_BACKOFF)
    op.next_attempt_at = uow.now + wait


def mark_dead(uow: UnitOfWork, op: OutboxOperation, error: SkippableError) -> None:
    """Give up on an operation the target rejected; keep it as a dead letter."""
    op.status = OutboxStatus.DEAD
    op.attempts += 1
    op.last_error = str(error)
    uow.dead_letter(f"outbox.{op.target}", op.key, str(error), error.code,
                    {"outbox_id": op.id, "operation": op.operation, **op.payload})
