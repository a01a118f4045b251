"""Lifecycle edits of an activated subscription: settled in the ledger, queued for Stripe.

A CSM edits an activated ``Subscription__c`` (upsell, downgrade, product change, cancel,
reactivate, term change). :func:`settle` turns the edit into one consistent set of values
(``Status__c = Canceled`` schedules the cancellation and shows the period end as the end
date; a new term moves the end date), and :func:`stripe_change` derives, from
``subscription_to_stripe.toml``, the Stripe parameters that differ between the ledger's
values before and after. The caller records the journal entry and queues ONE outbox
command (:mod:`connector.ledger.outbox_commands`) for it, keyed by that entry, so a re-read
or a rerun never sends it twice.

Status transitions Stripe cannot make on request (``Past Due``, ``Expired``, ``Potential``,
or reviving a subscription that has ended) are refused: the ledger keeps Stripe's status and
the caller records a conflict and shows Stripe's status again. A subscription that has ended
in Stripe takes no more billing edits (quantity, product, dates): the ledger's values are
shown again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta

from connector.inbound import subscription_values as fields
from connector.inbound.subscription_values import SubscriptionValues
from connector.ledger.models import Subscription, SubscriptionStatus
from connector.mapping import ObjectMapping
from connector.schema.paths import get_path

UPDATABLE = ("items.0.quantity", "items.0.price", "cancel_at_period_end", "cancel_at")
"""The parameters of ``subscription_to_stripe.toml`` an update sends when they change."""

CANCELED = SubscriptionStatus.CANCELED.value


@dataclass(frozen=True)
class Settled:
    """An edit made consistent.

    Attributes:
        values: what Salesforce should show (and the ledger keeps) after the edit.
        status: the ledger's billing status afterwards (Stripe's, unless canceled now).
        cancel_now: the edit cancels the Stripe subscription immediately.
        refused: ``Status__c`` was set to something Stripe cannot do; it is shown again.
        ended: the Stripe subscription has ended: billing edits are not applied, the
            ledger's values are shown again.
    """

    values: SubscriptionValues
    status: str
    cancel_now: bool = False
    refused: bool = False
    ended: bool = False


def settle(before: SubscriptionValues, incoming: SubscriptionValues,
           subscription: Subscription, *, cancel_immediately: bool) -> Settled:
    """Settle a CSM's edit of an activated subscription.

    Args:
        before: what the ledger shows now (:func:`fields.from_ledger`).
        incoming: what the Salesforce record says.
        subscription: the ledger row (its Stripe status and current period).
        cancel_immediately: ``stripe.cancel_behavior = "immediately"``.
    """
    if subscription.status not in fields.LIVE:
        return Settled(replace(before, csm_user_id=incoming.csm_user_id), subscription.status,
                       refused=incoming.status != before.status, ended=True)
    status_edit = incoming.status != before.status
    cancel_edit = incoming.cancel_at_period_end != before.cancel_at_period_end
    asks_cancel = incoming.status == CANCELED if status_edit else (
        cancel_edit and incoming.cancel_at_period_end)
    if asks_cancel:
        return _cancel(incoming, subscription, cancel_immediately)
    if before.status == CANCELED and (status_edit or cancel_edit):
        return _reactivate(incoming, subscription)
    if status_edit:
        return Settled(_term(before, replace(incoming, status=before.status)),
                       subscription.status, refused=True)
    return Settled(_term(before, incoming), subscription.status)


def _cancel(incoming: SubscriptionValues, subscription: Subscription,
            immediately: bool) -> Settled:
    if immediately:
        return Settled(replace(incoming, status=CANCELED, cancel_at_period_end=False),
                       CANCELED, cancel_now=True)
    period_end = subscription.current_period_end
    end = period_end.date() if period_end else incoming.end_date
    return Settled(replace(incoming, status=CANCELED, cancel_at_period_end=True, end_date=end),
                   subscription.status)


def _reactivate(incoming: SubscriptionValues, subscription: Subscription) -> Settled:
    return Settled(replace(incoming, status=subscription.status, cancel_at_period_end=False,
                           end_date=None), subscription.status)


def _term(before: SubscriptionValues, incoming: SubscriptionValues) -> SubscriptionValues:
    """A new ``Term_Months__c`` (with the end date untouched) moves the end date."""
    if (incoming.term_months == before.term_months or incoming.end_date != before.end_date
            or incoming.start_date is None or incoming.term_months is None):
        return incoming
    return replace(incoming, end_date=add_months(incoming.start_date, incoming.term_months))


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day)."""
    moved: date = day + relativedelta(months=months)
    return moved


def stripe_change(mapping: ObjectMapping, before: Mapping[str, Any],
                  after: Mapping[str, Any], links: Any) -> dict[str, Any]:
    """The :data:`UPDATABLE` parameters whose mapped value differs, by dotted name.

    ``before`` and ``after`` are ``Subscription__c``-shaped rows (with ``Product__r``). A
    scheduled cancellation or a reactivation sends ``cancel_at_period_end`` alone: Stripe
    refuses it together with ``cancel_at``.

    Raises:
        MappingError: a value could not be mapped.
    """
    old, new = mapping.apply(before, links), mapping.apply(after, links)
    changed = {name: get_path(new, name) for name in UPDATABLE
               if get_path(old, name) != get_path(new, name)}
    if "cancel_at_period_end" in changed:
        changed.pop("cancel_at", None)
    return changed
