"""Stripe customers and subscriptions the daemon did not create, made known to the ledger.

``import stripe`` hands each listed object here. A customer becomes a ledger
:class:`~connector.ledger.models.Customer` linked to its Stripe id (and to the Salesforce
Account that matched, if any); a subscription becomes a ledger
:class:`~connector.ledger.models.Subscription` with one item per Stripe item, its prices
and products, all linked. From then on the ordinary appliers
(:class:`~connector.inbound.stripe.objects.StripeObjects`) treat them as billed: the import
applies their facts through them, and later events are applied rather than ignored.

An imported subscription is Stripe's (see :mod:`connector.ledger.stripe_import`): its items
are kept as Stripe holds them (:func:`sync_items`), on every later event too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from connector.billing import shapes
from connector.inbound.stripe import price_conflicts
from connector.ledger import stripe_import
from connector.ledger.mirrors import salesforce_json
from connector.ledger.models import (
    ChangeKind,
    Customer,
    Price,
    Product,
    Subscription,
    SubscriptionItem,
    System,
)
from connector.ledger.outbox_commands import SubscriptionWrite
from connector.ledger.stripe_import import AccountMatch
from connector.ledger.unit_of_work import UnitOfWork
from connector.mapping import MappingSet
from connector.mapping.money import from_minor

Json = dict[str, Any]
MIRRORED = "imported"
"""The reason of a mirrored subscription's first ``Subscription__c`` write (its outbox key)."""


@dataclass(frozen=True)
class AccountRef:
    """The Salesforce Account an imported customer belongs to.

    Attributes:
        ledger_id: the ledger's account (its mirror).
        salesforce_id: the Account's Id.
        match: how it was found.
    """

    ledger_id: str
    salesforce_id: str
    match: AccountMatch


def import_customer(uow: UnitOfWork, customer: Json, account: AccountRef | None) -> str:
    """The ledger customer of a Stripe customer, created (and recorded as imported) when the
    ledger has none; a customer the daemon created keeps its account. Returns its ledger id.
    """
    ledger_id = uow.entity_for(System.STRIPE, "customer", customer["id"])
    if ledger_id is not None:
        row = uow.session.get_one(Customer, ledger_id)
        if stripe_import.imported(uow.session, "customer", ledger_id) is not None:
            _refresh_account(uow, row, account)
        return ledger_id
    row = Customer(account_id=account.ledger_id if account else None,
                   email=customer.get("email"), name=customer.get("name"),
                   created_at=uow.now, updated_at=uow.now)
    uow.session.add(row)
    uow.session.flush()
    uow.link("customer", row.id, System.STRIPE, "customer", customer["id"])
    uow.record("customer", row.id, "stripe", ChangeKind.CREATE,
               {"stripe_id": [None, customer["id"]], "account_id": [None, row.account_id],
                "email": [None, row.email], "name": [None, row.name]},
               source_ts=shapes.timestamp(customer.get("created"), "created"))
    _mark(uow, "customer", row.id, customer["id"], account.match if account else None,
          mirrored=False)
    return row.id


def _refresh_account(uow: UnitOfWork, row: Customer, account: AccountRef | None) -> None:
    """A re-import that finds an Account for a customer imported unlinked links it."""
    if account is not None and row.account_id != account.ledger_id:
        uow.record("customer", row.id, "stripe", ChangeKind.UPDATE,
                   {"account_id": [row.account_id, account.ledger_id]})
        row.account_id, row.updated_at = account.ledger_id, uow.now
        stripe_id = uow.external_for("customer", row.id, System.STRIPE, "customer") or ""
        _mark(uow, "customer", row.id, stripe_id, account.match, mirrored=False)


def import_subscription(uow: UnitOfWork, stripe_sub: Json, mappings: MappingSet, *,
                        mirror: bool) -> Subscription | None:
    """The ledger subscription of a Stripe subscription, created with its items when the
    ledger has none (recorded as imported; ``mirror``: shown in Salesforce when its
    customer has an Account).

    Returns:
        The ledger subscription; None when its customer is not in the ledger.
    """
    customer_id = uow.entity_for(System.STRIPE, "customer", shapes.customer_of(stripe_sub) or "")
    customer = uow.session.get(Customer, customer_id) if customer_id else None
    if customer is None:
        return None
    ledger_id = uow.entity_for(System.STRIPE, "subscription", stripe_sub["id"])
    if ledger_id is not None:
        row = uow.session.get_one(Subscription, ledger_id)
        if stripe_import.imported(uow.session, "subscription", ledger_id) is not None:
            _follow_customer(uow, row, customer)
            _mark_subscription(uow, row, stripe_sub, customer, mirror)
        return row
    row = _new_subscription(uow, stripe_sub, customer)
    _mark_subscription(uow, row, stripe_sub, customer, mirror)
    sync_items(uow, row, stripe_sub, mappings)
    return row


