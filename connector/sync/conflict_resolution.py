"""Settling a conflict: the admin takes one side's value, delivered through the outbox.

``take`` is the system whose value wins:

* a Stripe-owned fact a CSM changed (``MRR__c``, ``Next_Renewal_Date__c``, a status Stripe
  cannot make): ``stripe`` writes Stripe's value to Salesforce again; ``salesforce`` is
  refused, because Stripe derives the value (change the quantity, price or status instead);
* a Salesforce-owned field changed in Stripe (the quantity): ``salesforce`` sends the
  ledger's quantity to Stripe again; ``stripe`` makes Stripe's the quantity everywhere: in
  the ledger (journaled as the admin's change), in Salesforce and, since the conflict had
  Salesforce's re-asserted there, in Stripe.
"""

from __future__ import annotations

from sqlalchemy import select

from connector.errors import ConfigError
from connector.ledger.journal import diff
from connector.ledger.models import (
    ChangeKind,
    Conflict,
    ConflictStatus,
    OutboxOperation,
    OutboxTarget,
    Source,
    Subscription,
    SubscriptionItem,
    System,
)
from connector.sync import conflicts, lifecycle
from connector.sync import subscription_fields as fields
from connector.sync.unit_of_work import UnitOfWork

QUANTITY = "Quantity__c"


def resolve(uow: UnitOfWork, conflict: Conflict, take: str) -> str:
    """Settle ``conflict`` with ``take``'s value; return what was queued, for the admin.

    Raises:
        ConfigError: the conflict is not open, or that side's value cannot be applied.
    """
    if conflict.status != ConflictStatus.OPEN:
        raise ConfigError([f"conflicts: #{conflict.id} is already {conflict.status}"])
    subscription = uow.session.get_one(Subscription, conflict.entity_id)
    if conflict.field == QUANTITY:
        done = _quantity(uow, conflict, subscription, take)
    else:
        done = _stripe_fact(uow, conflict, subscription, take)
    conflict.status, conflict.resolved_at = ConflictStatus.RESOLVED, uow.now
    _due_at_once(uow, conflict)
    return done


def _due_at_once(uow: UnitOfWork, conflict: Conflict) -> None:
    """Make the queued operations due whatever clock the daemon runs on (never ahead)."""
    queued = select(OutboxOperation).where(OutboxOperation.key.like(f"%:resolve:{conflict.id}"))
    for op in uow.session.scalars(queued):
        op.next_attempt_at = min(op.next_attempt_at, conflict.created_at)


def _stripe_fact(uow: UnitOfWork, conflict: Conflict, subscription: Subscription,
                 take: str) -> str:
    if take == "salesforce":
        raise ConfigError([
            f"conflicts: #{conflict.id}: {conflict.field} is reported by Stripe, which cannot "
            f"be set to {conflict.theirs!r}; change the quantity, price or status in "
            "Salesforce instead, or take stripe"])
    shown = {**conflicts.stripe_facts(subscription),
             "Status__c": fields.salesforce_status(subscription)}
    value = shown.get(conflict.field, conflict.ours)
    conflicts.reassert_in_salesforce(uow, subscription.id, {conflict.field: value},
                                     f"resolve:{conflict.id}")
    return f"Salesforce {conflict.field} gets Stripe's value {value!r} on the next sync"


def _quantity(uow: UnitOfWork, conflict: Conflict, subscription: Subscription,
              take: str) -> str:
    """Both systems and the ledger get the chosen quantity (Stripe had ours re-asserted)."""
    item = _item(uow, subscription.id)
    quantity = item.quantity if take == "salesforce" else int(conflict.theirs)
    stripe_id = uow.external_for("subscription", subscription.id, System.STRIPE, "subscription")
    uow.enqueue(OutboxTarget.STRIPE, lifecycle.UPDATE,
                f"stripe:{lifecycle.UPDATE}:{subscription.id}:resolve:{conflict.id}",
                {"stripe_subscription": stripe_id, "params": {"items.0.quantity": quantity},
                 "proration_behavior": "none"}, ("subscription", subscription.id))
    if take == "salesforce":
        return f"Stripe gets Salesforce's quantity {quantity} on the next sync"
    changes = diff({"quantity": item.quantity}, {"quantity": quantity})
    item.quantity, item.updated_at = quantity, uow.now
    uow.record("subscription", subscription.id, Source.ADMIN, ChangeKind.UPDATE, changes)
    conflicts.reassert_in_salesforce(uow, subscription.id, {QUANTITY: quantity},
                                     f"resolve:{conflict.id}")
    return f"the ledger, Salesforce and Stripe take Stripe's quantity {quantity} on the next sync"


def _item(uow: UnitOfWork, subscription_id: str) -> SubscriptionItem:
    query = select(SubscriptionItem).where(SubscriptionItem.subscription_id == subscription_id)
    return uow.session.scalars(query.order_by(SubscriptionItem.created_at).limit(1)).one()
