"""The notification catalog's durable facts and delivery schedule.

* :class:`Announcement`: one per fact the catalog may tell people about (a declined payment,
  a trial ending, a licence change, Stripe unreachable, ...), recorded once by its key in the
  same transaction that learned the fact (:func:`announce`). The catalog step
  (:mod:`connector.workflows.notices`) expands each into the notifications its enabled
  events send, one per recipient; ``expanded_at`` says it is done with it. Outbound webhooks
  are built from the same rows.
* :class:`NotificationRetry`: when a notification that met a temporary SMTP refusal (4xx, or
  the relay unreachable) may be tried again; a notification without one is due now.

A fact is any object with the :class:`Fact` shape: the catalog's fact name, a key unique
for that fact, the account it concerns, the moment it is about (a trial's end, a renewal)
and its template data; the facts themselves are typed frozen dataclasses defined where each
is learned.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Protocol

from sqlalchemy import JSON, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from connector.ledger.models import ID_LENGTH, Account, Base, BigIntegerKey, System
from connector.ledger.unit_of_work import UnitOfWork


class Fact(Protocol):
    """What :func:`announce` needs of a fact.

    Attributes:
        FACT: the catalog's fact name (``payment_declined``, ``trial_ending``, ...).
    """

    FACT: ClassVar[str]

    @property
    def key(self) -> str:
        """Unique for this fact among the facts of its name (a Stripe id, a date...)."""
        ...

    @property
    def account_id(self) -> str | None:
        """The ledger account it concerns (the customer's address is looked up by it)."""
        ...

    @property
    def address(self) -> str | None:
        """The address the fact names itself (a CSM's), if any."""
        ...

    @property
    def moment(self) -> datetime | None:
        """The moment it is about (a trial's end, a renewal), for time-based events."""
        ...

    def data(self) -> dict[str, Any]:
        """Its template data, JSON-ready."""
        ...


class Announcement(Base):
    """A fact the notification catalog may announce, recorded once (``key`` is unique)."""

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(BigIntegerKey, primary_key=True)
    key: Mapped[str] = mapped_column(String(255), unique=True)
    fact: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[str | None] = mapped_column(String(ID_LENGTH), index=True)
    address: Mapped[str | None] = mapped_column(String(320))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    moment: Mapped[datetime | None]
    occurred_at: Mapped[datetime]
    expanded_at: Mapped[datetime | None] = mapped_column(index=True)


class NotificationRetry(Base):
    """When a pending notification may next be tried (after a temporary refusal)."""

    __tablename__ = "notification_retries"

    notification_id: Mapped[int] = mapped_column(BigIntegerKey, ForeignKey("notifications.id"),
                                                 primary_key=True)
    next_attempt_at: Mapped[datetime] = mapped_column(index=True)
    reason: Mapped[str | None] = mapped_column(Text)


def announcement_key(fact: Fact) -> str:
    """The announcement key of ``fact``: its name and its own key."""
    return f"{fact.FACT}:{fact.key}"


def announce(uow: UnitOfWork, fact: Fact, now: datetime) -> bool:
    """Record ``fact`` for the notification catalog unless it is recorded already.

    The single place facts go: the catalog step turns the row into the notifications of
    every enabled event of the fact (and outbound webhooks into their deliveries).

    Nothing is recorded in a unit that does not announce (``import stripe``'s history, see
    :attr:`UnitOfWork.announce`): an imported past is not news to customers or partners.

    Returns:
        Whether it was new.
    """
    if not uow.announce:
        return False
    key = announcement_key(fact)
    if uow.session.scalar(select(Announcement.id).where(Announcement.key == key)) is not None:
        return False
    uow.session.add(Announcement(key=key, fact=fact.FACT, account_id=fact.account_id,
                                 address=fact.address, data=fact.data(), moment=fact.moment,
                                 occurred_at=now))
    uow.session.flush()
    return True


def account_data(uow: UnitOfWork, account_id: str | None) -> dict[str, Any]:
    """An account as templates show it: ``name`` and ``salesforce_id`` (empty when unknown)."""
    account = uow.session.get(Account, account_id) if account_id else None
    if account is None or account_id is None:
        return {"name": "", "salesforce_id": None}
    return {"name": account.name,
            "salesforce_id": uow.external_for("account", account_id, System.SALESFORCE,
                                              "Account")}
