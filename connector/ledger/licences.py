"""The ledger's licence tables: licences as read, the per-account summary, licence facts.

* :class:`Licence`: one per licence record of the licence object (``sfLma__License__c`` or
  what ``license.toml`` names), linked to it by :class:`~connector.ledger.models.Link`
  (entity ``licence``). ``seats`` is -1 for a site licence.
* :class:`AccountSummary`: one per account, what the Account page shows (licence status,
  expiration, seats bought, used seats, active users, utilisation, MRR, ARR) and the open
  discrepancies; every change is journaled (entity ``account_summary``), so the history of
  utilisation is the journal's.
* :class:`LicenceFact`: each licence change (seats added or removed) and each discrepancy
  (first seen, resolved), recorded once by its key, for notifications and outbound events.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from connector.ledger.models import (
    ID_LENGTH,
    Base,
    BigIntegerKey,
    EntityTimestamps,
    foreign_key,
    ledger_id_column,
    one_of,
)


class LicenceStatus(StrEnum):
    """A licence's status in the summary's vocabulary (``Account.Licence_Status__c``)."""

    ACTIVE = "Active"
    TRIAL = "Trial"
    EXPIRED = "Expired"
    SUSPENDED = "Suspended"


class FactKind(StrEnum):
    """What a licence fact is; the notification catalog's event names."""

    LICENSE_CHANGES = "license_changes"
    LICENSE_DISCREPANCY = "license_discrepancy"


class Licence(EntityTimestamps, Base):
    """One customer licence as the licence object holds it."""

    __tablename__ = "licences"
    __table_args__ = (
        one_of("status", LicenceStatus),
        CheckConstraint("seats >= -1", name="seats_site_or_count"),
        CheckConstraint("used_seats >= 0", name="used_seats_non_negative"),
    )

    id: Mapped[str] = ledger_id_column("lic")
    account_id: Mapped[str] = foreign_key("accounts.id", nullable=False)
    source_object: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))
    expiration: Mapped[date | None]
    seats: Mapped[int] = mapped_column(BigInteger)
    used_seats: Mapped[int] = mapped_column(BigInteger)
    active_users: Mapped[int | None] = mapped_column(BigInteger)


class AccountSummary(Base):
    """The customer summary of one account, as last computed (see
    :func:`connector.ledger.summaries.summarise`)."""

    __tablename__ = "account_summaries"

    account_id: Mapped[str] = mapped_column(String(ID_LENGTH), ForeignKey("accounts.id"),
                                            primary_key=True)
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The summary's values, JSON-ready (:meth:`CustomerSummary.as_dict`)."""
    utilisation: Mapped[Decimal | None] = mapped_column(Numeric(9, 1))
    discrepancies: Mapped[list[str]] = mapped_column(JSON)
    updated_at: Mapped[datetime]


class LicenceFact(Base):
    """A licence change or discrepancy, recorded once (its ``key`` is unique)."""

    __tablename__ = "licence_facts"
    __table_args__ = (one_of("kind", FactKind),)

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    event: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[str] = foreign_key("accounts.id", nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurred_at: Mapped[datetime] = mapped_column(index=True)
