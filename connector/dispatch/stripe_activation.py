"""Activation: an Active (or Trialing) subscription becomes a Stripe customer and subscription.

One outbox operation per subscription. Each Stripe create carries a key derived from the
ledger id (``customer:<account>``, ``subscription:<subscription>``) and the ledger id in
``metadata.ledger_id``, and its result is committed to the ledger before the next call. The
operation is marked claimed (committed) before the first call, so the ledger shows when an
earlier attempt may have created something it never recorded (a crash or a timeout after
Stripe answered). Only then, before creating again, the activation looks for that object by
its ledger id (:data:`connector.billing.client.LEDGER_ID` says how, and why a list call and
not the Search API): the customer among those created since the account's first attempted
activation, the subscription among the customer's. The idempotency key alone would not do:
Stripe may prune it after 24 hours. So a crash at any point and a rerun, however much later,
produce exactly one customer and one subscription, and the happy path spends no lookup.
The Stripe ids and the billing facts are then written back to ``Subscription__c`` through
the outbox.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

import stripe
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stripe.params import CustomerCreateParams, SubscriptionCreateParams

from connector import crashpoints
from connector.billing.client import LEDGER_ID, StripeGateway
from connector.config import StripeConfig
from connector.dispatch import outbox
from connector.errors import RetriableError, SkippableError, ValidationRejectedError
from connector.inbound import subscription_values as fields
from connector.inbound.stripe.subscription_facts import apply_stripe_subscription
from connector.ledger import outbox_commands as commands
from connector.ledger import stripe_inbox, webhook_events
from connector.ledger.link_resolver import LedgerLinks
from connector.ledger.models import (
    Account,
    ChangeKind,
    Customer,
    OutboxOperation,
    OutboxStatus,
    Product,
    Subscription,
    SubscriptionItem,
    System,
)
from connector.ledger.unit_of_work import Ledger, UnitOfWork
from connector.mapping import MappingSet
from connector.workflows.subscription_edits import ACTIVATE

CLOCK_SKEW = timedelta(hours=1)
"""How far Stripe's clock may be behind ours: the customer lookup reads from that much
before the first attempt."""
UNSETTLED = (OutboxStatus.PENDING, OutboxStatus.DEAD)


@dataclass
class Plan:
    """Everything an activation needs, read from the ledger in one transaction."""

    op_id: int
    resumed: bool
    requested_on: date
    subscription_id: str
    account_id: str
    salesforce_account: dict[str, Any]
    salesforce_subscription: dict[str, Any]
    lookup_key: str
    customer_id: str | None
    customer_attempted: datetime | None = None
    """When the first activation of the account that was attempted earlier, without a
    customer in the ledger, was queued: a customer may exist in Stripe since then."""


@dataclass
class Activated:
    """What one dispatch of activations did."""

    customers: list[str] = field(default_factory=list)
    subscriptions: list[str] = field(default_factory=list)
    dead_letters: int = 0
    retries: int = 0


@dataclass(frozen=True)
class StripeCall:
    """A Stripe create that a dispatch of activations would send (see :meth:`Activations.preview`).

    Attributes:
        object: ``customer`` or ``subscription``.
        key: the idempotency key it would carry.
        entity: the ledger id it is for (the account, or the subscription).
        params: the parameters it would send.
        error: why the activation would fail instead (then nothing is sent).
        existing: the id Stripe already has for it (an interrupted earlier attempt created
            it), so nothing is created and the sync only records it.
    """

    object: str
    key: str
    entity: str
    params: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    existing: str | None = None


class Activations:
    """Delivers the pending ``activate_subscription`` operations, one at a time."""

    def __init__(self, ledger: Ledger, gateway: StripeGateway, mappings: MappingSet,
                 settings: StripeConfig) -> None:
        self._uow = ledger.unit
        self._gateway = gateway
        self._mappings = mappings
        self._settings = settings
        self._prices: dict[str, stripe.Price | None] = {}

    def dispatch(self) -> Activated:
        """Deliver every due activation; failures are retried later or dead-lettered."""
        result = Activated()
        with self._uow() as uow:
            ops = [op.id for op in outbox.due(uow, "stripe", ACTIVATE)]
        for op_id in ops:
            self._deliver(op_id, result)
        return result

    def preview(self) -> list[StripeCall]:
        """What :meth:`dispatch` would send to Stripe now, without sending anything.

        Only reads Stripe (prices, and the lookups that follow an interrupted attempt). Run
        it against a ledger whose changes are discarded: it claims the operations as a
        delivery would.
        """
        calls: list[StripeCall] = []
        with self._uow() as uow:
            ops = [op.id for op in outbox.due(uow, "stripe", ACTIVATE)]
        for op_id in ops:
            known = {call.key for call in calls}
            calls += [c for c in self._preview_one(op_id) if c.key not in known]
        return calls

    def _preview_one(self, op_id: int) -> list[StripeCall]:
        try:
            return self._calls_for(self._plan(op_id))
        except (SkippableError, RetriableError) as exc:
            with self._uow() as uow:
                entity = _op(uow, op_id).entity_id or ""
            return [StripeCall("subscription", f"subscription:{entity}", entity, error=str(exc))]

    def _calls_for(self, plan: Plan) -> list[StripeCall]:
        price = self._price(plan.lookup_key, plan.salesforce_subscription)
        key = f"subscription:{plan.subscription_id}"
        calls, customer_id = self._customer_calls(plan)
        found = self._existing(plan, customer_id) if customer_id else None
        if found is not None:
            return [*calls, StripeCall("subscription", key, plan.subscription_id,
                                       existing=found.id)]
        shown = customer_id or f"(new customer of account {plan.account_id})"
        subscription = self._subscription_params(plan, price, shown)
        calls.append(StripeCall("subscription", key, plan.subscription_id, dict(subscription)))
        return calls

    def _customer_calls(self, plan: Plan) -> tuple[list[StripeCall], str | None]:
        """The customer call a preview shows (none when the ledger has the customer), and
        the customer id known before any create."""
        if plan.customer_id is not None:
            return [], plan.customer_id
        key = f"customer:{plan.account_id}"
        found = self._earlier_customer(plan)
        if found is not None:
            return [StripeCall("customer", key, plan.account_id, existing=found.id)], found.id
        params = self._customer_params(plan)
        return [StripeCall("customer", key, plan.account_id, _without_nulls(params))], None

    def _deliver(self, op_id: int, result: Activated) -> None:
        try:
            self._activate(self._plan(op_id), result)
        except RetriableError as exc:
            with self._uow() as uow:
                outbox.mark_retry(uow, _op(uow, op_id), exc)
            result.retries += 1
        except SkippableError as exc:
            with self._uow() as uow:
                op = _op(uow, op_id)
                outbox.mark_dead(uow, op, exc)
                _report_sync_error(uow, op, str(exc))
            result.dead_letters += 1

    def _plan(self, op_id: int) -> Plan:
        with self._uow() as uow:
            op = _op(uow, op_id)
            resumed = op.claimed_at is not None or op.attempts > 0
            subscription = uow.session.get(Subscription, op.entity_id)
            if subscription is None or subscription.account_id is None:
                raise ValidationRejectedError(
                    f"subscription {op.entity_id} has no account to bill", code="NO_ACCOUNT")
            plan = self._plan_for(uow, op, subscription, subscription.account_id, resumed)
            op.claimed_at = uow.now  # committed before any Stripe call: a crash leaves a trace
            return plan

    def _plan_for(self, uow: UnitOfWork, op: OutboxOperation, subscription: Subscription,
                  account_id: str, resumed: bool) -> Plan:
        account = uow.session.get_one(Account, account_id)
        item = _first_item(uow.session, subscription.id)
        product = uow.session.get(Product, item.product_id) if item.product_id else None
        product_row = {"Name": product.name if product else None,
                       "ProductCode": product.product_code if product else None}
        account_row = {"Id": uow.external_for("account", account.id, System.SALESFORCE,
                                              "Account"), "Name": account.name}
        record = {**fields.to_salesforce(fields.from_ledger(subscription, item)),
                  "Id": commands.ActivateSubscription.from_row(op).salesforce_id,
                  "Ledger_Id__c": subscription.id,
                  "Account__c": account_row["Id"], "Account__r": account_row,
                  "Product__r": product_row}
        if not product_row["ProductCode"]:
            raise ValidationRejectedError(
                f"subscription {subscription.id} has no product with a ProductCode, so no "
                "Stripe price can be found for it", code="NO_PRODUCT")
        customer_id = uow.stripe_customer_of(account.id)
        attempted = None if customer_id else _customer_attempted(uow, account.id)
        return Plan(op.id, resumed, op.created_at.date(), subscription.id, account.id,
                    account_row, record, self._mappings.catalog.lookup_key(product_row),
                    customer_id, attempted)

    def _activate(self, plan: Plan, result: Activated) -> None:
        price = self._price(plan.lookup_key, plan.salesforce_subscription)
        customer_id = plan.customer_id or self._customer(plan, result)
        params = self._subscription_params(plan, price, customer_id)
        created = self._existing(plan, customer_id) or self._gateway.create_subscription(
            params, key=f"subscription:{plan.subscription_id}")
        crashpoints.reached("activation.subscription_created")
        with self._uow() as uow:
            _record_activation(uow, plan, created.to_dict(), self._mappings)
            outbox.mark_done(uow, _op(uow, plan.op_id), {"stripe_subscription": created.id})
        crashpoints.reached("activation.committed")
        result.subscriptions.append(created.id)

    def _existing(self, plan: Plan, customer_id: str) -> stripe.Subscription | None:
        """The subscription an earlier attempt of this activation created, when the ledger
        shows one was made (its outcome unknown); None without a lookup otherwise."""
        if not plan.resumed:
            return None
        return self._gateway.find_subscription(customer_id, plan.subscription_id)

    def _earlier_customer(self, plan: Plan) -> stripe.Customer | None:
        """The account's customer an earlier attempted activation created, when the ledger
        shows one may have (:attr:`Plan.customer_attempted`); None without a lookup
        otherwise."""
        if plan.customer_attempted is None:
            return None
        since = plan.customer_attempted.astimezone(UTC) - CLOCK_SKEW
        return self._gateway.find_customer(plan.account_id, int(since.timestamp()))

    def _price(self, lookup_key: str, record: dict[str, Any]) -> stripe.Price:
        if lookup_key not in self._prices:
            self._prices[lookup_key] = self._gateway.find_price(lookup_key)
        price = self._prices[lookup_key]
        if price is not None:
            return price
        product = record["Product__r"]
        which = (f"(product {product['Name']!r}, ProductCode {product['ProductCode']!r})")
        if self._gateway.find_inactive_price(lookup_key) is not None:
            raise ValidationRejectedError(
                f"the Stripe price with lookup_key {lookup_key!r} {which} is archived "
                "(inactive); reactivate it or move the lookup key to an active price in "
                "Stripe, or map the product in mappings/catalog.toml, then run "
                "'crm-connector deadletter retry ID' (ID as 'deadletter list' shows it)",
                code="PRICE_INACTIVE")
        raise ValidationRejectedError(
            f"no active Stripe price has lookup_key {lookup_key!r} {which}; create the "
            "price in Stripe or map the product in mappings/catalog.toml, then run "
            "'crm-connector deadletter retry ID' (ID as 'deadletter list' shows it)",
            code="PRICE_NOT_FOUND")

    def _customer(self, plan: Plan, result: Activated) -> str:
        """The account's customer: the one an earlier attempt created, else a new one; it
        is committed to the ledger before the subscription is created."""
        created = self._earlier_customer(plan) or self._gateway.create_customer(
            cast(CustomerCreateParams, self._customer_params(plan)),
            key=f"customer:{plan.account_id}")
        crashpoints.reached("activation.customer_created")
        with self._uow() as uow:
            _record_customer(uow, plan.account_id, created)
        result.customers.append(created.id)
        return created.id

    def _customer_params(self, plan: Plan) -> dict[str, Any]:
        with self._uow() as uow:
            params = self._mappings.account_to_customer.apply(plan.salesforce_account,
                                                              LedgerLinks(uow))
        return _with_ledger_id(params, plan.account_id)

    def _subscription_params(self, plan: Plan, price: stripe.Price,
                             customer_id: str) -> SubscriptionCreateParams:
        with self._uow() as uow:
            params = self._mappings.subscription_to_stripe.apply(plan.salesforce_subscription,
                                                                 LedgerLinks(uow))
        params["customer"] = customer_id
        params["items"][0]["price"] = price.id
        params["collection_method"] = self._settings.collection_method
        if self._settings.collection_method == "send_invoice":
            params["days_until_due"] = self._settings.days_until_due
        params.update(_start(plan))
        return cast(SubscriptionCreateParams,
                    _without_nulls(_with_ledger_id(params, plan.subscription_id)))


def _start(plan: Plan) -> dict[str, Any]:
    """Stripe parameters for the start date, relative to the day activation was requested.

    Measured from that day (not from now) so a retry sends the same parameters under the
    same idempotency key. A past start backdates the subscription; a future one anchors the
    billing cycle there without charging for the days before it.
    """
    start = plan.salesforce_subscription.get("Start_Date__c")
    if not start:
        return {}
    day = date.fromisoformat(start)
    moment = int(datetime.combine(day, time(0), UTC).timestamp())
    if day < plan.requested_on:
        return {"backdate_start_date": moment}
    if day > plan.requested_on:
        return {"billing_cycle_anchor": moment, "proration_behavior": commands.proration_behavior(
            commands.ChangeOrigin.FUTURE_START)}
    return {}


def _op(uow: UnitOfWork, op_id: int) -> OutboxOperation:
    return uow.session.get_one(OutboxOperation, op_id)


def _first_item(session: Session, subscription_id: str) -> SubscriptionItem:
    query = select(SubscriptionItem).where(SubscriptionItem.subscription_id == subscription_id)
    return session.scalars(query.order_by(SubscriptionItem.created_at).limit(1)).one()


def _without_nulls(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None}


def _with_ledger_id(params: dict[str, Any], ledger_id: str) -> dict[str, Any]:
    """``params`` with ``metadata.ledger_id`` set, whatever the mapping says: the lookup
    after an interrupted attempt finds the object by it."""
    return {**params, "metadata": {**(params.get("metadata") or {}), LEDGER_ID: ledger_id}}


def _customer_attempted(uow: UnitOfWork, account_id: str) -> datetime | None:
    """When the first activation of ``account_id`` that an earlier attempt claimed and that
    is not done was queued (None when there is none): that attempt may have created a
    customer it never recorded."""
    subscriptions = select(Subscription.id).where(Subscription.account_id == account_id)
    query = select(func.min(OutboxOperation.created_at)).where(
        OutboxOperation.operation == ACTIVATE, OutboxOperation.entity_type == "subscription",
        OutboxOperation.entity_id.in_(subscriptions), OutboxOperation.status.in_(UNSETTLED),
        OutboxOperation.claimed_at.is_not(None) | (OutboxOperation.attempts > 0))
    found: datetime | None = uow.session.scalar(query)
    return found.replace(tzinfo=found.tzinfo or UTC) if found is not None else None


def _record_customer(uow: UnitOfWork, account_id: str, created: stripe.Customer) -> None:
    customer = Customer(account_id=account_id, name=created.name, email=created.email,
                        created_at=uow.now, updated_at=uow.now)
    uow.session.add(customer)
    uow.session.flush()
    uow.link("customer", customer.id, System.STRIPE, "customer", created.id)
    uow.record("customer", customer.id, "stripe", ChangeKind.CREATE,
               {"stripe_id": [None, created.id], "account_id": [None, account_id]})


def _record_activation(uow: UnitOfWork, plan: Plan, stripe_sub: dict[str, Any],
                       mappings: MappingSet) -> None:
    subscription = uow.session.get_one(Subscription, plan.subscription_id)
    uow.link("subscription", subscription.id, System.STRIPE, "subscription", stripe_sub["id"])
    if plan.resumed:  # its events may have come, and been ignored, before this link
        stripe_inbox.requeue_ignored(uow.session, _op(uow, plan.op_id).created_at)
    apply_stripe_subscription(uow, subscription, stripe_sub, mappings, always_write=True,
                              write_reason="activated")
    webhook_events.queue(uow, webhook_events.activated(uow, subscription))


def _report_sync_error(uow: UnitOfWork, op: OutboxOperation, reason: str) -> None:
    if op.entity_type != "subscription" or op.entity_id is None:
        return
    commands.enqueue(uow, commands.sync_error(op.entity_id, f"error:{op.id}:{op.attempts}",
                                              reason))
