"""CSM edits of ``Subscription__c`` flow into the ledger; activation is queued from here.

Each run reads the ``Subscription__c`` records changed since the cursor, converts each to
ledger values and applies the difference (none for an echo of our own write). A record whose
status became Active or Trialing and that has no Stripe subscription yet gets one outbox
``activate`` operation, keyed by the subscription, in the same transaction. Edits of an
activated subscription go through :class:`~connector.workflows.lifecycle_edits.LifecycleEdits`
(one Stripe operation per change), and a CSM's edit of a field Stripe owns is recorded as a
conflict (:mod:`connector.inbound.conflicts`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from connector.errors import SkippableError
from connector.inbound import conflicts
from connector.inbound import subscription_values as fields
from connector.ledger import outbox_commands as commands
from connector.ledger import stripe_import
from connector.ledger.journal import diff
from connector.ledger.mirrors import salesforce_json
from connector.ledger.models import (
    ChangeKind,
    OutboxOperation,
    OutboxStatus,
    OutboxTarget,
    Subscription,
    SubscriptionItem,
    System,
)
from connector.ledger.unit_of_work import UnitOfWork
from connector.mapping import ObjectMapping
from connector.mapping.subscription_fields import SubscriptionFields
from connector.salesforce.bulk import BulkQueries
from connector.salesforce.client import SalesforceClient
from connector.salesforce.org import OrgSchema
from connector.salesforce.reader import (
    Cursor,
    Stream,
    parse_modstamp,
    read_batches,
    read_changes,
)
from connector.workflows.lifecycle_edits import PRODUCT_FIELDS, LifecycleEdits

SUBSCRIPTION_FIELDS = (
    "Ledger_Id__c", "Status__c", "Quantity__c", "Unit_Price__c", "Currency__c",
    "Start_Date__c", "End_Date__c", "Term_Months__c", "CSM__c", "Account__c",
    "Opportunity__c", "Product__c", "Trial_End_Date__c", "Cancel_At_Period_End__c",
    "Stripe_Customer_Id__c", "Stripe_Subscription_Id__c", *conflicts.STRIPE_FACTS,
    *PRODUCT_FIELDS,
)
ACTIVATE = commands.ActivateSubscription.OPERATION
UNCOMPARED = ("Ledger_Id__c", "Sync_Error__c")


@dataclass
class Applied:
    """What one run of the step did."""

    read: int = 0
    changed: int = 0
    activations: int = 0
    dead_letters: int = 0
    conflicts: int = 0


class SubscriptionEdits:
    """The ``Subscription__c`` → ledger step."""

    def __init__(self, client: SalesforceClient, bulk: BulkQueries | None = None,
                 lifecycle: LifecycleEdits | None = None,
                 owners: ObjectMapping | None = None,
                 names: SubscriptionFields | None = None, *,
                 org: OrgSchema | None = None) -> None:
        self._client = client
        self._org = org
        self._bulk = bulk
        self._lifecycle = lifecycle
        self._owners = owners
        self._names = names or SubscriptionFields()
        self.stream = Stream("Subscription__c", tuple(map(self._names.org, SUBSCRIPTION_FIELDS)))
        """The changed records, read with the org's field names."""

    def problems(self) -> list[str]:
        """Why this org cannot be read as ``Subscription__c`` needs, one line per problem."""
        if self._org is None:
            return []
        if not self._org.has_object("Subscription__c"):
            return ["Subscription__c: the org has no such object: deploy the data model in "
                    "salesforce/ (see salesforce/README.md)"]
        return [f"subscription_fields.toml: {self._names.org(name)}: Subscription__c has no "
                f"field {self._names.org(name)!r}: deploy salesforce/ or name your org's field"
                for name in SUBSCRIPTION_FIELDS
                if not self._org.has_path("Subscription__c", self._names.org(name))]

    def read(self, cursor: Cursor, signpost: datetime) -> tuple[list[dict[str, Any]], Cursor]:
        """Read the records changed since ``cursor`` (no ledger I/O), in shipped names."""
        batch = read_changes(self._client, self.stream, cursor, signpost)
        return [self._names.from_org(r) for r in batch.records], batch.cursor

    def batches(self, cursor: Cursor,
                signpost: datetime) -> Iterator[tuple[list[dict[str, Any]], Cursor]]:
        """:meth:`read` in chunks, each with the cursor covering it."""
        for batch in read_batches(self._client, self.stream, cursor, signpost, bulk=self._bulk):
            yield [self._names.from_org(r) for r in batch.records], batch.cursor

    def apply(self, uow: UnitOfWork, records: Iterable[dict[str, Any]]) -> Applied:
        """Apply the records to the ledger; dead-letter the ones that cannot be applied."""
        result = Applied()
        for record in records:
            result.read += 1
            try:
                self._apply_one(uow, record, result)
            except SkippableError as exc:
                uow.dead_letter("salesforce.Subscription__c", record["Id"], str(exc), exc.code,
                                salesforce_json(record))
                result.dead_letters += 1
        return result

    def _apply_one(self, uow: UnitOfWork, record: Mapping[str, Any], result: Applied) -> None:
        subscription = _find(uow, record)
        if subscription is None:
            raise SkippableError(
                f"Subscription__c {record['Id']} has no ledger record (Ledger_Id__c "
                f"{record.get('Ledger_Id__c')!r}); records created by hand in Salesforce are "
                "not adopted yet", code="UNKNOWN_SUBSCRIPTION")
        uow.link("subscription", subscription.id, System.SALESFORCE, "Subscription__c",
                 record["Id"])
        if stripe_import.imported(uow.session, "subscription", subscription.id) is not None:
            return  # mirrored by import stripe: Stripe owns every field, Salesforce only shows
        item = _item(uow, subscription)
        record = _as_it_will_be(uow, record, subscription.id)
        stripe_id = uow.external_for("subscription", subscription.id, System.STRIPE,
                                     "subscription")
        if stripe_id is not None and self._lifecycle is not None:
            result.changed += self._lifecycle.apply(uow, record, subscription, item, stripe_id)
            if self._owners is not None:
                result.conflicts += conflicts.check_salesforce(
                    uow, record, subscription, self._owners,
                    parse_modstamp(record["SystemModstamp"]))
        else:
            result.changed += _apply_potential(uow, record, subscription, item)
        if _wants_activation(uow, subscription):
            added = commands.enqueue(uow, commands.ActivateSubscription(subscription.id,
                                                                         record["Id"]))
            result.activations += int(added)


