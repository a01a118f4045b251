"""Stripe invoices and their money applied to the ledger, and the payment status to Salesforce.

An invoice is kept as an :class:`Invoice` row linked to its Stripe id, its subscription (none
for a one-off invoice) and customer, in integer minor units with its currency. Money follows
from the invoice's state (so re-applying it, or applying it out of order, adds nothing): a
paid invoice is one ``payment``; a finalized invoice with discounts is one ``discount``
(coupons, so discounted revenue can be reported). A failed payment attempt is a fact of its
own event, recorded once per invoice and attempt. ``Subscription__c.Last_Payment_Status__c``
is the outcome of the subscription's latest payment attempt, ``Paid`` or ``Failed`` (a
one-off invoice has no subscription: it changes no payment status).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from connector.billing import shapes
from connector.inbound.stripe import notices
from connector.inbound.stripe.money_facts import MoneyFact, record_money
from connector.ledger import outbox_commands as commands
from connector.ledger.journal import diff
from connector.ledger.models import (
    ChangeKind,
    Invoice,
    InvoiceStatus,
    MoneyEntry,
    MoneyKind,
    Subscription,
    System,
)
from connector.ledger.unit_of_work import UnitOfWork

Json = dict[str, Any]
FACTS = ("status", "currency", "amount_due_minor", "amount_paid_minor",
         "amount_remaining_minor", "discount_minor", "period_start", "period_end",
         "invoiced_at", "number", "hosted_invoice_url", "subscription_id", "customer_id",
         "coupon")
FINALIZED = (InvoiceStatus.OPEN, InvoiceStatus.PAID, InvoiceStatus.UNCOLLECTIBLE)
PAYMENT_STATUS = {MoneyKind.PAYMENT: "Paid", MoneyKind.FAILED_PAYMENT: "Failed",
                  MoneyKind.REFUND: "Refunded"}
"""``Last_Payment_Status__c`` after each kind of latest payment event."""


@dataclass(frozen=True)
class FailedAttempt:
    """One failed payment of an invoice, as its ``invoice.payment_failed`` event told it.

    Attributes:
        attempt: the invoice's ``attempt_count`` after the attempt.
        amount_due: what was asked for, in minor units.
        at: when the event was created.
    """

    attempt: int
    amount_due: int
    at: datetime

    @classmethod
    def from_event(cls, snapshot: Json, created: datetime) -> FailedAttempt:
        """Read the invoice snapshot carried by an ``invoice.payment_failed`` event."""
        return cls(int(snapshot.get("attempt_count") or 0),
                   int(snapshot.get("amount_due") or 0), created)


def apply_invoice(uow: UnitOfWork, subscription: Subscription | None, invoice: Json,
                  failures: list[FailedAttempt], *, source_ts: datetime | None = None) -> bool:
    """Bring the ledger in line with ``invoice`` (Stripe's current copy).

    Args:
        subscription: the ledger subscription the invoice bills; None for a one-off
            invoice (``subscription_id`` stays NULL; its customer must be in the ledger).
        invoice: the invoice as Stripe returns it now.
        failures: the failed attempts its ``invoice.payment_failed`` events reported.
        source_ts: when Stripe reported it, for the journal.

    Returns:
        Whether anything changed in the ledger.
    """
    row, created = _invoice_row(uow, invoice)
    before = {} if created else _facts(row)
    _fill(uow, row, invoice, subscription)
    changes = diff(before, _facts(row))
    if changes:
        row.updated_at = uow.now
        uow.record("invoice", row.id, "stripe",
                   ChangeKind.CREATE if created else ChangeKind.UPDATE, changes,
                   source_ts=source_ts)
    added = _money(uow, row, invoice, subscription, failures)
    return bool(changes) or added


def update_payment_status(uow: UnitOfWork, subscription: Subscription,
                          write_reason: str, *, write: bool = True) -> bool:
    """Set ``last_payment_status`` from the latest payment, failure or refund; queue it for
    Salesforce (unless not ``write``: the subscription has no ``Subscription__c``).

    Returns:
        Whether the status changed.
    """
    latest = uow.session.scalars(
        select(MoneyEntry).where(MoneyEntry.subscription_id == subscription.id,
                                 MoneyEntry.kind.in_(list(PAYMENT_STATUS)))
        .order_by(MoneyEntry.occurred_at.desc(), MoneyEntry.kind.desc()).limit(1)).first()
    if latest is None:
        return False
    status = PAYMENT_STATUS[MoneyKind(latest.kind)]
    if status == subscription.last_payment_status:
        return False
    uow.record("subscription", subscription.id, "stripe", ChangeKind.UPDATE,
               {"last_payment_status": [subscription.last_payment_status, status]},
               source_ts=latest.occurred_at)
    subscription.last_payment_status, subscription.updated_at = status, uow.now
    if write:
        commands.enqueue(uow, commands.SubscriptionWrite(
            subscription.id, {"Last_Payment_Status__c": status}, write_reason))
    return True


def _invoice_row(uow: UnitOfWork, invoice: Json) -> tuple[Invoice, bool]:
    ledger_id = uow.entity_for(System.STRIPE, "invoice", invoice["id"])
    if ledger_id is not None:
        return uow.session.get_one(Invoice, ledger_id), False
    row = Invoice(status=invoice["status"], currency=invoice["currency"], created_at=uow.now,
                  updated_at=uow.now)
    uow.session.add(row)
    uow.session.flush()
    uow.link("invoice", row.id, System.STRIPE, "invoice", invoice["id"])
    return row, True


def _fill(uow: UnitOfWork, row: Invoice, invoice: Json,
          subscription: Subscription | None) -> None:
    row.status, row.currency = invoice["status"], str(invoice["currency"]).lower()
    row.amount_due_minor = int(invoice.get("amount_due") or 0)
    row.amount_paid_minor = int(invoice.get("amount_paid") or 0)
    row.amount_remaining_minor = int(invoice.get("amount_remaining") or 0)
    row.discount_minor = shapes.invoice_discount_total(invoice)
    row.coupon = shapes.invoice_coupons(invoice) if row.discount_minor else None
    row.period_start = shapes.timestamp(invoice.get("period_start"))
    row.period_end = shapes.timestamp(invoice.get("period_end"))
    row.invoiced_at = shapes.timestamp(invoice.get("effective_at"))
    row.number, row.hosted_invoice_url = invoice.get("number"), invoice.get("hosted_invoice_url")
    row.subscription_id = subscription.id if subscription is not None else None
    customer = shapes.customer_of(invoice)
    found = uow.entity_for(System.STRIPE, "customer", customer) if customer else None
    row.customer_id = found or (subscription.customer_id if subscription is not None else None)


def _facts(row: Invoice) -> dict[str, Any]:
    return {name: getattr(row, name) for name in FACTS}


def _money(uow: UnitOfWork, row: Invoice, invoice: Json, subscription: Subscription | None,
           failures: list[FailedAttempt]) -> bool:
    entries: list[MoneyFact] = []
    paid_at = shapes.invoice_paid_at(invoice)
    if row.status == InvoiceStatus.PAID and row.amount_paid_minor > 0:
        entries.append(MoneyFact(MoneyKind.PAYMENT, invoice["id"], row.amount_paid_minor, paid_at))
    if row.status in FINALIZED and row.discount_minor > 0:
        entries.append(MoneyFact(MoneyKind.DISCOUNT, invoice["id"], row.discount_minor,
                              row.invoiced_at))
    for failed in failures:
        entries.append(MoneyFact(MoneyKind.FAILED_PAYMENT,
                              f"{invoice['id']}:attempt:{failed.attempt}", failed.amount_due,
                              failed.at))
    added = [record_money(uow, entry, row, subscription) for entry in entries]
    for entry, new in zip(entries, added, strict=True):
        if new:
            notices.money_recorded(uow, entry, row, subscription)
    return any(added)
