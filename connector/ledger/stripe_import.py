"""The ledger's record of Stripe objects brought in by ``import stripe``.

Objects the daemon created are known by their links; objects that existed in Stripe before
(self-serve signups, subscriptions from before the install) become ledger customers and
subscriptions through the import, and each one gets an :class:`ImportedObject` row saying so:

* ``account_match``: how its Salesforce Account was found (``metadata``:
  ``metadata.salesforce_account_id``; ``email``: the Account's ``Billing_Email__c``), or None
  when none matched (the object stays unlinked, counted in reports and listed by
  ``report reconciliation``).
* ``mirrored``: the subscription is shown in Salesforce as a ``Subscription__c`` on its
  Account (``[stripe] mirror_unlinked``); Stripe owns every field of it.

An imported subscription is Stripe's: its items follow Stripe, Salesforce never asks for a
change, and no Salesforce write is queued for it unless it is mirrored.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from connector.ledger.models import EXTERNAL_ID_LENGTH, ID_LENGTH, Base, one_of


class AccountMatch(StrEnum):
    """How an imported object found its Salesforce Account."""

    METADATA = "metadata"
    EMAIL = "email"


class ImportedObject(Base):
    """A ledger customer or subscription that came from ``import stripe``."""

    __tablename__ = "stripe_imports"
    __table_args__ = (one_of("account_match", AccountMatch),)

    entity_type: Mapped[str] = mapped_column(String(32), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(ID_LENGTH), primary_key=True)
    stripe_id: Mapped[str] = mapped_column(String(EXTERNAL_ID_LENGTH), index=True)
    account_match: Mapped[str | None] = mapped_column(String(16))
    mirrored: Mapped[bool] = mapped_column(default=False)
    imported_at: Mapped[datetime]
    updated_at: Mapped[datetime]


def imported(session: Session, entity_type: str, entity_id: str) -> ImportedObject | None:
    """The import record of a ledger entity, or None (the daemon made it)."""
    return session.get(ImportedObject, (entity_type, entity_id))


def record(session: Session, entity_type: str, entity_id: str, stripe_id: str, *,
           match: AccountMatch | None, mirrored: bool, now: datetime) -> ImportedObject:
    """Create or update the import record of an entity (a re-import refreshes it)."""
    row = imported(session, entity_type, entity_id)
    if row is None:
        row = ImportedObject(entity_type=entity_type, entity_id=entity_id, stripe_id=stripe_id,
                             imported_at=now)
        session.add(row)
    row.account_match = str(match) if match else None
    row.mirrored, row.updated_at = mirrored, now
    return row


def imported_ids(session: Session, entity_type: str) -> set[str]:
    """The ledger ids of every imported entity of ``entity_type``."""
    query = select(ImportedObject.entity_id).where(ImportedObject.entity_type == entity_type)
    return set(session.scalars(query))
