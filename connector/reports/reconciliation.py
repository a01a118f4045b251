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

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

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
from connector.sync.subscription_fields import LIVE, salesforce_status

SUBSCRIPTION_WRITE = "upsert:Subscription__c"
LAGGING = (OutboxStatus.FAILED, OutboxStatus.DEAD)


class _Ids:
    """The Salesforce and Stripe ids of ledger entities, loaded once."""

    def __init__(self, session: Session) -> None:
        self._by_entity: dict[tuple[str, str, str], str] = {}
        self._by_external: dict[tuple[str, str, str], str] = {}
        for link in session.scalars(select(Link)):
            self._by_entity[(link.entity_type, link.entity_id, link.system)] = link.external_id
            self._by_external[(link.system, link.object_type, link.external_id)] = link.entity_id

    def external(self, entity_type: str, entity_id: str, system: System) -> str | None:
        """The id ``entity_id`` has in ``system``."""
        return self._by_entity.get((entity_type, entity_id, str(system)))

    def entity(self, object_type: str, stripe_id: str) -> str | None:
        """The ledger id of the Stripe object ``stripe_id``."""
        return self._by_external.get((str(System.STRIPE), object_type, stripe_id))


def reconciliation(session: Session, query: ReportQuery) -> list[Row]:
    """Every difference found, as rows {entity, ledger_id, salesforce_id, stripe_id, field,
    ledger, salesforce, stripe} (a side's value is None where it has nothing to say)."""
    ids = _Ids(session)
    found: list[Row] = []
    subscriptions = {s.id: s for s in session.scalars(
        select(Subscription).where(Subscription.deleted_at.is_(None)))}
    found += _missing_links(subscriptions.values(), ids)
    snapshots = _stripe_snapshots(session)
    found += _stripe_subscriptions(session, subscriptions, snapshots, ids)
    found += _stripe_invoices(session, snapshots, ids)
    found += _salesforce_subscriptions(session, subscriptions, ids)
    return found


def has_differences(rows: Sequence[Row]) -> bool:
    """Whether the reconciliation found anything (exit 1)."""
    return bool(rows)


def _row(ids: _Ids, entity: str, ledger_id: str, field: str, ledger: Any, *,
         salesforce: Any = None, stripe: Any = None) -> Row:
    return {"entity": entity, "ledger_id": ledger_id,
            "salesforce_id": ids.external(entity, ledger_id, System.SALESFORCE),
            "stripe_id": ids.external(entity, ledger_id, System.STRIPE), "field": field,
            "ledger": _text(ledger), "salesforce": _text(salesforce), "stripe": _text(stripe)}


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _missing_links(subscriptions: Iterable[Subscription], ids: _Ids) -> list[Row]:
    rows: list[Row] = []
    for sub in subscriptions:
        if sub.status not in LIVE:
            continue
        if ids.external("subscription", sub.id, System.STRIPE) is None:
            rows.append(_row(ids, "subscription", sub.id, "stripe_id", sub.status,
                             stripe="(missing)"))
        if ids.external("subscription", sub.id, System.SALESFORCE) is None:
            rows.append(_row(ids, "subscription", sub.id, "salesforce_id", sub.status,
                             salesforce="(missing)"))
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


def _stripe_subscriptions(session: Session, subscriptions: dict[str, Subscription],
                          snapshots: dict[tuple[str, str], dict[str, Any]],
                          ids: _Ids) -> list[Row]:
    rows: list[Row] = []
    for (kind, stripe_id), obj in snapshots.items():
        ledger_id = ids.entity("subscription", stripe_id) if kind == "subscription" else None
        sub = subscriptions.get(ledger_id or "")
        if sub is None:
            continue
        items = [i for i in sub.items if i.deleted_at is None]
        theirs = (obj.get("items") or {}).get("data") or []
        if obj.get("status") != sub.status:
            rows.append(_row(ids, "subscription", sub.id, "status", sub.status,
                             stripe=obj.get("status")))
        ours_qty, their_qty = sum(i.quantity for i in items), _quantity(theirs)
        if theirs and ours_qty != their_qty:
            rows.append(_row(ids, "subscription", sub.id, "quantity", ours_qty, stripe=their_qty))
        rows += _price_rows(sub, items, theirs, ids)
    return rows


def _quantity(items: list[dict[str, Any]]) -> int:
    return sum(int(item.get("quantity") or 1) for item in items)


def _price_rows(sub: Subscription, items: list[SubscriptionItem],
                theirs: list[dict[str, Any]], ids: _Ids) -> list[Row]:
    ours = sorted(ids.external("price", i.price_id, System.STRIPE) or i.price_id
                  for i in items if i.price_id)
    stripe = sorted(str(_price_id(item)) for item in theirs if _price_id(item))
    if not ours or not stripe or ours == stripe:
        return []
    return [_row(ids, "subscription", sub.id, "price", ",".join(ours),
                 stripe=",".join(stripe))]


def _price_id(item: dict[str, Any]) -> str | None:
    price = item.get("price")
    found = price.get("id") if isinstance(price, dict) else price
    return None if found is None else str(found)


def _stripe_invoices(session: Session, snapshots: dict[tuple[str, str], dict[str, Any]],
                     ids: _Ids) -> list[Row]:
    paid = {invoice_id: total for invoice_id, total in session.execute(
        select(MoneyEntry.invoice_id, func.sum(MoneyEntry.amount_minor))
        .where(MoneyEntry.kind == MoneyKind.PAYMENT).group_by(MoneyEntry.invoice_id))}
    rows: list[Row] = []
    for invoice in session.scalars(select(Invoice).where(Invoice.deleted_at.is_(None))):
        stripe_id = ids.external("invoice", invoice.id, System.STRIPE)
        obj = snapshots.get(("invoice", stripe_id or ""))
        if obj is not None and obj.get("status") != invoice.status:
            rows.append(_row(ids, "invoice", invoice.id, "status", invoice.status,
                             stripe=obj.get("status")))
        if obj is not None and int(obj.get("amount_paid") or 0) != invoice.amount_paid_minor:
            rows.append(_row(ids, "invoice", invoice.id, "amount_paid",
                             invoice.amount_paid_minor, stripe=obj.get("amount_paid")))
        booked = int(paid.get(invoice.id) or 0)
        if invoice.status == InvoiceStatus.PAID and booked != invoice.amount_paid_minor:
            rows.append(_row(ids, "invoice", invoice.id, "payments_booked", booked,
                             stripe=invoice.amount_paid_minor))
    return rows


def _salesforce_subscriptions(session: Session, subscriptions: dict[str, Subscription],
                              ids: _Ids) -> list[Row]:
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
        rows.append(_row(ids, "subscription", ledger_id, "salesforce_write", "not delivered",
                         salesforce=f"{write.status}: {write.last_error or ''}".strip()))
    for ledger_id, fields in delivered.items():
        sub = subscriptions.get(ledger_id)
        shown = salesforce_status(sub) if sub is not None else None
        if shown and "Status__c" in fields and fields["Status__c"] != shown:
            rows.append(_row(ids, "subscription", ledger_id, "Status__c", shown,
                             salesforce=fields["Status__c"]))
    return rows
