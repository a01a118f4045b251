"""Naming ledger records the way an admin knows them: Salesforce Id and record name.

Dead letters, conflicts and the plan hold ledger ids; a person looks records up in
Salesforce by their Id or name, so what admins read shows those, and the ledger id only when
the record has never reached Salesforce.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.ledger.models import (
    Account,
    Customer,
    DeadLetter,
    LineItem,
    Link,
    Opportunity,
    OutboxOperation,
    Product,
    Subscription,
    System,
)


@dataclass(frozen=True)
class RecordName:
    """How to find a record: its Salesforce Id (if it has one) and a name a person knows."""

    salesforce_id: str | None
    name: str | None


class RecordNames:
    """Looks up Salesforce Ids and names of ledger entities in one session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def of(self, entity_type: str | None, entity_id: str | None) -> RecordName:
        """The Salesforce Id and name of a ledger entity (each None when unknown)."""
        if not entity_type or not entity_id:
            return RecordName(None, None)
        salesforce_id = self._session.scalars(select(Link.external_id).where(
            Link.entity_type == entity_type, Link.entity_id == entity_id,
            Link.system == System.SALESFORCE).limit(1)).first()
        return RecordName(salesforce_id, self._name(entity_type, entity_id))

    def of_salesforce(self, sobject: str, salesforce_id: str) -> RecordName:
        """The name of the ledger entity linked to a Salesforce record, if any."""
        found = self._session.execute(select(Link.entity_type, Link.entity_id).where(
            Link.system == System.SALESFORCE, Link.object_type == sobject,
            Link.external_id == salesforce_id).limit(1)).first()
        name = self._name(found[0], found[1]) if found else None
        return RecordName(salesforce_id, name)

    def of_dead_letter(self, letter: DeadLetter) -> RecordName:
        """What a dead letter is about: the record it failed on, as Salesforce knows it."""
        if letter.source.startswith("salesforce."):
            return self.of_salesforce(letter.source.removeprefix("salesforce."),
                                      letter.record_key)
        outbox_id = (letter.payload or {}).get("outbox_id")
        if letter.source.startswith("outbox.") and outbox_id is not None:
            op = self._session.get(OutboxOperation, outbox_id)
            if op is not None:
                return self.of(op.entity_type, op.entity_id)
        return RecordName(None, None)

    def _name(self, entity_type: str, entity_id: str) -> str | None:
        if entity_type == "subscription":
            return self._subscription_name(entity_id)
        if entity_type == "line_item":
            return self._line_item_name(entity_id)
        model = {"account": Account, "opportunity": Opportunity, "customer": Customer,
                 "product": Product}.get(entity_type)
        row = self._session.get(model, entity_id) if model is not None else None
        return getattr(row, "name", None)

    def _line_item_name(self, entity_id: str) -> str | None:
        item = self._session.get(LineItem, entity_id)
        if item is None:
            return None
        parts = [self._name("opportunity", item.opportunity_id),
                 self._name("product", item.product_id or "")]
        return " / ".join(p for p in parts if p) or None

    def _subscription_name(self, entity_id: str) -> str | None:
        subscription = self._session.get(Subscription, entity_id)
        if subscription is None:
            return None
        parts = [self._name("account", subscription.account_id or ""),
                 self._name("opportunity", subscription.opportunity_id or "")]
        return " / ".join(p for p in parts if p) or None
