"""Delivering lifecycle changes to Stripe: one idempotent call per outbox operation.

``update_subscription`` sends the changed parameters (the price by its lookup key resolved
to an id, the first item by its id, with the proration behaviour queued with it);
``cancel_subscription`` cancels at once. The operation's key is the ``Idempotency-Key``, so
a retry after a crash or a timeout changes nothing twice. Stripe's answer goes straight into
the ledger (:func:`~connector.inbound.stripe.subscription_facts.apply_stripe_subscription`), so the
event that follows it finds nothing new. A rejection dead-letters the operation with Stripe's reason
and shows it in ``Sync_Error__c``, unless the subscription has ended in Stripe meanwhile: then
nothing is left to change, and the ledger and Salesforce take Stripe's last quantity and product.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

import stripe
from sqlalchemy import select
from stripe.params import SubscriptionCancelParams, SubscriptionUpdateParams

from connector import crashpoints
from connector.billing.client import StripeGateway
from connector.dispatch import outbox
from connector.errors import RetriableError, SkippableError, ValidationRejectedError
from connector.inbound import conflicts
from connector.inbound import subscription_values as fields
from connector.inbound.stripe import price_conflicts
from connector.inbound.stripe.subscription_facts import apply_stripe_subscription
from connector.ledger import outbox_commands as commands
from connector.ledger.journal import diff
from connector.ledger.models import (
    ChangeKind,
    OutboxOperation,
    Subscription,
    SubscriptionItem,
    System,
)
from connector.ledger.unit_of_work import Ledger, UnitOfWork
from connector.mapping import MappingSet

ITEM = "items.0."


@dataclass
class Updated:
    """What one dispatch of lifecycle changes did."""

    delivered: int = 0
    retries: int = 0
    dead_letters: int = 0


@dataclass(frozen=True)
class _Op:
    """A claimed operation, decoded, read out of its transaction."""

    id: int
    key: str
    command: commands.LifecycleCommand

    @property
    def subscription_id(self) -> str:
        """The ledger subscription the operation changes."""
        return self.command.ledger_id


class LifecycleUpdates:
    """Sends the pending ``update_subscription`` and ``cancel_subscription`` operations."""

    def __init__(self, ledger: Ledger, gateway: StripeGateway, mappings: MappingSet) -> None:
        self._uow = ledger.unit
        self._gateway = gateway
        self._mappings = mappings

    def dispatch(self) -> Updated:
        """Deliver every due operation, oldest first."""
        result = Updated()
        with self._uow() as uow:
            due = [row for operation in commands.LIFECYCLE_OPERATIONS
                   for row in outbox.due(uow, "stripe", operation)]
            ops = [_Op(op.id, op.key, commands.lifecycle_command(op))
                   for op in sorted(due, key=lambda op: op.id)]
        for op in ops:
            self._deliver(op, result)
        return result

    def _deliver(self, op: _Op, result: Updated) -> None:
        try:
            answer, ended = self._send(op)
        except RetriableError as exc:
            with self._uow() as uow:
                outbox.mark_retry(uow, _row(uow, op), exc)
            result.retries += 1
            return
        except SkippableError as exc:
            self._rejected(op, exc, result)
            return
        crashpoints.reached("lifecycle.stripe_answered")
        self._settle(op, answer, ended=ended)
        result.delivered += 1

    def _rejected(self, op: _Op, exc: SkippableError, result: Updated) -> None:
        """Dead-letter a rejected change, unless Stripe refused it because the subscription
        has ended meanwhile: then Stripe's last state is taken (nothing is left to bill)."""
        try:
            current = self._gateway.retrieve_subscription(op.command.stripe_subscription)
        except RetriableError:
            current = None
        if current is not None and current.status not in fields.LIVE:
            self._settle(op, current, ended=True)
            result.delivered += 1
            return
        with self._uow() as uow:
            outbox.mark_dead(uow, _row(uow, op), exc)
            _report_sync_error(uow, op, str(exc))
        result.dead_letters += 1

    def _settle(self, op: _Op, answer: stripe.Subscription, *, ended: bool) -> None:
        """Apply Stripe's answer; for an ended subscription also take back its items."""
        stripe_sub = answer.to_dict()
        with self._uow() as uow:
            subscription = uow.session.get_one(Subscription, op.subscription_id)
            if ended:
                _take_items(uow, subscription, stripe_sub, self._mappings, op.id)
            apply_stripe_subscription(
                uow, subscription, stripe_sub, self._mappings, always_write=ended,
                write_reason=f"change:{op.id}")
            outbox.mark_done(uow, _row(uow, op), {"stripe_subscription": answer.id,
                                                  "ended": ended})

    def _send(self, op: _Op) -> tuple[stripe.Subscription, bool]:
        """Make the one Stripe call; return its answer and whether the subscription had
        already ended (then nothing is sent and Stripe's state is read instead)."""
        command = op.command
        stripe_id = command.stripe_subscription
        if isinstance(command, commands.CancelSubscription):  # the ledger shows it canceled
            return self._gateway.cancel_subscription(
                stripe_id, cast(SubscriptionCancelParams, {"prorate": command.prorate}),
                key=op.key), False
        with self._uow() as uow:
            status = uow.session.get_one(Subscription, op.subscription_id).status
        if status not in fields.LIVE:
            return self._gateway.retrieve_subscription(stripe_id), True
        params = self._params(command)
        return self._gateway.update_subscription(
            stripe_id, cast(SubscriptionUpdateParams, params), key=op.key), False

    def _params(self, command: commands.UpdateSubscription) -> dict[str, Any]:
        """Stripe's parameters for the queued change (``""`` clears a value)."""
        changed = command.params
        params = {name: "" if value is None else value for name, value in changed.items()
                  if not name.startswith(ITEM)}
        item = {name.removeprefix(ITEM): value for name, value in changed.items()
                if name.startswith(ITEM)}
        if item:
            if "price" in item:
                item["price"] = self._price_id(str(item["price"]))
            item["id"] = self._item_id(command.stripe_subscription)
            params["items"] = [item]
            params["proration_behavior"] = command.proration_behavior
        return params

    def _price_id(self, lookup_key: str) -> str:
        price = self._gateway.find_price(lookup_key)
        if price is None:
            raise ValidationRejectedError(
                f"no active Stripe price has lookup_key {lookup_key!r}; create the price in "
                "Stripe or map the product in mappings/catalog.toml, then run "
                "'crm-connector deadletter retry ID' (ID as 'deadletter list' shows it)",
                code="PRICE_NOT_FOUND")
        return price.id

    def _item_id(self, stripe_id: str) -> str:
        items = self._gateway.retrieve_subscription(stripe_id).to_dict()["items"]["data"]
        return str(items[0]["id"])


