"""Settling a conflict: the admin takes one side's value, delivered through the outbox.

``take`` is the system whose value wins:

* a Stripe-owned fact a CSM changed (``MRR__c``, ``Next_Renewal_Date__c``, a status Stripe
  cannot make): ``stripe`` writes Stripe's value to Salesforce again; ``salesforce`` is
  refused, because Stripe derives the value (change the quantity, price or status instead);
* a Salesforce-owned field changed in Stripe (the quantity): ``salesforce`` sends the
  ledger's quantity to Stripe again; ``stripe`` makes Stripe's the quantity everywhere: in
  the ledger (journaled as the admin's change), in Salesforce and, since the conflict had
  Salesforce's re-asserted there, in Stripe;
* a price changed in Stripe (``Product__c``): ``salesforce`` sends the ledger product's
  price to Stripe again; ``stripe`` makes the product whose price has Stripe's lookup key
  the subscription's product in the ledger and Salesforce, and Stripe's price again in
  Stripe. A price whose lookup key names no known product is refused (there is nothing to
  sell it as in Salesforce).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from connector.errors import ConfigError
from connector.inbound import conflicts
from connector.inbound import subscription_values as fields
from connector.inbound.stripe import price_conflicts
from connector.ledger import outbox_commands as commands
from connector.ledger.journal import diff
from connector.ledger.models import (
    ChangeKind,
    Conflict,
    ConflictStatus,
    OutboxOperation,
    Product,
    Source,
    Subscription,
    SubscriptionItem,
    System,
)
from connector.ledger.unit_of_work import UnitOfWork
from connector.mapping import MappingSet

QUANTITY = "Quantity__c"


def resolve(uow: UnitOfWork, conflict: Conflict, take: str,
            mappings: MappingSet | None = None) -> str:
    """Settle ``conflict`` with ``take``'s value; return what was queued, for the admin.

    Args:
        mappings: the mapping set; ``catalog.toml`` finds the product of a Stripe price
            (needed for ``Product__c`` conflicts).

    Raises:
        ConfigError: the conflict is not open, or that side's value cannot be applied.
    """
    if conflict.status != ConflictStatus.OPEN:
        raise ConfigError([f"conflicts: #{conflict.id} is already {conflict.status}"])
    subscription = uow.session.get_one(Subscription, conflict.entity_id)
    if conflict.field == QUANTITY:
        done = _quantity(uow, conflict, subscription, take)
    elif conflict.field == price_conflicts.PRODUCT:
        done = _price(uow, conflict, subscription, take, mappings)
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
    _send(uow, conflict, subscription, {"items.0.quantity": quantity})
    if take == "salesforce":
        return f"Stripe gets Salesforce's quantity {quantity} on the next sync"
    changes = diff({"quantity": item.quantity}, {"quantity": quantity})
    item.quantity, item.updated_at = quantity, uow.now
    uow.record("subscription", subscription.id, Source.ADMIN, ChangeKind.UPDATE, changes)
    conflicts.reassert_in_salesforce(uow, subscription.id, {QUANTITY: quantity},
                                     f"resolve:{conflict.id}")
    return f"the ledger, Salesforce and Stripe take Stripe's quantity {quantity} on the next sync"


def _price(uow: UnitOfWork, conflict: Conflict, subscription: Subscription, take: str,
           mappings: MappingSet | None) -> str:
    """Both systems and the ledger get the chosen product's price (Stripe had ours)."""
    if mappings is None:
        raise ConfigError([f"conflicts: #{conflict.id}: the mappings are needed to settle "
                           f"{conflict.field}"])
    item = _item(uow, subscription.id)
    if take == "salesforce":
        product = uow.session.get(Product, item.product_id) if item.product_id else None
        key = price_conflicts.lookup_key(mappings, product) if product else None
        _send_price(uow, conflict, subscription, key or str(conflict.ours))
        return f"Stripe gets Salesforce's price {key or conflict.ours!r} on the next sync"
    product = _product_of_price(uow, conflict, mappings)
    changes = diff({"product_id": item.product_id}, {"product_id": product.id})
    item.product_id, item.updated_at = product.id, uow.now
    uow.record("subscription", subscription.id, Source.ADMIN, ChangeKind.UPDATE, changes)
    conflicts.reassert_in_salesforce(
        uow, subscription.id,
        {price_conflicts.PRODUCT: uow.external_for("product", product.id, System.SALESFORCE,
                                                   "Product2")}, f"resolve:{conflict.id}")
    _send_price(uow, conflict, subscription, str(conflict.theirs))
    return (f"the ledger, Salesforce and Stripe take Stripe's price {conflict.theirs!r} "
            f"(product {product.name}) on the next sync")


def _product_of_price(uow: UnitOfWork, conflict: Conflict, mappings: MappingSet) -> Product:
    product = price_conflicts.product_for(uow, mappings, str(conflict.theirs))
    if product is None or uow.external_for("product", product.id, System.SALESFORCE,
                                           "Product2") is None:
        raise ConfigError([
            f"conflicts: #{conflict.id}: Stripe's price {conflict.theirs!r} is not the price "
            "of any known Salesforce product (by lookup key, mappings/catalog.toml); give "
            "the price a product's lookup key, or take salesforce"])
    return product


def _send_price(uow: UnitOfWork, conflict: Conflict, subscription: Subscription,
                key: str) -> None:
    _send(uow, conflict, subscription, {price_conflicts.PRICE: key})


def _send(uow: UnitOfWork, conflict: Conflict, subscription: Subscription,
          params: dict[str, Any]) -> None:
    """Queue the chosen value for Stripe, once per resolution, without prorations."""
    stripe_id = uow.external_for("subscription", subscription.id, System.STRIPE, "subscription")
    commands.enqueue(uow, commands.UpdateSubscription(
        subscription.id, str(stripe_id), params,
        commands.proration_behavior(commands.ChangeOrigin.CORRECTION), f"resolve:{conflict.id}"))


def _item(uow: UnitOfWork, subscription_id: str) -> SubscriptionItem:
    query = select(SubscriptionItem).where(SubscriptionItem.subscription_id == subscription_id)
    return uow.session.scalars(query.order_by(SubscriptionItem.created_at).limit(1)).one()