def _as_it_will_be(uow: UnitOfWork, record: Mapping[str, Any],
                   subscription_id: str) -> Mapping[str, Any]:
    """The record with our Salesforce writes that have not landed yet applied to it.

    A record read while a write of ours is still queued (written later in the cycle, or held
    back by a fault or the API budget) shows the old values; compared as they are, they
    would look like a CSM's edit undoing ours.
    """
    query = select(OutboxOperation).where(
        OutboxOperation.target == OutboxTarget.SALESFORCE,
        OutboxOperation.entity_type == "subscription",
        OutboxOperation.entity_id == subscription_id,
        OutboxOperation.status == OutboxStatus.PENDING)
    pending = list(uow.session.scalars(query.order_by(OutboxOperation.id)))
    if not pending:
        return record
    merged = dict(record)
    for op in pending:
        write = commands.SubscriptionWrite.from_row(op)
        merged.update({k: v for k, v in write.fields.items() if k not in UNCOMPARED})
    return merged


def _apply_potential(uow: UnitOfWork, record: Mapping[str, Any], subscription: Subscription,
                     item: SubscriptionItem) -> bool:
    incoming = fields.from_salesforce(record)
    changes = diff(fields.from_ledger(subscription, item).as_dict(), incoming.as_dict())
    if changes:
        fields.apply_to_ledger(incoming, subscription, item)
        subscription.updated_at = uow.now
        uow.record("subscription", subscription.id, "salesforce", ChangeKind.UPDATE, changes,
                   source_ts=parse_modstamp(record["SystemModstamp"]))
    return bool(changes)


def _find(uow: UnitOfWork, record: Mapping[str, Any]) -> Subscription | None:
    ledger_id = record.get("Ledger_Id__c")
    if ledger_id:
        return uow.session.get(Subscription, ledger_id)
    linked = uow.entity_for(System.SALESFORCE, "Subscription__c", record["Id"])
    return uow.session.get(Subscription, linked) if linked else None


def _item(uow: UnitOfWork, subscription: Subscription) -> SubscriptionItem:
    query = select(SubscriptionItem).where(SubscriptionItem.subscription_id == subscription.id)
    item = uow.session.scalars(query.order_by(SubscriptionItem.created_at).limit(1)).first()
    if item is None:
        item = SubscriptionItem(subscription_id=subscription.id, quantity=1,
                                created_at=uow.now, updated_at=uow.now)
        uow.session.add(item)
    return item


def _wants_activation(uow: UnitOfWork, subscription: Subscription) -> bool:
    if subscription.status not in fields.BILLABLE:
        return False
    stripe_id = uow.external_for("subscription", subscription.id, System.STRIPE, "subscription")
    return stripe_id is None
