"""Stripe's view of a subscription (status, periods, revenue) applied to the ledger.

Activation and the Stripe events step both end here, so a subscription's billing facts are
derived one way: ``stripe_to_subscription.toml`` maps the Stripe object to ``Subscription__c``
values, the ledger keeps them in its own units, and the changed values are queued for
Salesforce.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from connector.billing import shapes
from connector.inbound import conflicts
from connector.inbound import subscription_values as fields
from connector.inbound.stripe import notices, price_conflicts
from connector.ledger import outbox_commands as commands
from connector.ledger import webhook_events
from connector.ledger.journal import diff
from connector.ledger.mirrors import salesforce_json
from connector.ledger.models import ChangeKind, Subscription, System
from connector.ledger.unit_of_work import UnitOfWork
from connector.mapping import MappingSet
from connector.mapping.money import to_minor

FACTS = ("status", "customer_id", "cancel_at_period_end", "current_period_start",
         "current_period_end", "canceled_at", "end_date", "mrr_minor", "arr_minor")


def apply_stripe_subscription(uow: UnitOfWork, subscription: Subscription,
                              stripe_sub: dict[str, Any], mappings: MappingSet, *,
                              write_reason: str, always_write: bool = False,
                              source_ts: datetime | None = None, listed: bool = False,
                              stripe_owned: bool = False, write: bool = True) -> bool:
    """Bring ``subscription`` in line with ``stripe_sub``; queue the Salesforce update.

    Args:
        write_reason: what the Salesforce write's outbox key is unique for (one per fact
            delivery), see :class:`~connector.ledger.outbox_commands.SubscriptionWrite`.
        always_write: queue the write even when no ledger fact changed (activation, whose
            Stripe ids Salesforce does not have yet).
        source_ts: when Stripe reported this state, for the journal.
        listed: listed by reconciliation (``source_ts`` is when we learned of it), so an
            ending or cancellation is journaled at Stripe's time where Stripe gives one.
        stripe_owned: an imported subscription (Stripe owns every field): no conflicts.
        write: queue Salesforce writes (False: the subscription has no ``Subscription__c``).

    Returns:
        Whether anything changed in the ledger.
    """
    values = mappings.stripe_to_subscription.apply(stripe_sub)
    if source_ts is not None and not stripe_owned:  # an event, not our own call's answer
        _check_conflicts(uow, subscription, stripe_sub, mappings, source_ts)
    before = _facts(subscription)
    newer = {} if stripe_owned else conflicts.newer_salesforce_intent(uow, subscription,
                                                                       source_ts)
    _apply(uow, subscription, values, stripe_sub)
    _keep_newer(subscription, values, newer)
    changes = diff(before, _facts(subscription))
    if "Status__c" in values:  # a scheduled cancellation shows as Canceled (see shown_status)
        values["Status__c"] = fields.salesforce_status(subscription)
    if changes:
        _journal(uow, subscription, changes, stripe_sub if listed else None, source_ts,
                 reason=write_reason)
    if not listed:  # reconciliation's copies are history, not news
        notices.subscription_changed(uow, subscription, changes, activated=always_write)
    if write and (changes or always_write):
        _write(uow, subscription, values, write_reason)
    return bool(changes)


def _write(uow: UnitOfWork, subscription: Subscription, values: dict[str, Any],
           reason: str) -> None:
    """Queue the ``Subscription__c`` update (clearing any sync error shown there)."""
    commands.enqueue(uow, commands.SubscriptionWrite(
        subscription.id, {**salesforce_json(values), "Sync_Error__c": None}, reason))


def _journal(uow: UnitOfWork, subscription: Subscription, changes: dict[str, list[Any]],
             listed: dict[str, Any] | None, source_ts: datetime | None, *,
             reason: str) -> None:
    """Journal the changes (for a ``listed`` copy at Stripe's own time where it gives one)
    and announce them to outbound webhooks."""
    subscription.updated_at = uow.now
    at = (_changed_at(changes, listed) if listed is not None else None) or source_ts
    uow.record("subscription", subscription.id, "stripe", ChangeKind.UPDATE, changes,
               source_ts=at)
    webhook_events.queue(uow, webhook_events.subscription_changed(uow, subscription, changes,
                                                                  at, reason))


def _keep_newer(subscription: Subscription, values: dict[str, Any],
                newer: dict[str, Any]) -> None:
    """``latest``: a CSM's later change still on its way keeps its ledger values."""
    for name, value in newer.items():
        setattr(subscription, name, value)
    if newer and "End_Date__c" in values:
        values["End_Date__c"] = subscription.end_date


def _check_conflicts(uow: UnitOfWork, subscription: Subscription, stripe_sub: dict[str, Any],
                     mappings: MappingSet, reported_at: datetime) -> None:
    """Salesforce-owned values (quantity, price) Stripe reports differently are conflicts.

    Only for an event newer than our last Stripe operation on the subscription and with
    none on its way: an older event shows the state before our change, not an edit.
    """
    if conflicts.stale(uow, subscription.id, reported_at):
        return
    conflicts.check_stripe(uow, subscription, stripe_sub, mappings.subscription_to_stripe,
                           reported_at)
    price_conflicts.check_price(uow, subscription, stripe_sub, mappings, reported_at)


def _changed_at(changes: dict[str, list[Any]], stripe_sub: dict[str, Any]) -> datetime | None:
    """When Stripe says the journaled change happened: the end of a subscription that
    stopped billing, or the request of a cancellation; None when Stripe does not say."""
    status = changes.get("status")
    if status is not None:
        ended = status[1] not in fields.LIVE
        return _timestamp(stripe_sub.get("ended_at")) if ended else None
    if "canceled_at" in changes:
        return _timestamp(stripe_sub.get("canceled_at"))
    return None


def _facts(subscription: Subscription) -> dict[str, Any]:
    return {name: getattr(subscription, name) for name in FACTS}


def _apply(uow: UnitOfWork, subscription: Subscription, values: dict[str, Any],
           stripe_sub: dict[str, Any]) -> None:
    currency = str(stripe_sub.get("currency") or subscription.currency or "usd")
    status = values.get("Status__c")
    if status in fields.STATUS_FROM_SALESFORCE:
        subscription.status = fields.STATUS_FROM_SALESFORCE[status].value
    subscription.customer_id = uow.entity_for(System.STRIPE, "customer", stripe_sub["customer"])
    subscription.cancel_at_period_end = bool(stripe_sub.get("cancel_at_period_end"))
    subscription.canceled_at = _timestamp(stripe_sub.get("canceled_at"))
    subscription.trial_end = _timestamp(stripe_sub.get("trial_end")) or subscription.trial_end
    period = shapes.subscription_period(stripe_sub)
    subscription.current_period_start, subscription.current_period_end = period.start, period.end
    subscription.mrr_minor = _minor(values.get("MRR__c"), currency)
    subscription.arr_minor = _minor(values.get("ARR__c"), currency)
    if "End_Date__c" in values:
        subscription.end_date = values["End_Date__c"]
    _link_first_item(uow, subscription, stripe_sub)


def _link_first_item(uow: UnitOfWork, subscription: Subscription,
                     stripe_sub: dict[str, Any]) -> None:
    """Tie the ledger's first item to Stripe's (``si_...``), which later updates address."""
    items = shapes.subscription_items(stripe_sub)
    ours = sorted(subscription.items, key=lambda item: item.created_at)
    if not items or not ours:
        return
    if uow.external_for("subscription_item", ours[0].id, System.STRIPE,
                        "subscription_item") is None:
        uow.link("subscription_item", ours[0].id, System.STRIPE, "subscription_item",
                 items[0]["id"])


def _timestamp(value: Any) -> datetime | None:
    return shapes.timestamp(value)


def _minor(value: Any, currency: str) -> int | None:
    if value is None:
        return None
    return to_minor(Decimal(str(value)), currency, rounding="half_even")
