"""Money movements in the ledger: one :class:`MoneyEntry` per Stripe fact, recorded once.

``(kind, external_id)`` identifies a fact (the invoice for its payment and discount, the
refund id, the credit note id, the invoice and attempt number for a failure), so applying
the same Stripe object again adds nothing. Amounts are non-negative minor units with the
invoice's currency; ``kind`` gives the direction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from connector.billing import shapes
from connector.ledger import webhook_events
from connector.ledger.models import (
    ChangeKind,
    Customer,
    Invoice,
    MoneyEntry,
    MoneyKind,
    Subscription,
)
from connector.ledger.unit_of_work import UnitOfWork

Json = dict[str, Any]


@dataclass(frozen=True)
class MoneyFact:
    """One movement of money as Stripe reported it.

    Attributes:
        kind: payment, failed payment, refund, credit note or discount.
        external_id: what identifies it in Stripe.
        amount: its size in minor units.
        at: when it happened (None: now).
    """

    kind: MoneyKind
    external_id: str
    amount: int
    at: datetime | None


def record_money(uow: UnitOfWork, fact: MoneyFact, invoice: Invoice,
                 subscription: Subscription | None) -> bool:
    """Add ``fact`` against ``invoice`` unless it is recorded; return whether it was added.

    Args:
        subscription: what the invoice bills; None for a one-off invoice, whose entry
            belongs to the Account of the invoice's customer (None when unlinked).
    """
    exists = uow.session.scalar(select(MoneyEntry.id).where(
        MoneyEntry.kind == fact.kind, MoneyEntry.external_id == fact.external_id))
    if exists is not None:
        return False
    entry = MoneyEntry(kind=fact.kind, invoice_id=invoice.id,
                       subscription_id=subscription.id if subscription else None,
                       account_id=account_of(uow, invoice, subscription),
                       amount_minor=fact.amount,
                       currency=invoice.currency, occurred_at=fact.at or uow.now,
                       external_id=fact.external_id, created_at=uow.now)
    uow.session.add(entry)
    uow.session.flush()
    uow.record("money", entry.id, "stripe", ChangeKind.CREATE,
               {"kind": [None, str(fact.kind)], "amount_minor": [None, fact.amount],
                "currency": [None, invoice.currency], "invoice_id": [None, invoice.id]})
    webhook_events.queue(uow, webhook_events.money_event(uow, entry, invoice))
    return True


def account_of(uow: UnitOfWork, invoice: Invoice,
               subscription: Subscription | None) -> str | None:
    """The account money of ``invoice`` belongs to: its subscription's, or for a one-off
    invoice its customer's (None: an unlinked customer)."""
    if subscription is not None:
        return subscription.account_id
    customer = uow.session.get(Customer, invoice.customer_id) if invoice.customer_id else None
    return customer.account_id if customer is not None else None


def refunds_of(charge: Json) -> list[MoneyFact]:
    """The succeeded refunds of a charge (its embedded ``refunds`` list)."""
    refunds = (charge.get("refunds") or {}).get("data") or []
    return [MoneyFact(MoneyKind.REFUND, str(r["id"]), int(r["amount"]),
                      shapes.timestamp(r.get("created")))
            for r in refunds if r.get("status") == "succeeded"]


def credit_note_fact(note: Json) -> MoneyFact | None:
    """An issued credit note as the money it gives back beyond its refunds (None while it
    is void, or when refunds give back all of it).

    The part a credit note refunds is a Stripe refund of the invoice's charge, recorded as
    such (``charge.refunded``, the refunds list); counting it here too would take it back
    twice. What is left is credit on the customer's balance and money returned outside
    Stripe (``out_of_band_amount``).
    """
    if note.get("status") != "issued":
        return None
    refunded = sum(int(r.get("amount_refunded") or 0) for r in note.get("refunds") or [])
    amount = int(note.get("total") or 0) - refunded
    if amount <= 0:
        return None
    return MoneyFact(MoneyKind.CREDIT_NOTE, str(note["id"]), amount,
                     shapes.timestamp(note.get("effective_at") or note.get("created")))