def _new_subscription(uow: UnitOfWork, stripe_sub: Json, customer: Customer) -> Subscription:
    start = shapes.timestamp(stripe_sub.get("start_date") or stripe_sub.get("created"),
                             "start_date")
    row = Subscription(account_id=customer.account_id, customer_id=customer.id,
                       status=_first_status(stripe_sub),
                       currency=str(stripe_sub.get("currency") or "usd").lower(),
                       start_date=start.date() if start else None,
                       created_at=uow.now, updated_at=uow.now)
    uow.session.add(row)
    uow.session.flush()
    uow.link("subscription", row.id, System.STRIPE, "subscription", stripe_sub["id"])
    uow.record("subscription", row.id, "stripe", ChangeKind.CREATE,
               {"stripe_id": [None, stripe_sub["id"]], "status": [None, row.status],
                "customer_id": [None, customer.id], "account_id": [None, row.account_id]},
               source_ts=start)
    return row


def _follow_customer(uow: UnitOfWork, row: Subscription, customer: Customer) -> None:
    """An imported subscription belongs to its customer's Account (found on a re-import)."""
    if row.account_id != customer.account_id:
        uow.record("subscription", row.id, "stripe", ChangeKind.UPDATE,
                   {"account_id": [row.account_id, customer.account_id]})
        row.account_id, row.updated_at = customer.account_id, uow.now


def _first_status(stripe_sub: Json) -> str:
    """The status it started in (journaled at its start): trialing, incomplete or active.
    Where it stands now is applied after, as a change Stripe reported."""
    if stripe_sub.get("trial_start"):
        return "trialing"
    return "incomplete" if str(stripe_sub.get("status")).startswith("incomplete") else "active"


def _mark_subscription(uow: UnitOfWork, row: Subscription, stripe_sub: Json,
                       customer: Customer, mirror: bool) -> None:
    """A subscription's Account is its customer's: matched the same way, or not at all."""
    found = stripe_import.imported(uow.session, "customer", customer.id)
    match = (AccountMatch(found.account_match) if found and found.account_match
             and customer.account_id else None)
    if found is None and customer.account_id:  # a customer the daemon made for an Account
        match = AccountMatch.METADATA
    _mark(uow, "subscription", row.id, stripe_sub["id"], match,
          mirrored=mirror and match is not None)


def _mark(uow: UnitOfWork, entity_type: str, entity_id: str, stripe_id: str,
          match: AccountMatch | None, *, mirrored: bool) -> None:
    stripe_import.record(uow.session, entity_type, entity_id, stripe_id, match=match,
                         mirrored=mirrored, now=uow.now)


def sync_items(uow: UnitOfWork, subscription: Subscription, stripe_sub: Json,
               mappings: MappingSet) -> bool:
    """Make the subscription's items what Stripe bills (quantity, price, amount); items
    Stripe no longer has are soft-deleted. Returns whether anything changed."""
    seen: set[str] = set()
    changed = False
    for item in shapes.subscription_items(stripe_sub):
        row = _item_row(uow, subscription, item)
        seen.add(row.id)
        changed |= _fill_item(uow, row, item, mappings)
    for row in items_of(uow, subscription):
        if row.id not in seen and row.deleted_at is None:
            row.deleted_at = row.updated_at = uow.now
            uow.record("subscription_item", row.id, "stripe", ChangeKind.DELETE, {})
            changed = True
    return changed


def items_of(uow: UnitOfWork, subscription: Subscription) -> list[SubscriptionItem]:
    """The subscription's items as the session holds them now, oldest first."""
    query = select(SubscriptionItem).where(SubscriptionItem.subscription_id == subscription.id)
    return list(uow.session.scalars(query.order_by(SubscriptionItem.created_at)))


