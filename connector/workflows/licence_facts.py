"""Typed licence facts: what the notification catalog and outbound webhooks will send.

Each fact is recorded once, by its key, in ``licence_facts``: a licence change (the seats a
customer's licences grant went up or down) and a discrepancy (first seen, and resolved).
``kind`` is the notification catalog's event (``license_changes``,
``license_discrepancy``), ``event`` the outbound webhook type (``license.changed``,
``license.discrepancy``). Each is announced to the notification catalog as it is recorded
(:class:`LicenceChangeNotice`, :class:`LicenceDiscrepancyNotice`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import select

from connector.ledger import webhook_events
from connector.ledger.announcements import account_data, announce
from connector.ledger.licences import FactKind, LicenceFact
from connector.ledger.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class LicenceChanged:
    """Seats were added to or removed from a customer's licence."""

    kind: ClassVar[FactKind] = FactKind.LICENSE_CHANGES
    event: ClassVar[str] = "license.changed"

    account_id: str
    seats_before: int
    seats_after: int
    used_seats: int | None

    @property
    def summary(self) -> str:
        """One line for people (``status``, ``customer``)."""
        change = "added" if self.seats_after > self.seats_before else "removed"
        return (f"seats {change}: {_seats(self.seats_before)} → {_seats(self.seats_after)}"
                f" (used {self.used_seats if self.used_seats is not None else '?'})")


@dataclass(frozen=True)
class LicenceDiscrepancy:
    """A customer's licence and billing started to disagree (``opened``) or agree again
    (``resolved``)."""

    kind: ClassVar[FactKind] = FactKind.LICENSE_DISCREPANCY
    event: ClassVar[str] = "license.discrepancy"

    account_id: str
    state: str
    reasons: tuple[str, ...]
    utilisation: str | None

    @property
    def summary(self) -> str:
        """One line for people (``status``, ``customer``)."""
        if self.state == "resolved":
            return f"discrepancy resolved (was: {'; '.join(self.reasons)})"
        return f"discrepancy: {'; '.join(self.reasons)}"


LicenceFactValue = LicenceChanged | LicenceDiscrepancy


@dataclass(frozen=True)
class _LicenceNotice:
    """A recorded licence fact as the notification catalog announces it."""

    fact: LicenceFactValue
    key: str
    details: dict[str, Any]
    address: str | None = None
    moment: datetime | None = None

    @property
    def account_id(self) -> str:
        """The customer's account."""
        return self.fact.account_id

    def data(self) -> dict[str, Any]:
        """The template data: ``account`` and the fact's own values."""
        return dict(self.details)


class LicenceChangeNotice(_LicenceNotice):
    """Seats were added or removed (``license_changes``)."""

    FACT: ClassVar[str] = "licence_changed"


class LicenceDiscrepancyNotice(_LicenceNotice):
    """A discrepancy opened or was resolved (``license_discrepancy``)."""

    FACT: ClassVar[str] = "licence_discrepancy"


def record_fact(uow: UnitOfWork, fact: LicenceFactValue, key: str) -> bool:
    """Record ``fact`` under ``key`` unless it is recorded already; return whether it was."""
    if uow.session.scalar(select(LicenceFact.id).where(LicenceFact.key == key)) is not None:
        return False
    payload = asdict(fact)
    payload.pop("account_id")
    if "reasons" in payload:
        payload["reasons"] = list(payload["reasons"])
    uow.session.add(LicenceFact(key=key, kind=fact.kind.value, event=fact.event,
                                account_id=fact.account_id, payload=payload,
                                occurred_at=uow.now))
    webhook_events.queue(uow, webhook_events.licence_event(fact.event, fact.account_id, payload,
                                                           key, uow.now))
    details = {"account": account_data(uow, fact.account_id), **payload}
    if isinstance(fact, LicenceChanged):
        details["change"] = "added" if fact.seats_after > fact.seats_before else "removed"
        announce(uow, LicenceChangeNotice(fact, key, details), uow.now)
    else:
        announce(uow, LicenceDiscrepancyNotice(fact, key, details), uow.now)
    return True


def fact_of(row: LicenceFact) -> LicenceFactValue:
    """The typed fact of a ``licence_facts`` row."""
    payload = dict(row.payload)
    if row.kind == FactKind.LICENSE_CHANGES:
        return LicenceChanged(row.account_id, **payload)
    payload["reasons"] = tuple(payload.get("reasons", ()))
    return LicenceDiscrepancy(row.account_id, **payload)


def _seats(count: int) -> str:
    return "site licence" if count == -1 else str(count)
