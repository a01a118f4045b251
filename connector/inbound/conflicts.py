"""Conflicts: a change made by a field's non-owner is recorded, not applied (DESIGN rule 4).

Each mapped field has an owner (``stripe_to_subscription.toml``: Stripe owns the billing facts
``MRR__c``, ``ARR__c``, ``Next_Renewal_Date__c``; ``subscription_to_stripe.toml``: Salesforce
owns quantity and price). When the other side changes such a field, the change is kept in the
``conflicts`` table with both values and timestamps, and the owner's value is asserted again,
once: the re-assertion is keyed by the conflict, and the same disagreement seen again while
its conflict is open records nothing new. An admin settles it with
``crm-connector conflicts resolve ID --take salesforce|stripe``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from connector.ledger import outbox_commands as commands
from connector.ledger.journal import jsonable
from connector.ledger.models import (
    Conflict,
    ConflictStatus,
    OutboxOperation,
    OutboxStatus,
    OutboxTarget,
    Subscription,
    SubscriptionItem,
)
from connector.ledger.unit_of_work import UnitOfWork
from connector.mapping import ObjectMapping
from connector.mapping.money import from_minor

STRIPE_FACTS = ("MRR__c", "ARR__c", "Next_Renewal_Date__c")
"""``Subscription__c`` fields Stripe reports; checked on every Salesforce read."""

UNSETTLED = (OutboxStatus.PENDING, OutboxStatus.IN_FLIGHT, OutboxStatus.FAILED)
LIFECYCLE_OPERATIONS = commands.LIFECYCLE_OPERATIONS


def record(uow: UnitOfWork, subscription_id: str, field: str, *, owner: str, ours: Any,
           theirs: Any, their_source: str, their_ts: datetime | None) -> Conflict | None:
    """Keep a conflict; None when the same disagreement is already open."""
    ours, theirs = jsonable(ours), jsonable(theirs)
    for existing in open_conflicts(uow, subscription_id, field):
        if existing.theirs == theirs:
            return None
    conflict = Conflict(entity_type="subscription", entity_id=subscription_id, field=field,
                        owner=owner, ours=ours, theirs=theirs, their_source=their_source,
                        their_ts=their_ts, created_at=uow.now)
    uow.session.add(conflict)
    uow.session.flush()
    return conflict


def open_conflicts(uow: UnitOfWork, subscription_id: str, field: str) -> list[Conflict]:
    """The open conflicts of one field of one subscription."""
    query = select(Conflict).where(
        Conflict.entity_type == "subscription", Conflict.entity_id == subscription_id,
        Conflict.field == field, Conflict.status == ConflictStatus.OPEN)
    return list(uow.session.scalars(query))


def stripe_facts(subscription: Subscription) -> dict[str, Any]:
    """The Stripe-owned ``Subscription__c`` values the ledger holds, as Salesforce shows them."""
    currency = subscription.currency or "usd"
    period_end = subscription.current_period_end
    return {
        "MRR__c": _money(subscription.mrr_minor, currency),
        "ARR__c": _money(subscription.arr_minor, currency),
        "Next_Renewal_Date__c": period_end.date().isoformat() if period_end else None,
    }


def check_salesforce(uow: UnitOfWork, record_: Mapping[str, Any], subscription: Subscription,
                     owners: ObjectMapping, their_ts: datetime) -> int:
    """Record a conflict for each Stripe-owned field a CSM changed; re-assert Stripe's value.

    Skipped while a Salesforce write of the subscription is still on its way (the record
    read may predate it). Returns how many conflicts were recorded.
    """
    if _writes_pending(uow, OutboxTarget.SALESFORCE, subscription.id):
        return 0
    recorded = 0
    for field, ours in stripe_facts(subscription).items():
        if owner_of(owners, field) != "stripe" or _same(ours, record_.get(field)):
            continue
        conflict = record(uow, subscription.id, field, owner="stripe", ours=ours,
                          theirs=record_.get(field), their_source="salesforce",
                          their_ts=their_ts)
        if conflict is not None:
            reassert_in_salesforce(uow, subscription.id, {field: ours}, f"conflict:{conflict.id}")
            recorded += 1
    return recorded


def check_stripe(uow: UnitOfWork, subscription: Subscription, stripe_sub: Mapping[str, Any],
                 owners: ObjectMapping, reported_at: datetime) -> int:
    """Record a conflict when Stripe reports a quantity Salesforce owns but did not ask for.

    The caller has checked the event is not :func:`stale`. The ledger's quantity is sent to
    Stripe again, once, without prorations (undoing an edit nobody asked for bills nothing).
    Returns how many conflicts were recorded.
    """
    if owner_of(owners, "items.0.quantity") != "salesforce":
        return 0
    items = (stripe_sub.get("items") or {}).get("data") or []
    item = first_item(uow, subscription.id)
    if not items or item is None or items[0].get("quantity") in (None, item.quantity):
        return 0
    conflict = record(uow, subscription.id, "Quantity__c", owner="salesforce",
                      ours=item.quantity, theirs=items[0]["quantity"], their_source="stripe",
                      their_ts=reported_at)
    if conflict is None:
        return 0
    commands.enqueue(uow, commands.UpdateSubscription(
        subscription.id, stripe_sub["id"], {"items.0.quantity": item.quantity},
        commands.proration_behavior(commands.ChangeOrigin.CORRECTION),
        f"conflict:{conflict.id}"))
    return 1


def stale(uow: UnitOfWork, subscription_id: str, reported_at: datetime) -> bool:
    """Whether a Stripe event may predate our own change (then it shows no edit).

    True while a Stripe operation on the subscription is on its way, or when one finished
    at or after ``reported_at``.
    """
    if _writes_pending(uow, OutboxTarget.STRIPE, subscription_id):
        return True
    query = select(OutboxOperation.id).where(
        OutboxOperation.target == OutboxTarget.STRIPE,
        OutboxOperation.entity_type == "subscription",
        OutboxOperation.entity_id == subscription_id, OutboxOperation.done_at >= reported_at)
    return uow.session.scalar(query.limit(1)) is not None


def first_item(uow: UnitOfWork, subscription_id: str) -> SubscriptionItem | None:
    """The subscription's first item (the one Stripe's ``items.0`` is)."""
    query = select(SubscriptionItem).where(SubscriptionItem.subscription_id == subscription_id)
    return uow.session.scalars(query.order_by(SubscriptionItem.created_at).limit(1)).first()


def newer_salesforce_intent(uow: UnitOfWork, subscription: Subscription,
                            reported_at: datetime | None) -> dict[str, Any]:
    """The lifecycle values a Stripe event must not overwrite, because they are newer.

    ``Status__c`` and ``End_Date__c`` go to the latest writer: while a CSM's change that
    came after the event (a cancellation, a reactivation, a new end date) is still waiting
    for its Stripe call, the event's status, cancellation flag and end date are older news.
    Returns those ledger values to keep (empty when the event is the latest word).
    """
    if reported_at is None:
        return {}
    query = select(OutboxOperation.id).where(
        OutboxOperation.target == OutboxTarget.STRIPE,
        OutboxOperation.operation.in_(LIFECYCLE_OPERATIONS),
        OutboxOperation.entity_type == "subscription",
        OutboxOperation.entity_id == subscription.id,
        OutboxOperation.status.in_(UNSETTLED), OutboxOperation.created_at >= reported_at)
    if uow.session.scalar(query.limit(1)) is None:
        return {}
    return {"status": subscription.status, "end_date": subscription.end_date,
            "cancel_at_period_end": subscription.cancel_at_period_end}


def reassert_in_salesforce(uow: UnitOfWork, subscription_id: str, values: Mapping[str, Any],
                           reason: str) -> None:
    """Queue a Salesforce write of ``values`` to the subscription, keyed by ``reason``."""
    commands.enqueue(uow, commands.SubscriptionWrite(
        subscription_id, {k: _json(v) for k, v in values.items()}, reason))


def _writes_pending(uow: UnitOfWork, target: OutboxTarget, subscription_id: str) -> bool:
    query = select(OutboxOperation.id).where(
        OutboxOperation.target == target, OutboxOperation.entity_type == "subscription",
        OutboxOperation.entity_id == subscription_id, OutboxOperation.status.in_(UNSETTLED))
    return uow.session.scalar(query.limit(1)) is not None


def owner_of(owners: ObjectMapping, field: str) -> str | None:
    """The owner of ``field`` in ``owners``; None when it is not mapped."""
    try:
        return owners.owner_of(field)
    except KeyError:
        return None


def _same(ours: Any, theirs: Any) -> bool:
    if ours is None or theirs is None:
        return ours is None and theirs is None
    if isinstance(ours, Decimal):
        return ours == Decimal(str(theirs))
    return str(ours)[:10] == str(theirs)[:10]


def _money(minor: int | None, currency: str) -> Decimal | None:
    return None if minor is None else from_minor(minor, currency.upper())


def _json(value: Any) -> Any:
    return float(value) if isinstance(value, Decimal) else value
