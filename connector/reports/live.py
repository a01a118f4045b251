"""``reconciliation --live``: Salesforce and Stripe as they are now, against the ledger.

The command reads the copies (:class:`LiveCopies`) through the adapters, within the API
budget; this module only compares them with the ledger, so it makes no call itself. Per
billing subscription of the ledger:

* **Salesforce** (its ``Subscription__c``): gone (``(deleted)``), ``Status__c``,
  ``Quantity__c`` and ``Stripe_Subscription_Id__c`` different from what the ledger would
  write now;
* **Stripe** (its subscription): gone (``(missing)``), ``status``, ``quantity`` (the items'
  sum) and ``price`` different from the ledger's;
* and a Stripe subscription the ledger has no record of (``ledger_id``: ``(missing)``).

The ledger's own checks that need no copy (a subscription without a Salesforce or Stripe
id, payments that do not add up) are listed too, as in ``reconciliation``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from connector.inbound.subscription_values import salesforce_status
from connector.ledger.models import Link, Subscription, System
from connector.reports.reconciliation import (
    Ids,
    difference,
    missing_links,
    price_id,
    stripe_quantity,
    unbooked_payments,
)
from connector.reports.spec import Row

SALESFORCE_OBJECT = "Subscription__c"
SALESFORCE_FIELDS = ("Status__c", "Quantity__c", "Stripe_Subscription_Id__c")
DELETED, MISSING = "(deleted)", "(missing)"


@dataclass(frozen=True)
class SalesforceCopy:
    """A ``Subscription__c`` as Salesforce holds it now."""

    id: str
    status: str | None
    quantity: int | None
    stripe_subscription_id: str | None

    @classmethod
    def of(cls, record: Mapping[str, Any]) -> SalesforceCopy:
        """From a queried record with :data:`SALESFORCE_FIELDS`."""
        quantity = record.get("Quantity__c")
        return cls(str(record["Id"]), record.get("Status__c"),
                   None if quantity is None else int(Decimal(str(quantity))),
                   record.get("Stripe_Subscription_Id__c"))


@dataclass(frozen=True)
class StripeCopy:
    """A Stripe subscription as Stripe holds it now."""

    id: str
    status: str | None
    quantity: int | None
    prices: tuple[str, ...]

    @classmethod
    def of(cls, obj: Mapping[str, Any]) -> StripeCopy:
        """From a listed subscription object."""
        items = (obj.get("items") or {}).get("data") or []
        prices = sorted(str(price_id(item)) for item in items if price_id(item))
        return cls(str(obj["id"]), obj.get("status"), stripe_quantity(items) if items else None,
                   tuple(prices))


@dataclass(frozen=True)
class LiveCopies:
    """What the command read: ``Subscription__c`` by Salesforce Id, Stripe subscriptions by
    Stripe id (every one the account has)."""

    salesforce: Mapping[str, SalesforceCopy]
    stripe: Mapping[str, StripeCopy]


def salesforce_ids(session: Session) -> list[str]:
    """The ``Subscription__c`` ids the ledger knows, to be read back."""
    return sorted(session.scalars(select(Link.external_id).where(
        Link.entity_type == "subscription", Link.system == System.SALESFORCE,
        Link.object_type == SALESFORCE_OBJECT)))


def live_differences(session: Session, copies: LiveCopies) -> list[Row]:
    """Every difference between the ledger and ``copies``, as ``reconciliation`` rows."""
    ids = Ids(session)
    links = _links(session)
    rows = missing_links(session, ids)
    subscriptions = session.scalars(select(Subscription).where(
        Subscription.deleted_at.is_(None)).options(selectinload(Subscription.items))
        .order_by(Subscription.id))
    for sub in subscriptions:
        salesforce_id, stripe_id = links.get((sub.id, System.SALESFORCE)), links.get(
            (sub.id, System.STRIPE))
        if salesforce_id:
            rows += _salesforce_rows(ids, sub, copies.salesforce.get(salesforce_id), stripe_id)
        if stripe_id:
            rows += _stripe_rows(ids, sub, copies.stripe.get(stripe_id))
    known = {stripe_id for (_, system), stripe_id in links.items() if system == System.STRIPE}
    return [*rows, *_unknown(copies.stripe, known), *unbooked_payments(session, ids)]


def _links(session: Session) -> dict[tuple[str, System], str]:
    found = session.execute(select(Link.entity_id, Link.system, Link.external_id).where(
        Link.entity_type == "subscription"))
    return {(entity_id, System(system)): external for entity_id, system, external in found}


def _quantity(sub: Subscription) -> int | None:
    items = [item for item in sub.items if item.deleted_at is None]
    return sum(item.quantity for item in items) if items else None


def _salesforce_rows(ids: Ids, sub: Subscription, copy: SalesforceCopy | None,
                     stripe_id: str | None) -> list[Row]:
    if copy is None:
        return [difference(ids, "subscription", sub.id, "salesforce_id", sub.status,
                           salesforce=DELETED)]
    ours = {"Status__c": salesforce_status(sub), "Quantity__c": _quantity(sub),
            "Stripe_Subscription_Id__c": stripe_id}
    theirs = {"Status__c": copy.status, "Quantity__c": copy.quantity,
              "Stripe_Subscription_Id__c": copy.stripe_subscription_id}
    return [difference(ids, "subscription", sub.id, field, value, salesforce=theirs[field])
            for field, value in ours.items()
            if value is not None and theirs[field] != value]


def _stripe_rows(ids: Ids, sub: Subscription, copy: StripeCopy | None) -> list[Row]:
    if copy is None:
        return [difference(ids, "subscription", sub.id, "stripe_id", sub.status,
                           stripe=MISSING)]
    prices = tuple(sorted(ids.external("price", item.price_id, System.STRIPE) or item.price_id
                          for item in sub.items if item.price_id and item.deleted_at is None))
    ours: dict[str, Any] = {"status": sub.status, "quantity": _quantity(sub),
                            "price": ",".join(prices) or None}
    theirs = {"status": copy.status, "quantity": copy.quantity,
              "price": ",".join(copy.prices) or None}
    return [difference(ids, "subscription", sub.id, field, value, stripe=theirs[field])
            for field, value in ours.items()
            if value is not None and theirs[field] is not None and theirs[field] != value]


def _unknown(stripe: Mapping[str, StripeCopy], known: set[str]) -> list[Row]:
    return [{"entity": "subscription", "ledger_id": None, "salesforce_id": None,
             "stripe_id": copy.id, "field": "ledger_id", "ledger": MISSING,
             "salesforce": None, "stripe": copy.status}
            for stripe_id, copy in sorted(stripe.items()) if stripe_id not in known]
