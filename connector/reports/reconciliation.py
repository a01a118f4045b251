"""``reconciliation``: where Salesforce, Stripe and the ledger disagree, from the ledger alone.

No system is called. Each side is the ledger's last-seen copy of it:

* **Stripe**: the object in the newest Stripe event received for it (the inbox keeps each
  event whole): a subscription's status, quantity (its items' sum) and price, an invoice's
  status and amount paid; and the payments the ledger booked against each paid invoice.
* **Salesforce**: what the ledger last delivered to ``Subscription__c`` (the outbox's done
  writes, merged in order) compared with what it would write now; writes that failed or
  went dead mean Salesforce lags behind.
* **Links**: a billing subscription without a Salesforce or a Stripe id.

One row per difference; the command exits 1 when there is any.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.inbound.subscription_values import LIVE, salesforce_status
from connector.ledger.models import (
    Invoice,
    InvoiceStatus,
    Link,
    MoneyEntry,
    MoneyKind,
    OutboxOperation,
    OutboxStatus,
    StripeInboxEvent,
    Subscription,
    SubscriptionItem,
    System,
)
from connector.reports.period import ReportQuery
from connector.reports.spec import Row

SUBSCRIPTION_WRITE = "upsert:Subscription__c"
BULK_AFTER = 100
LAGGING = (OutboxStatus.FAILED, OutboxStatus.DEAD)


class Ids:
    """The Salesforce and Stripe ids of ledger entities, looked up as needed (only the rows
    that differ, and the objects Stripe sent, need them): one query each for the first
    :data:`BULK_AFTER` of a kind, then every link of that kind at once (a ledger with
    thousands of differences would otherwise cost two queries a row)."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._asked: Counter[tuple[str, System]] = Counter()
        self._tables: dict[tuple[str, System], dict[str, str]] = {}

    def external(self, entity_type: str, entity_id: str, system: System) -> str | None:
        """The id ``entity_id`` has in ``system``."""
        kind = (entity_type, system)
        if kind not in self._tables and self._asked[kind] >= BULK_AFTER:
            self._tables[kind] = self._all(entity_type, system)
        if kind in self._tables:
            return self._tables[kind].get(entity_id)
        self._asked[kind] += 1
        found: str | None = self._session.scalar(select(Link.external_id).where(
            Link.entity_type == entity_type, Link.entity_id == entity_id,
            Link.system == system).order_by(Link.id).limit(1))
        return found

    def _all(self, entity_type: str, system: System) -> dict[str, str]:
        table: dict[str, str] = {}
        for entity_id, external_id in self._session.execute(
                select(Link.entity_id, Link.external_id).where(
                    Link.entity_type == entity_type, Link.system == system)
                .order_by(Link.id)):
            table.setdefault(entity_id, external_id)
        return table

    def entity(self, object_type: str, stripe_id: str) -> str | None:
        """The ledger id of the Stripe object ``stripe_id``."""
        found: str | None = self._session.scalar(select(Link.entity_id).where(
            Link.system == System.STRIPE, Link.object_type == object_type,
            Link.external_id == stripe_id))
        return found


def reconciliation(session: Session, query: ReportQuery) -> list[Row]:
    """Every difference found, as rows {entity, ledger_id, salesforce_id, stripe_id, field,
    ledger, salesforce, stripe} (a side's value is None where it has nothing to say)."""
    ids = Ids(session)
    snapshots = _stripe_snapshots(session)
    return [*missing_links(session, ids), *_stripe_subscriptions(session, snapshots, ids),
            *_stripe_invoices(session, snapshots, ids), *unbooked_payments(session, ids),
            *_salesforce_subscriptions(session, ids)]


def has_differences(rows: Sequence[Row]) -> bool:
    """Whether the reconciliation found anything (exit 1)."""
    return bool(rows)


def difference(ids: Ids, entity: str, ledger_id: str, field: str, ledger: Any, *,
         salesforce: Any = None, stripe: Any = None) -> Row:
    """One difference about ``ledger_id``: each side's value as text (None: nothing to say),
    with the entity's Salesforce and Stripe ids."""
    return {"entity": entity, "ledger_id": ledger_id,
            "salesforce_id": ids.external(entity, ledger_id, System.SALESFORCE),
            "stripe_id": ids.external(entity, ledger_id, System.STRIPE), "field": field,
            "ledger": _text(ledger), "salesforce": _text(salesforce), "stripe": _text(stripe)}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def missing_links(session: Session, ids: Ids) -> list[Row]:
    """Billing subscriptions without an id in Salesforce or in Stripe (an anti-join)."""
    rows: list[Row] = []
    for system, field in ((System.STRIPE, "stripe_id"), (System.SALESFORCE, "salesforce_id")):
        linked = select(Link.id).where(Link.entity_type == "subscription",
                                       Link.entity_id == Subscription.id, Link.system == system)
        found = session.execute(select(Subscription.id, Subscription.status).where(
            Subscription.status.in_([str(s) for s in LIVE]),
            Subscription.deleted_at.is_(None), ~linked.exists()).order_by(Subscription.id))
        for sub_id, status in found:
            rows.append(difference(ids, "subscription", sub_id, field, status,
                             **{system.value: "(missing)"}))
    return rows


