"""The outbound events of each fact: type, ``data``, key and time, ready for
:func:`~connector.ledger.webhook_deliveries.queue_event`.

Each builder reads the ledger row the fact is about and returns an :class:`OutboundEvent`
(or None when the fact is not one the webhooks tell of), so a producer's hook is one line:
``queue(uow, webhook_events.activated(uow, subscription))``. Keys name the fact, so the
same fact learned twice (a replayed Stripe event, a re-read record) queues once.

``data`` carries ledger ids (``sub-…``, ``acc-…``) and, where known, the ids the records
have in Salesforce and Stripe; money is integer minor units with its currency.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from connector.ledger.models import (
    Invoice,
    MoneyEntry,
    MoneyKind,
    Subscription,
    SubscriptionStatus,
    System,
)
from connector.ledger.unit_of_work import UnitOfWork
from connector.ledger.webhook_deliveries import queue_event

MONEY_EVENTS = {MoneyKind.PAYMENT: "invoice.paid",
                MoneyKind.FAILED_PAYMENT: "invoice.payment_failed"}


@dataclass(frozen=True)
class OutboundEvent:
    """One fact as an outbound webhook event (the arguments of ``queue_event``)."""

    type: str
    key: str
    occurred_at: datetime
    data: dict[str, Any] = field(default_factory=dict)
    fresh: bool = False
    """The key names a record created in the same unit (see ``queue_event``)."""


def queue(uow: UnitOfWork, event: OutboundEvent | None) -> int:
    """Queue ``event`` (nothing for None, or in a unit that does not announce, see
    :attr:`UnitOfWork.announce`); return how many deliveries it made."""
    if event is None or not uow.announce:
        return 0
    return queue_event(uow, event.type, event.data, event.key, event.occurred_at,
                       fresh=event.fresh)


def potential_created(uow: UnitOfWork, subscription: Subscription) -> OutboundEvent:
    """A potential subscription was generated from a won deal."""
    return OutboundEvent("subscription.potential_created",
                         f"subscription.potential_created:{subscription.id}", uow.now,
                         subscription_data(uow, subscription, linked=False), fresh=True)


def activated(uow: UnitOfWork, subscription: Subscription) -> OutboundEvent:
    """Stripe billing started for a subscription the CSM activated."""
    return OutboundEvent("subscription.activated", f"subscription.activated:{subscription.id}",
                         uow.now, subscription_data(uow, subscription))


def subscription_changed(uow: UnitOfWork, subscription: Subscription,
                         changes: Mapping[str, list[Any]], at: datetime | None,
                         reason: str = "") -> OutboundEvent | None:
    """Stripe's copy of a subscription changed facts in the ledger: ``subscription.canceled``
    when it became canceled, else ``subscription.updated``; None when nothing changed, or
    for the activation itself (``reason`` ``activated``: it sends ``subscription.activated``).
    """
    if not changes or reason == "activated":
        return None
    status = changes.get("status")
    kind = ("subscription.canceled" if status and status[1] == SubscriptionStatus.CANCELED
            else "subscription.updated")
    when = at or uow.now
    digest = hashlib.sha256(json.dumps(changes, sort_keys=True, default=str).encode())
    return OutboundEvent(kind, f"{kind}:{subscription.id}:{when.isoformat()}:"
                         f"{digest.hexdigest()[:16]}", when,
                         {**subscription_data(uow, subscription),
                          "changes": {name: list(pair) for name, pair in changes.items()}})


def money_event(uow: UnitOfWork, entry: MoneyEntry, invoice: Invoice) -> OutboundEvent | None:
    """``invoice.paid`` for a payment, ``invoice.payment_failed`` for a failed attempt."""
    kind = MONEY_EVENTS.get(MoneyKind(entry.kind))
    if kind is None:
        return None
    return OutboundEvent(kind, f"{kind}:{entry.external_id}", entry.occurred_at, {
        "invoice_id": invoice.id,
        "stripe_invoice_id": _stripe_invoice(uow, invoice),
        "number": invoice.number, "status": invoice.status,
        "subscription_id": entry.subscription_id, "account_id": entry.account_id,
        "amount_minor": entry.amount_minor, "currency": entry.currency,
        "amount_due_minor": invoice.amount_due_minor,
        "hosted_invoice_url": invoice.hosted_invoice_url,
        "attempt": _attempt(entry.external_id)})


def licence_event(event_type: str, account_id: str, payload: Mapping[str, Any], key: str,
                  at: datetime) -> OutboundEvent:
    """A licence change or discrepancy (the fact's payload, with its account)."""
    return OutboundEvent(event_type, f"{event_type}:{key}", at,
                         {"account_id": account_id, **payload})


def subscription_data(uow: UnitOfWork, subscription: Subscription, *,
                      linked: bool = True) -> dict[str, Any]:
    """What a subscription event says about the subscription.

    Args:
        linked: look up its Salesforce and Stripe ids (False: a subscription created in
            this unit, which has none yet).
    """
    items = list(subscription.items)
    with uow.session.no_autoflush:  # links made in this unit are in the unit's own cache
        salesforce_id, stripe_id = (
            (uow.external_for("subscription", subscription.id, System.SALESFORCE,
                              "Subscription__c"),
             uow.external_for("subscription", subscription.id, System.STRIPE, "subscription"))
            if linked else (None, None))
    return {
        "subscription_id": subscription.id, "status": subscription.status,
        "account_id": subscription.account_id, "opportunity_id": subscription.opportunity_id,
        "salesforce_id": salesforce_id, "stripe_subscription_id": stripe_id,
        "currency": subscription.currency,
        "quantity": sum(item.quantity for item in items),
        "unit_amount_minor": items[0].unit_amount_minor if items else None,
        "start_date": subscription.start_date, "end_date": subscription.end_date,
        "trial_end": subscription.trial_end,
        "current_period_start": subscription.current_period_start,
        "current_period_end": subscription.current_period_end,
        "cancel_at_period_end": subscription.cancel_at_period_end,
        "canceled_at": subscription.canceled_at,
        "mrr_minor": subscription.mrr_minor, "arr_minor": subscription.arr_minor,
    }


def _stripe_invoice(uow: UnitOfWork, invoice: Invoice) -> str | None:
    with uow.session.no_autoflush:  # links made in this unit are in the unit's own cache
        return uow.external_for("invoice", invoice.id, System.STRIPE, "invoice")


def _attempt(external_id: str | None) -> int | None:
    """The attempt number of a failed payment (``in_…:attempt:N``)."""
    head, _, number = (external_id or "").rpartition(":attempt:")
    return int(number) if head and number.isdigit() else None

