"""What must hold after a crash and a restart: no duplicate, nothing lost, three systems agree."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.ledger.models import (
    Customer,
    DeadLetter,
    InboxStatus,
    Link,
    Notification,
    NotificationStatus,
    OutboxOperation,
    OutboxStatus,
    Product,
    StripeInboxEvent,
    Subscription,
    SubscriptionItem,
)
from connector.workflows.notices import NO_CUSTOMER_ADDRESS
from e2e.crash.harness import CrashWorld

STATUS = {"active": "Active", "trialing": "Trialing", "past_due": "Past Due"}
WRITES = ("POST", "PATCH", "DELETE")


def assert_settled(world: CrashWorld) -> None:
    """Let the restarted daemon's work settle (one cycle), then the systems agree and
    another cycle writes nothing anywhere: nothing was left half done to be repeated."""
    world.cycle()
    world.stack.salesforce.reset_counters()
    world.stack.stripe.reset_counters()
    world.cycle()
    salesforce = [(m, p) for m, p in world.stack.salesforce.request_log
                  if m in WRITES and "/oauth2/" not in p]
    stripe = [r for r in world.stack.stripe.request_log if r.method in WRITES]
    assert (salesforce, stripe) == ([], [])
    assert_agree(world)


def assert_agree(world: CrashWorld) -> None:
    """Salesforce, Stripe and the ledger hold the same subscriptions, each once; no
    operation, event or notification is left undone or dead."""
    records = world.subscriptions()
    ledger_ids = [r["Ledger_Id__c"] for r in records]
    assert len(ledger_ids) == len(set(ledger_ids)), f"a Subscription__c twice: {ledger_ids}"
    with world.ledger() as session:
        _assert_nothing_left(session)
        ledger = _Ledger.read(session)
    assert set(ledger_ids) == set(ledger.subscriptions)
    stripe_subs = {s["id"]: s for s in world.stack.stripe.objects("subscription")}
    customers = world.stack.stripe.objects("customer")
    _assert_once(customers, "customer")
    _assert_once(list(stripe_subs.values()), "subscription")
    assert set(ledger.stripe("customer")) == {c["id"] for c in customers}
    assert set(ledger.stripe("subscription")) == set(stripe_subs)
    for record in records:
        _assert_record_agrees(record, ledger, stripe_subs)


def _assert_nothing_left(session: Session) -> None:
    left = session.scalars(select(OutboxOperation.key).where(
        OutboxOperation.status.in_([OutboxStatus.PENDING, OutboxStatus.DEAD]))).all()
    assert left == [], f"outbox operations left: {left}"
    assert session.scalars(select(DeadLetter.record_key)).all() == []
    waiting = session.scalars(select(StripeInboxEvent.event_id).where(
        StripeInboxEvent.status.in_([InboxStatus.PENDING, InboxStatus.FAILED]))).all()
    assert waiting == [], f"inbox events not applied: {waiting}"
    unsent = session.scalars(select(Notification.key).where(
        Notification.status != NotificationStatus.SENT,
        # a customer notification without an address is settled as skipped, never sent
        (Notification.last_error != NO_CUSTOMER_ADDRESS)
        | Notification.last_error.is_(None))).all()
    assert unsent == [], f"notifications not sent: {unsent}"


def _assert_once(objects: list[dict[str, Any]], kind: str) -> None:
    """Every Stripe object of ``kind`` names its ledger id, and no ledger id has two."""
    ids = [o["metadata"].get("ledger_id") for o in objects]
    assert None not in ids, f"a {kind} without metadata.ledger_id"
    assert len(ids) == len(set(ids)), f"a duplicate Stripe {kind}: {ids}"


class _Ledger:
    """The ledger rows the comparison needs."""

    def __init__(self, subscriptions: dict[str, Subscription],
                 items: dict[str, SubscriptionItem], products: dict[str, str | None],
                 links: dict[tuple[str, str, str, str], str],
                 customers: dict[str, str | None]) -> None:
        self.subscriptions = subscriptions
        self.items = items
        self.products = products
        self.links = links
        self.customers = customers

    @classmethod
    def read(cls, session: Session) -> _Ledger:
        items: dict[str, SubscriptionItem] = {}
        for item in session.scalars(select(SubscriptionItem).order_by(
                SubscriptionItem.created_at.desc())):
            items[item.subscription_id] = item  # the first one wins
        return cls({s.id: s for s in session.scalars(select(Subscription))}, items,
                   {p.id: p.product_code for p in session.scalars(select(Product))},
                   {(link.entity_type, link.entity_id, link.system, link.object_type):
                    link.external_id for link in session.scalars(select(Link))},
                   {c.id: c.account_id for c in session.scalars(select(Customer))})

    def stripe(self, entity_type: str) -> list[str]:
        """The Stripe ids linked to entities of ``entity_type``."""
        return [external for (kind, _, system, _), external in self.links.items()
                if kind == entity_type and system == "stripe"]

    def link(self, entity_type: str, entity_id: str, system: str, object_type: str) -> str | None:
        return self.links.get((entity_type, entity_id, system, object_type))


def _assert_record_agrees(record: dict[str, Any], ledger: _Ledger,
                          stripe_subs: dict[str, dict[str, Any]]) -> None:
    subscription = ledger.subscriptions[record["Ledger_Id__c"]]
    item = ledger.items[subscription.id]
    code = record["Product__r"]["ProductCode"]
    assert ledger.link("subscription", subscription.id, "salesforce",
                       "Subscription__c") == record["Id"]
    assert (record["Quantity__c"], code) == (item.quantity, ledger.products[str(item.product_id)])
    stripe_id = ledger.link("subscription", subscription.id, "stripe", "subscription")
    assert record["Stripe_Subscription_Id__c"] == stripe_id
    if stripe_id is None:
        return
    billed = stripe_subs[stripe_id]
    [stripe_item] = billed["items"]["data"]
    assert billed["metadata"]["ledger_id"] == subscription.id
    assert (stripe_item["quantity"], stripe_item["price"]["lookup_key"]) == (item.quantity, code)
    assert record["Status__c"] == STATUS[billed["status"]] == _status(subscription)
    assert record["Stripe_Customer_Id__c"] == billed["customer"]
    customer = next(c for c, account in ledger.customers.items()
                    if account == subscription.account_id)
    assert ledger.link("customer", customer, "stripe", "customer") == billed["customer"]


def _status(subscription: Subscription) -> str:
    return STATUS.get(subscription.status, subscription.status)