def _item_row(uow: UnitOfWork, subscription: Subscription, item: Json) -> SubscriptionItem:
    ledger_id = uow.entity_for(System.STRIPE, "subscription_item", item["id"])
    if ledger_id is not None:
        return uow.session.get_one(SubscriptionItem, ledger_id)
    row = SubscriptionItem(subscription_id=subscription.id, quantity=0,
                           currency=subscription.currency, created_at=uow.now,
                           updated_at=uow.now)
    uow.session.add(row)
    uow.session.flush()
    uow.link("subscription_item", row.id, System.STRIPE, "subscription_item", item["id"])
    return row


def _fill_item(uow: UnitOfWork, row: SubscriptionItem, item: Json,
               mappings: MappingSet) -> bool:
    price = _price(uow, item.get("price") or {}, mappings)
    after = {"quantity": int(item.get("quantity") or 0),
             "price_id": price.id if price else None,
             "product_id": price.product_id if price else None,
             "unit_amount_minor": price.unit_amount_minor if price else None,
             "currency": price.currency if price else row.currency, "deleted_at": None}
    changes = {name: [getattr(row, name), value] for name, value in after.items()
               if getattr(row, name) != value}
    for name, (_, value) in changes.items():
        setattr(row, name, value)
    if changes:
        row.updated_at = uow.now
        uow.record("subscription_item", row.id, "stripe", ChangeKind.UPDATE, changes)
    return bool(changes)


def _price(uow: UnitOfWork, price: Json | str, mappings: MappingSet) -> Price | None:
    """The ledger price of a Stripe price (by link, else by lookup key), created when new."""
    if isinstance(price, str) or not price.get("id"):
        return None
    ledger_id = uow.entity_for(System.STRIPE, "price", price["id"])
    if ledger_id is not None:
        return uow.session.get_one(Price, ledger_id)
    key = price.get("lookup_key")
    row = uow.session.scalar(select(Price).where(Price.lookup_key == key)) if key else None
    if row is None:
        row = _new_price(uow, price, _product(uow, price, mappings))
    uow.link("price", row.id, System.STRIPE, "price", price["id"])
    return row


def _new_price(uow: UnitOfWork, price: Json, product: Product) -> Price:
    recurring = price.get("recurring") or {}
    row = Price(product_id=product.id, lookup_key=price.get("lookup_key"),
                currency=str(price.get("currency") or "usd").lower(),
                unit_amount_minor=price.get("unit_amount"),
                interval=recurring.get("interval"), interval_count=recurring.get("interval_count"),
                active=bool(price.get("active", True)), created_at=uow.now, updated_at=uow.now)
    uow.session.add(row)
    uow.session.flush()
    return row


def _product(uow: UnitOfWork, price: Json, mappings: MappingSet) -> Product:
    """The product a price belongs to: the ledger's by Stripe link, else the Salesforce
    product the catalog names by the price's lookup key, else a new one."""
    stripe_product = shapes.product_of(price) or ""
    ledger_id = uow.entity_for(System.STRIPE, "product", stripe_product)
    if ledger_id is not None:
        return uow.session.get_one(Product, ledger_id)
    row = price_conflicts.product_for(uow, mappings, price.get("lookup_key"))
    if row is None:
        row = Product(name=price.get("nickname") or stripe_product or "(unnamed)",
                      created_at=uow.now, updated_at=uow.now)
        uow.session.add(row)
        uow.session.flush()
    if stripe_product and uow.external_for("product", row.id, System.STRIPE,
                                           "product") is None:
        uow.link("product", row.id, System.STRIPE, "product", stripe_product)
    return row


def mirror_write(uow: UnitOfWork, subscription: Subscription) -> SubscriptionWrite:
    """The first write of a mirrored subscription: the ``Subscription__c`` fields Stripe's
    facts do not carry (its Account, quantity, unit price, currency, start). Its key is
    once per subscription, so a re-import queues nothing new."""
    items = [item for item in items_of(uow, subscription) if item.deleted_at is None]
    account = (uow.external_for("account", subscription.account_id, System.SALESFORCE,
                                "Account") if subscription.account_id else None)
    currency = subscription.currency or "usd"
    first = items[0] if items else None
    unit = (from_minor(first.unit_amount_minor, currency)
            if first is not None and first.unit_amount_minor is not None else None)
    product = (uow.external_for("product", first.product_id, System.SALESFORCE, "Product2")
               if first is not None and first.product_id else None)
    fields = {"Account__c": account, "Product__c": product,
              "Quantity__c": sum(i.quantity for i in items),
              "Unit_Price__c": unit, "Currency__c": currency.upper(),
              "Start_Date__c": subscription.start_date}
    return SubscriptionWrite(subscription.id, salesforce_json(fields), MIRRORED)
