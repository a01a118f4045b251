"""A price changed directly in Stripe: Salesforce owns what CSMs sell (DESIGN rule 4).

The ledger's product names the subscription's Stripe price through its lookup key
(``catalog.toml``). When a Stripe event shows the first item on a price with another lookup
key (or none), the change is kept as a ``Product__c`` conflict, not applied, and the
product's price is sent to Stripe again, once, without prorations. The conflict holds lookup
keys; a price without one is held by its id.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from connector.billing import shapes
from connector.inbound import conflicts
from connector.ledger import outbox_commands as commands
from connector.ledger.models import Product, Subscription
from connector.ledger.unit_of_work import UnitOfWork
from connector.mapping import MappingError, MappingSet

PRODUCT = "Product__c"
PRICE = "items.0.price"


def check_price(uow: UnitOfWork, subscription: Subscription, stripe_sub: Mapping[str, Any],
                mappings: MappingSet, reported_at: datetime) -> int:
    """Record a conflict when Stripe bills the first item on a price Salesforce did not sell.

    The caller has checked that the event is newer than our own Stripe changes. Returns how
    many conflicts were recorded (0 or 1).
    """
    if conflicts.owner_of(mappings.subscription_to_stripe, PRICE) != "salesforce":
        return 0
    ours, theirs = _ours(uow, subscription, mappings), _theirs(stripe_sub)
    if ours is None or theirs is None or ours == theirs:
        return 0
    conflict = conflicts.record(uow, subscription.id, PRODUCT, owner="salesforce", ours=ours,
                                theirs=theirs, their_source="stripe", their_ts=reported_at)
    if conflict is None:
        return 0
    commands.enqueue(uow, commands.UpdateSubscription(
        subscription.id, stripe_sub["id"], {PRICE: ours},
        commands.proration_behavior(commands.ChangeOrigin.CORRECTION),
        f"conflict:{conflict.id}"))
    return 1


def lookup_key(mappings: MappingSet, product: Product) -> str | None:
    """The lookup key of ``product``'s Stripe price; None when the catalog cannot make one."""
    try:
        return mappings.catalog.lookup_key({"ProductCode": product.product_code,
                                            "Name": product.name})
    except MappingError:
        return None


def product_for(uow: UnitOfWork, mappings: MappingSet, key: str | None) -> Product | None:
    """The ledger product whose price has lookup key ``key``; None when none has."""
    if not key:
        return None
    query = select(Product).where(Product.product_code.is_not(None))
    return next((p for p in uow.session.scalars(query) if lookup_key(mappings, p) == key), None)


def _ours(uow: UnitOfWork, subscription: Subscription, mappings: MappingSet) -> str | None:
    item = conflicts.first_item(uow, subscription.id)
    product = uow.session.get(Product, item.product_id) if item and item.product_id else None
    return lookup_key(mappings, product) if product is not None else None


def _theirs(stripe_sub: Mapping[str, Any]) -> str | None:
    items = shapes.subscription_items(dict(stripe_sub))
    price = (items[0].get("price") or {}) if items else {}
    if isinstance(price, str):  # not expanded: only the id is known
        return price
    return price.get("lookup_key") or price.get("id")
