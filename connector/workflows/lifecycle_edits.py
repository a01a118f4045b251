"""Applying a CSM's edit of an activated ``Subscription__c``: ledger, journal, outbox.

In one transaction: the settled values (see :mod:`connector.workflows.lifecycle`) go into the
ledger with one journal entry; the Stripe change becomes ONE outbox operation keyed by that
entry (``stripe:update_subscription:<ledger id>:<journal id>``); where the settled values
differ from what the CSM saved (a cancellation shows the period end as the end date), they
are written back to Salesforce once; a refused status change becomes a conflict.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connector.config import StripeConfig
from connector.errors import ValidationRejectedError
from connector.inbound import conflicts
from connector.inbound import subscription_values as fields
from connector.inbound.subscription_values import SubscriptionValues
from connector.ledger import outbox_commands as commands
from connector.ledger.journal import diff
from connector.ledger.link_resolver import LedgerLinks
from connector.ledger.mirrors import upsert_mirror
from connector.ledger.models import (
    Account,
    ChangeKind,
    Product,
    Subscription,
    SubscriptionItem,
    System,
)
from connector.ledger.unit_of_work import UnitOfWork
from connector.mapping import MappingSet
from connector.salesforce.reader import parse_modstamp
from connector.workflows import lifecycle

PRODUCT_FIELDS = ("Product__r.Name", "Product__r.ProductCode")
"""Extra ``Subscription__c`` fields the edits step reads for product changes."""


class LifecycleEdits:
    """Turns edits of activated subscriptions into ledger changes and Stripe operations.

    Args:
        mappings: the mapping set (``subscription_to_stripe.toml`` derives the parameters,
            ``stripe_to_subscription.toml`` names the owners).
        settings: ``[stripe]``: proration and cancel behaviour.
    """

    def __init__(self, mappings: MappingSet, settings: StripeConfig) -> None:
        self._mappings = mappings
        self._settings = settings

    def apply(self, uow: UnitOfWork, record: Mapping[str, Any], subscription: Subscription,
              item: SubscriptionItem, stripe_id: str) -> bool:
        """Apply one read of an activated subscription; return whether the ledger changed.

        Raises:
            SkippableError: the edit cannot be billed (unmappable values, a unit price no
                Stripe price has); nothing is applied.
        """
        edit = _Edit(uow, record, subscription, item, stripe_id)
        before = fields.from_ledger(subscription, item)
        incoming = fields.from_salesforce(record)
        product = _product(uow, record, item)
        settled = lifecycle.settle(before, incoming, subscription,
                                   cancel_immediately=self._settings.cancel_behavior
                                   == "immediately")
        _check_price(before, settled.values, item, product)
        changes = diff(before.as_dict(), settled.values.as_dict())
        if product is not None and product.id != item.product_id:
            changes["product_id"] = [item.product_id, product.id]
        entry_id = None
        if changes:
            row_before = _row(uow, subscription, item, before)
            _apply(uow, subscription, item, settled, product)
            entry = uow.record_now("subscription", subscription.id, "salesforce",
                                   ChangeKind.UPDATE, changes, source_ts=edit.their_ts)
            entry_id = entry.id if entry else None
            self._queue_stripe(edit, settled, row_before,
                               _row(uow, subscription, item, settled.values), entry_id)
        self._settle_salesforce(edit, incoming, settled, entry_id)
        return bool(changes)

    def _queue_stripe(self, edit: _Edit, settled: lifecycle.Settled,
                      row_before: dict[str, Any], row_after: dict[str, Any],
                      entry_id: int | None) -> None:
        ledger_id, reason = edit.subscription.id, str(entry_id)
        prorate = commands.proration_behavior(commands.ChangeOrigin.CSM_EDIT,
                                              self._settings.proration_behavior)
        command: commands.LifecycleCommand
        if settled.cancel_now:
            command = commands.CancelSubscription(ledger_id, edit.stripe_id, prorate, reason)
        else:
            params = lifecycle.stripe_change(self._mappings.subscription_to_stripe,
                                             row_before, row_after, LedgerLinks(edit.uow))
            if not params:
                return
            command = commands.UpdateSubscription(ledger_id, edit.stripe_id, params, prorate,
                                                  reason)
        commands.enqueue(edit.uow, command)

    def _settle_salesforce(self, edit: _Edit, incoming: SubscriptionValues,
                           settled: lifecycle.Settled, entry_id: int | None) -> None:
        """Write the settled values back where they differ from what the CSM saved."""
        shown = fields.to_salesforce(settled.values)
        saved = fields.to_salesforce(incoming)
        differing = {k: v for k, v in shown.items() if saved.get(k) != v}
        if not differing:
            return
        reason = f"settled:{entry_id}" if entry_id is not None else None
        if settled.ended:
            reason = f"ended:{edit.record['SystemModstamp']}"
        if settled.refused:
            conflict = conflicts.record(
                edit.uow, edit.subscription.id, "Status__c",
                owner=self._mappings.stripe_to_subscription.owner_of("Status__c"),
                ours=shown["Status__c"], theirs=edit.record.get("Status__c"),
                their_source="salesforce", their_ts=edit.their_ts)
            reason = f"conflict:{conflict.id}" if conflict is not None else reason
        if reason is not None:
            conflicts.reassert_in_salesforce(edit.uow, edit.subscription.id, differing, reason)


@dataclass(frozen=True)
class _Edit:
    """One read of an activated subscription, in its transaction."""

    uow: UnitOfWork
    record: Mapping[str, Any]
    subscription: Subscription
    item: SubscriptionItem
    stripe_id: str

    @property
    def their_ts(self) -> datetime:
        """When Salesforce says the record changed."""
        return parse_modstamp(str(self.record["SystemModstamp"]))


def _product(uow: UnitOfWork, record: Mapping[str, Any],
             item: SubscriptionItem) -> Product | None:
    """The ledger product the record names (mirrored if new); None when it names none."""
    salesforce_id = record.get("Product__c")
    if not salesforce_id:
        return None
    details = record.get("Product__r") or {}
    known = uow.entity_for(System.SALESFORCE, "Product2", str(salesforce_id))
    if known is not None or not details:
        return uow.session.get(Product, known) if known else None
    return upsert_mirror(uow, Product, "Product2", str(salesforce_id), {
        "name": details.get("Name") or salesforce_id, "product_code": details.get("ProductCode"),
    })


def _check_price(before: SubscriptionValues, after: SubscriptionValues,
                 item: SubscriptionItem, product: Product | None) -> None:
    if after.unit_amount_minor == before.unit_amount_minor:
        return
    if product is not None and product.id != item.product_id:
        return  # a new product: its Stripe price is found by its lookup key
    raise ValidationRejectedError(
        f"Unit_Price__c changed to {fields.to_salesforce(after)['Unit_Price__c']} but the "
        "product did not: Stripe bills a product's price by its lookup key "
        "(mappings/catalog.toml). Create a Stripe price for the new amount and change "
        "Product__c (or map the product to that price in catalog.toml), then save again",
        code="UNIT_PRICE_WITHOUT_PRICE")


def _apply(uow: UnitOfWork, subscription: Subscription, item: SubscriptionItem,
           settled: lifecycle.Settled, product: Product | None) -> None:
    fields.apply_to_ledger(settled.values, subscription, item)
    subscription.status = settled.status
    if product is not None:
        item.product_id = product.id
    subscription.updated_at = item.updated_at = uow.now


def _row(uow: UnitOfWork, subscription: Subscription, item: SubscriptionItem,
         values: SubscriptionValues) -> dict[str, Any]:
    """A ``Subscription__c``-shaped row of ``values``, for ``subscription_to_stripe.toml``."""
    product = uow.session.get(Product, item.product_id) if item.product_id else None
    account = uow.session.get(Account, subscription.account_id) if subscription.account_id \
        else None
    account_id = (uow.external_for("account", account.id, System.SALESFORCE, "Account")
                  if account else None)
    return {**fields.to_salesforce(values), "Ledger_Id__c": subscription.id,
            "Id": uow.external_for("subscription", subscription.id, System.SALESFORCE,
                                   "Subscription__c"),
            "Account__c": account_id, "Account__r": {"Name": account.name if account else None},
            "Product__r": {"Name": product.name if product else None,
                           "ProductCode": product.product_code if product else None}}
