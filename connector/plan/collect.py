"""Building the plan: the engine's reading steps on a private copy of the ledger, then a look
at what they (and earlier runs) left queued.

The engine's :meth:`~connector.sync.engine.SyncEngine.dry_run` runs the same reading steps a
cycle runs, against a copy of the ledger that is thrown away afterwards (on PostgreSQL, a
transaction rolled back), so its network calls hold no lock webhooks or the daemon wait on;
before the copy goes this module reads the effects queued there: Salesforce upserts
(compared with Salesforce's current values), the Stripe creates the activations would send
(from the same code that sends them), pending emails (one per CSM digest), and the ledger's
own changes (the dry run's journal entries and dead letters). Reading calls the APIs;
nothing is written to Salesforce, Stripe, SMTP or the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from connector.dispatch.notifications import DIGESTED_KINDS
from connector.dispatch.stripe_activation import Activations, StripeCall
from connector.ledger.models import (
    DeadLetter,
    JournalEntry,
    Notification,
    NotificationStatus,
    OutboxOperation,
    OutboxStatus,
    OutboxTarget,
)
from connector.ledger.names import RecordName, RecordNames
from connector.ledger.unit_of_work import Ledger
from connector.notify.digest import Digest, Entry, group
from connector.plan.records import Change, FieldChange, Plan, fields_of
from connector.plan.salesforce import salesforce_changes
from connector.sync.engine import SyncEngine
from connector.sync.report import CycleReport
from connector.workflows.subscription_edits import ACTIVATE

WRITE_BACK = "then writes the Stripe ids and billing facts back to Subscription__c"


def plan_next_sync(engine: SyncEngine, *, generate_since: date | None = None) -> Plan:
    """What the next ``sync --once`` would do, per system; nothing is written anywhere.

    ``generate_since``: also what ``backfill --generate-since`` would generate from history.
    """
    with engine.sessions() as session:
        before = _Before(session.scalar(select(func.max(OutboxOperation.id))) or 0,
                         session.scalar(select(func.max(DeadLetter.id))) or 0)
    return engine.dry_run(lambda ledger, report: _collect(engine, ledger, report, before),
                          generate_since=generate_since)


@dataclass(frozen=True)
class _Before:
    """The highest row ids before the dry run: rows above them are the dry run's own."""

    outbox: int
    dead_letter: int


def _collect(engine: SyncEngine, ledger: Ledger, report: CycleReport, before: _Before) -> Plan:
    changes = [
        *salesforce_changes(ledger, engine.services.salesforce, before.outbox,
                            engine.mappings.subscription_fields,
                            engine.mappings.license.account_fields
                            if engine.mappings.license else None),
        *_stripe_changes(engine, ledger),
        *_email_changes(ledger),
        *_ledger_changes(ledger, report.run_id, before.dead_letter),
    ]
    summary = {k: v for k, v in report.summary().items() if k != "run_id"}
    return Plan(engine.clock.now(), engine.mappings.digest, tuple(changes), summary)


def _stripe_changes(engine: SyncEngine, ledger: Ledger) -> list[Change]:
    activations = Activations(ledger, engine.services.stripe, engine.mappings,
                              engine.config.stripe)
    changes = [_stripe_call(call) for call in activations.preview()]
    with ledger.unit() as uow:
        others = uow.session.scalars(select(OutboxOperation).where(
            OutboxOperation.target == OutboxTarget.STRIPE,
            OutboxOperation.status == OutboxStatus.PENDING).order_by(OutboxOperation.id))
        for op in others:
            due = op.next_attempt_at <= uow.now
            if op.operation != ACTIVATE or not due:
                changes.append(Change(
                    "stripe", op.operation if due else "wait", op.entity_type or "", op.key,
                    fields_of(op.payload), "" if due else f"next attempt at {op.next_attempt_at}"))
    return changes


def _stripe_call(call: StripeCall) -> Change:
    if call.error is not None:
        return Change("stripe", "error", call.object, call.key, (),
                      f"{call.error} (the activation would be dead-lettered)")
    if call.existing is not None:
        return Change("stripe", "leave", call.object, call.key, (),
                      f"an earlier, interrupted attempt created it as {call.existing}; the "
                      f"sync records it and {WRITE_BACK.removeprefix('then ')}")
    note = WRITE_BACK if call.object == "subscription" else ""
    return Change("stripe", "create", call.object, call.key, fields_of(call.params), note)


def _email_changes(ledger: Ledger) -> list[Change]:
    """One email per digest the dispatch would send (a CSM's pending notifications go out as
    one), then one error per notification that has nowhere to go."""
    with ledger.unit() as uow:
        pending = list(uow.session.scalars(select(Notification).where(
            Notification.status == NotificationStatus.PENDING).order_by(Notification.id)))
    entries = [Entry(note.id, note.key, note.kind, note.recipient, dict(note.data or {}))
               for note in pending if note.recipient]
    unaddressed = [note for note in pending if not note.recipient]
    return ([_email(digest) for digest in group(entries, DIGESTED_KINDS)]
            + [_unaddressed(note) for note in unaddressed])


def _email(digest: Digest) -> Change:
    lines = [f"{line.get('product')} x {line.get('quantity')} at {line.get('unit_price')} "
             f"{line.get('currency')}" for entry in digest.entries for line in entry.lines]
    opportunities = [str((entry.context.get("opportunity") or {}).get("name") or entry.key)
                     for entry in digest.entries]
    fields = (FieldChange("to", None, digest.recipient),
              FieldChange("opportunities", None, opportunities),
              FieldChange("subscriptions", None, lines))
    return Change("email", "send", digest.kind, digest.key, fields)


def _unaddressed(note: Notification) -> Change:
    fields = (FieldChange("to", None, note.recipient), FieldChange("subject", None, note.subject))
    return Change("email", "error", note.kind, note.key, fields,
                  "the CSM has no email address in Salesforce; it would be dead-lettered")


def _ledger_changes(ledger: Ledger, run_id: str, last_letter: int) -> list[Change]:
    with ledger.unit() as uow:
        names = RecordNames(uow.session)
        entries = uow.session.scalars(select(JournalEntry).where(
            JournalEntry.run_id == run_id).order_by(JournalEntry.id))
        changes = [Change("ledger", entry.kind, entry.entity_type,
                          _known_as(names.of(entry.entity_type, entry.entity_id),
                                    entry.entity_id),
                          tuple(FieldChange(name, old, new)
                                for name, (old, new) in entry.diff.items()),
                          f"from {entry.source}") for entry in entries]
        letters = uow.session.scalars(select(DeadLetter).where(
            DeadLetter.id > last_letter).order_by(DeadLetter.id))
        changes += [Change("ledger", "dead_letter", letter.source,
                           _known_as(names.of_dead_letter(letter), letter.record_key), (),
                           f"{letter.error_code or ''} {letter.reason}".strip())
                    for letter in letters]
    return changes


def _known_as(name: RecordName, fallback: str) -> str:
    """A record as a person finds it: Salesforce Id and name, else the ledger's key."""
    shown = name.salesforce_id or fallback
    return f"{shown} ({name.name})" if name.name else shown