def _row(uow: UnitOfWork, op: _Op) -> OutboxOperation:
    return uow.session.get_one(OutboxOperation, op.id)


def _take_items(uow: UnitOfWork, subscription: Subscription, stripe_sub: dict[str, Any],
               mappings: MappingSet, op_id: int) -> None:
    """The ledger and Salesforce take the quantity and product Stripe billed last."""
    [stripe_item, *_] = stripe_sub["items"]["data"]
    item = uow.session.scalars(select(SubscriptionItem).where(
        SubscriptionItem.subscription_id == subscription.id)
        .order_by(SubscriptionItem.created_at).limit(1)).one()
    product = price_conflicts.product_for(uow, mappings,
                                          (stripe_item.get("price") or {}).get("lookup_key"))
    quantity = int(stripe_item["quantity"])
    product_id = product.id if product else item.product_id
    changes = diff({"quantity": item.quantity, "product_id": item.product_id},
                   {"quantity": quantity, "product_id": product_id})
    if not changes:
        return
    item.quantity, item.product_id, item.updated_at = quantity, product_id, uow.now
    uow.record("subscription", subscription.id, "stripe", ChangeKind.UPDATE, changes)
    shown: dict[str, Any] = {"Quantity__c": item.quantity}
    if product is not None:
        shown["Product__c"] = uow.external_for("product", product.id, System.SALESFORCE,
                                               "Product2")
    conflicts.reassert_in_salesforce(uow, subscription.id, shown, f"ended:{op_id}")


def _report_sync_error(uow: UnitOfWork, op: _Op, reason: str) -> None:
    commands.enqueue(uow, commands.sync_error(op.subscription_id, f"error:{op.id}", reason))
