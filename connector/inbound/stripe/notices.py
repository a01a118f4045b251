"""What Stripe facts tell people: typed facts for the notification catalog, announced once.

Learned while Stripe's copies are applied to the ledger (:mod:`subscription_facts`,
:mod:`invoice_facts`), each fact is announced (:func:`~connector.ledger.announcements.announce`)
in the same transaction:

* :class:`TrialStarted`: a subscription became ``trialing`` (``trial_signup``);
* :class:`SubscriptionPurchased`: a subscription became ``active`` for the first time
  (``purchase_confirmation``, ``purchase``);
* :class:`PaymentReceived`: an invoice was paid (``payment_confirmation``);
* :class:`PaymentDeclined`: a payment attempt failed (``payment_declined``), with the hosted
  invoice page where the customer updates the card.

History is not news: a payment older than :data:`NEWS_WINDOW` when learned, and a
subscription state listed by reconciliation, are applied to the ledger but not announced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import select

from connector.inbound.stripe.money_facts import MoneyFact, account_of
from connector.ledger.announcements import account_data, announce
from connector.ledger.models import (
    Invoice,
    MoneyKind,
    Product,
    Subscription,
    SubscriptionItem,
    SubscriptionStatus,
)
from connector.ledger.unit_of_work import UnitOfWork
from connector.mapping.money import from_minor

PURCHASED_FROM = frozenset({None, SubscriptionStatus.POTENTIAL, SubscriptionStatus.TRIALING,
                            SubscriptionStatus.INCOMPLETE})
"""Statuses a subscription leaves when it is purchased (becomes active the first time)."""
ONE_OFF_PRODUCT = "your purchase"
"""What a one-off invoice (no subscription) is called where a product name would go."""
NEWS_WINDOW = timedelta(days=7)
"""A payment older than this when it is learned (imported history, a long outage) is
recorded but not announced."""


@dataclass(frozen=True)
class _StripeFact:
    """A fact learned from Stripe about one object.

    Attributes:
        key: the object's Stripe or ledger id: one fact per subscription (it starts one
            trial and is purchased once), per payment, or per failed attempt.
        details: the template data (account, product, quantity, price, amounts: display
            values).
    """

    key: str
    account_id: str | None
    details: dict[str, Any]
    address: str | None = None
    moment: datetime | None = None

    def data(self) -> dict[str, Any]:
        """The template data."""
        return dict(self.details)


class TrialStarted(_StripeFact):
    """A subscription's free trial started (``trial_end`` in its data)."""

    FACT: ClassVar[str] = "trial_started"


class SubscriptionPurchased(_StripeFact):
    """A subscription became active for the first time."""

    FACT: ClassVar[str] = "subscription_purchased"


class PaymentReceived(_StripeFact):
    """An invoice was paid."""

    FACT: ClassVar[str] = "payment_received"


class PaymentDeclined(_StripeFact):
    """A payment attempt of an invoice failed."""

    FACT: ClassVar[str] = "payment_declined"


def subscription_changed(uow: UnitOfWork, subscription: Subscription,
                         changes: dict[str, list[Any]], *, activated: bool = False) -> None:
    """Announce what a change of ``subscription``'s status tells (a trial, a purchase).

    Args:
        activated: Stripe just created the subscription (activation): its status as it
            stands tells, even though the CSM's edit set it in the ledger already.
    """
    status = changes.get("status")
    if status is None and activated:
        status = [None, subscription.status]
    if status is None:
        return
    old, new = status
    trial_end = subscription.trial_end
    if new == SubscriptionStatus.TRIALING and old != SubscriptionStatus.TRIALING:
        if trial_end is not None and trial_end <= uow.now:
            return  # a trial already over is no signup news
        details = {**plan_data(uow, subscription),
                   "trial_end": trial_end.date().isoformat() if trial_end else ""}
        announce(uow, TrialStarted(subscription.id, subscription.account_id, details,
                                   moment=trial_end), uow.now)
    elif new == SubscriptionStatus.ACTIVE and old in PURCHASED_FROM:
        details = {**plan_data(uow, subscription), "started": uow.now.date().isoformat()}
        announce(uow, SubscriptionPurchased(subscription.id, subscription.account_id,
                                            details), uow.now)


def money_recorded(uow: UnitOfWork, money: MoneyFact, invoice: Invoice,
                   subscription: Subscription | None) -> None:
    """Announce a payment or a failed payment just recorded against ``invoice`` (of
    ``subscription``; None for a one-off invoice: its customer's account, no product)."""
    kind, external_id, amount = money.kind, money.external_id, money.amount
    if kind not in (MoneyKind.PAYMENT, MoneyKind.FAILED_PAYMENT):
        return
    if money.at is not None and money.at < uow.now - NEWS_WINDOW:
        return  # history (an import, a reconciliation): no longer news to anyone
    attempt = external_id.rpartition(":attempt:")[2] if ":attempt:" in external_id else None
    account_id = account_of(uow, invoice, subscription)
    product = (_product(uow, subscription) if subscription is not None
               else {"product": ONE_OFF_PRODUCT})
    details = {"account": account_data(uow, account_id), "invoice": {
        "number": invoice.number or "", "amount": display(amount, invoice.currency),
        "currency": invoice.currency.upper(),
        "hosted_invoice_url": invoice.hosted_invoice_url or "",
        "attempt": int(attempt) if attempt else None,
        "date": uow.now.date().isoformat()}, **product}
    fact = (PaymentReceived if kind == MoneyKind.PAYMENT else PaymentDeclined)(
        external_id, account_id, details)
    announce(uow, fact, uow.now)


def plan_data(uow: UnitOfWork, subscription: Subscription) -> dict[str, Any]:
    """The subscription as templates show it: ``account``, ``product``, ``quantity``,
    ``amount`` (per period, display value) and ``currency``."""
    item = uow.session.scalars(select(SubscriptionItem).where(
        SubscriptionItem.subscription_id == subscription.id)
        .order_by(SubscriptionItem.created_at).limit(1)).first()
    currency = (subscription.currency or (item.currency if item else None) or "usd")
    amount = (item.unit_amount_minor or 0) * item.quantity if item else 0
    return {"account": account_data(uow, subscription.account_id),
            **_product(uow, subscription, item),
            "quantity": item.quantity if item else None,
            "amount": display(amount, currency), "currency": currency.upper()}


def _product(uow: UnitOfWork, subscription: Subscription,
             item: SubscriptionItem | None = None) -> dict[str, Any]:
    if item is None:
        item = uow.session.scalars(select(SubscriptionItem).where(
            SubscriptionItem.subscription_id == subscription.id).limit(1)).first()
    product = uow.session.get(Product, item.product_id) if item and item.product_id else None
    return {"product": product.name if product else "your subscription"}


def display(amount_minor: int, currency: str) -> str:
    """Minor units as a display amount with thousands separators (``1,234.50``)."""
    return f"{from_minor(amount_minor, currency):,}"