def _stripe_snapshots(session: Session) -> dict[tuple[str, str], dict[str, Any]]:
    """The newest event's copy of every Stripe subscription and invoice, by (object, id)."""
    newest: dict[tuple[str, str], dict[str, Any]] = {}
    events = session.scalars(select(StripeInboxEvent).order_by(StripeInboxEvent.created))
    for event in events:
        obj = (event.payload.get("data") or {}).get("object") or {}
        kind, ident = obj.get("object"), obj.get("id")
        if kind in ("subscription", "invoice") and ident:
            newest[(str(kind), str(ident))] = obj
    return newest


def _stripe_subscriptions(session: Session, snapshots: dict[tuple[str, str], dict[str, Any]],
                          ids: Ids) -> list[Row]:
    rows: list[Row] = []
    for (kind, stripe_id), obj in snapshots.items():
        ledger_id = ids.entity("subscription", stripe_id) if kind == "subscription" else None
        sub = session.get(Subscription, ledger_id) if ledger_id else None
        if sub is None or sub.deleted_at is not None:
            continue
        items = [i for i in sub.items if i.deleted_at is None]
        theirs = (obj.get("items") or {}).get("data") or []
        if obj.get("status") != sub.status:
            rows.append(difference(ids, "subscription", sub.id, "status", sub.status,
                             stripe=obj.get("status")))
        ours_qty, their_qty = sum(i.quantity for i in items), stripe_quantity(theirs)
        if theirs and ours_qty != their_qty:
            rows.append(difference(ids, "subscription", sub.id, "quantity", ours_qty,
                                   stripe=their_qty))
        rows += _price_rows(sub, items, theirs, ids)
    return rows


def stripe_quantity(items: list[dict[str, Any]]) -> int:
    """A Stripe subscription's quantity: its items' quantities summed (1 where unset)."""
    return sum(int(item.get("quantity") or 1) for item in items)


def _price_rows(sub: Subscription, items: list[SubscriptionItem],
                theirs: list[dict[str, Any]], ids: Ids) -> list[Row]:
    ours = sorted(ids.external("price", i.price_id, System.STRIPE) or i.price_id
                  for i in items if i.price_id)
    stripe = sorted(str(price_id(item)) for item in theirs if price_id(item))
    if not ours or not stripe or ours == stripe:
        return []
    return [difference(ids, "subscription", sub.id, "price", ",".join(ours),
                 stripe=",".join(stripe))]


def price_id(item: dict[str, Any]) -> str | None:
    """The Stripe price id of a subscription item (expanded or not)."""
    price = item.get("price")
    found = price.get("id") if isinstance(price, dict) else price
    return None if found is None else str(found)


def _stripe_invoices(session: Session, snapshots: dict[tuple[str, str], dict[str, Any]],
                     ids: Ids) -> list[Row]:
    rows: list[Row] = []
    for (kind, stripe_id), obj in snapshots.items():
        ledger_id = ids.entity("invoice", stripe_id) if kind == "invoice" else None
        invoice = session.get(Invoice, ledger_id) if ledger_id else None
        if invoice is None or invoice.deleted_at is not None:
            continue
        if obj.get("status") != invoice.status:
            rows.append(difference(ids, "invoice", invoice.id, "status", invoice.status,
                             stripe=obj.get("status")))
        if int(obj.get("amount_paid") or 0) != invoice.amount_paid_minor:
            rows.append(difference(ids, "invoice", invoice.id, "amount_paid",
                             invoice.amount_paid_minor, stripe=obj.get("amount_paid")))
    return rows


def unbooked_payments(session: Session, ids: Ids) -> list[Row]:
    """Paid invoices whose booked payments do not add up to what Stripe says was paid."""
    booked = (select(MoneyEntry.invoice_id, func.sum(MoneyEntry.amount_minor).label("total"))
              .where(MoneyEntry.kind == MoneyKind.PAYMENT).group_by(MoneyEntry.invoice_id)
              .subquery())
    total = func.coalesce(booked.c.total, 0)
    found = session.execute(
        select(Invoice.id, total, Invoice.amount_paid_minor)
        .outerjoin(booked, booked.c.invoice_id == Invoice.id)
        .where(Invoice.status == InvoiceStatus.PAID, Invoice.deleted_at.is_(None),
               total != Invoice.amount_paid_minor).order_by(Invoice.id))
    return [difference(ids, "invoice", invoice_id, "payments_booked", int(amount), stripe=paid)
            for invoice_id, amount, paid in found]


def _salesforce_subscriptions(session: Session, ids: Ids) -> list[Row]:
    delivered: dict[str, dict[str, Any]] = {}
    lagging: dict[str, OutboxOperation] = {}
    writes = session.scalars(select(OutboxOperation).where(
        OutboxOperation.operation == SUBSCRIPTION_WRITE).order_by(OutboxOperation.id))
    for write in writes:
        ledger_id = str(write.payload.get("Ledger_Id__c") or write.entity_id or "")
        if write.status == OutboxStatus.DONE:
            delivered.setdefault(ledger_id, {}).update(write.payload)
            lagging.pop(ledger_id, None)
        elif write.status in LAGGING:
            lagging[ledger_id] = write
    rows: list[Row] = []
    for ledger_id, write in lagging.items():
        rows.append(difference(ids, "subscription", ledger_id, "salesforce_write", "not delivered",
                         salesforce=f"{write.status}: {write.last_error or ''}".strip()))
    for ledger_id, fields in delivered.items():
        sub = session.get(Subscription, ledger_id)
        shown = salesforce_status(sub) if sub is not None else None
        if shown and "Status__c" in fields and fields["Status__c"] != shown:
            rows.append(difference(ids, "subscription", ledger_id, "Status__c", shown,
                             salesforce=fields["Status__c"]))
    return rows
