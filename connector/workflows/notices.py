"""The notification catalog's step: announced facts become notifications, one per recipient.

Facts are announced where they are learned (:func:`~connector.ledger.announcements.announce`);
connection trouble is announced here, from the systems' states at the end of a cycle
(:func:`announce_connections`). For each
announced fact this step queues, in the ledger, a notification for every enabled event of
the catalog (:mod:`connector.notify.catalog`) sent for it, one per recipient:

* ``customer``: the account's billing address (:func:`customer_address`); without one the
  notification is recorded as skipped, with the reason, and never retried;
* ``partner``: each of ``[notifications] partner_recipients``;
* ``csm``: the address the fact names (the CSM's); without one it is dead-lettered when sent.

A notification's key is stable per (event, fact, recipient), so a fact announced twice, or
this step run again, queues nothing new. A time-based event (with ``lead_days``) waits until
``lead_days`` before its moment, and is skipped with a log line once the moment has passed (a
fact learned late, when the daemon was down, is still sent while it is relevant).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

import structlog
from sqlalchemy import select

from connector.ledger.announcements import Announcement, announce
from connector.ledger.models import (
    ConnectionState,
    ConnectionStatus,
    Customer,
    Notification,
    NotificationStatus,
    Opportunity,
)
from connector.ledger.unit_of_work import Ledger, UnitOfWork
from connector.notifications_config import NotificationsConfig, TimedEventConfig
from connector.notify.catalog import CSM, CUSTOMER, PARTNER, Event, events_for

log = structlog.get_logger(__name__)

CHUNK = 500
NO_CUSTOMER_ADDRESS = ("skipped: the customer has no email address (Account.Billing_Email__c "
                       "is empty, no won opportunity has a primary contact with an email, "
                       "and the Stripe customer has no email)")
ERRORS = frozenset({ConnectionState.SYSTEM_ERROR, ConnectionState.UNAUTHORIZED})
"""Connection states the partner team is told about (an unreachable ledger is not theirs)."""
SYSTEM_NAMES = {"stripe": "Stripe", "salesforce": "Salesforce"}


@dataclass
class Queued:
    """What one run of the step did.

    Attributes:
        queued: notifications queued to send.
        skipped: customer notifications recorded as skipped (no address).
        late: time-based notifications skipped because their moment had passed.
    """

    queued: int = 0
    skipped: int = 0
    late: int = 0


@dataclass(frozen=True)
class _ConnectionNotice:
    """A system's connection went bad or came back: the ``sequence``-th such change of it
    (its key), with the template data in ``details``."""

    FACT: ClassVar[str]
    sequence: int
    system: str
    details: dict[str, Any]
    account_id: None = None
    address: None = None
    moment: None = None

    @property
    def key(self) -> str:
        """The change's sequence number for its system."""
        return str(self.sequence)

    def data(self) -> dict[str, Any]:
        """The template data."""
        return dict(self.details)


@dataclass(frozen=True)
class StripeConnection(_ConnectionNotice):
    """Stripe became unreachable (or refused us), or recovered."""

    FACT: ClassVar[str] = "stripe_connection"


@dataclass(frozen=True)
class SalesforceConnection(_ConnectionNotice):
    """Salesforce became unreachable (or refused us), or recovered."""

    FACT: ClassVar[str] = "salesforce_connection"


NOTICES: dict[str, type[_ConnectionNotice]] = {"stripe": StripeConnection,
                                              "salesforce": SalesforceConnection}


class CatalogStep:
    """Queues the notifications of every announced fact (see the module docstring).

    Args:
        settings: ``[notifications]``: which events are enabled, lead times, partners.
    """

    def __init__(self, settings: NotificationsConfig) -> None:
        self._settings = settings

    def run(self, ledger: Ledger, *, connections: bool = False) -> Queued:
        """Expand every announced fact not expanded yet, a chunk per transaction.

        Args:
            connections: first announce the connection changes (at the end of a cycle,
                when every step of it has set its system's state).
        """
        result = Queued()
        if connections:
            with ledger.unit() as uow:
                announce_connections(uow)
        after = 0
        while True:
            with ledger.unit() as uow:
                rows = list(uow.session.scalars(select(Announcement).where(
                    Announcement.expanded_at.is_(None), Announcement.id > after)
                    .order_by(Announcement.id).limit(CHUNK)))
                for row in rows:
                    if self._expand(uow, row, result):
                        row.expanded_at = uow.now
            if len(rows) < CHUNK:
                return result
            after = rows[-1].id

    def _expand(self, uow: UnitOfWork, row: Announcement, result: Queued) -> bool:
        """Queue ``row``'s notifications that are due; whether none is left to queue."""
        done = True
        for event in events_for(row.fact):
            settings = self._settings.event(event.audience, event.name)
            if not settings.enabled:
                continue
            if isinstance(settings, TimedEventConfig) and row.moment is not None:
                if uow.now >= row.moment:
                    log.info("notification skipped: its moment has passed",
                             notification_event=event.label, fact=row.key,
                             moment=row.moment.isoformat())
                    result.late += 1
                    continue
                if uow.now < row.moment - timedelta(days=settings.lead_days):
                    done = False
                    continue
            for recipient in self._recipients(uow, event, row):
                _queue(uow, event, row, recipient, result)
        return done

    def _recipients(self, uow: UnitOfWork, event: Event, row: Announcement) -> list[str]:
        if event.audience == CUSTOMER:
            return [customer_address(uow, row.account_id) or ""]
        if event.audience == PARTNER:
            return list(self._settings.partner_recipients)
        return [row.address or ""]


def _queue(uow: UnitOfWork, event: Event, row: Announcement, recipient: str,
           result: Queued) -> None:
    key = notification_key(event, row, recipient)
    if uow.session.scalar(select(Notification.id).where(Notification.key == key)) is not None:
        return
    note = Notification(key=key, kind=event.kind, recipient=recipient,
                        subject=event.summary[:1].upper() + event.summary[1:],
                        data=dict(row.data), created_at=uow.now)
    if event.audience == CUSTOMER and not recipient:
        note.status, note.last_error = NotificationStatus.FAILED, NO_CUSTOMER_ADDRESS
        log.info("customer notification skipped", notification_event=event.label,
                    fact=row.key, reason=NO_CUSTOMER_ADDRESS)
        result.skipped += 1
    else:
        result.queued += 1
    uow.session.add(note)
    uow.session.flush()


def notification_key(event: Event, row: Announcement, recipient: str) -> str:
    """The stable key of ``event``'s notification of ``row`` to ``recipient``.

    A CSM fact keeps the key it was always queued under (it names its recipient itself).
    """
    fact_key = row.key.partition(":")[2]
    if event.audience == CSM:
        return fact_key
    return f"{event.kind}:{fact_key}:{recipient or '-'}"[:255]


def customer_address(uow: UnitOfWork, account_id: str | None) -> str | None:
    """Where a customer notification of ``account_id`` goes: ``Account.Billing_Email__c`` (as
    the account's opportunities were last read), else the primary contact's email of its
    latest won opportunity that has one (``OpportunityContactRole.IsPrimary`` ->
    ``Contact.Email``, read with the opportunities the daemon generates for), else its Stripe
    customer's email; None when it has none of them."""
    if account_id is None:
        return None
    rows = uow.session.execute(select(
        Opportunity.record, Opportunity.is_won, Opportunity.primary_contact_email).where(
        Opportunity.account_id == account_id, Opportunity.deleted_at.is_(None))
        .order_by(Opportunity.is_won.desc(), Opportunity.updated_at.desc())).all()
    billing = (((record or {}).get("Account") or {}).get("Billing_Email__c")
               for record, _, _ in rows)
    contacts = (contact for _, won, contact in rows if won)
    found = next(filter(None, billing), None) or next(filter(None, contacts), None)
    if found:
        return str(found)
    stripe = uow.session.scalars(select(Customer.email).where(
        Customer.account_id == account_id, Customer.email.is_not(None),
        Customer.deleted_at.is_(None))).first()
    return stripe or None


def announce_connections(uow: UnitOfWork) -> int:
    """Announce each system that went into an error state, or came out of it, since the
    last announcement of its connection; return how many were announced.

    Read off the systems' current states (``connection_states``) at the end of a cycle, so a
    system that fails every cycle (each cycle starts it ``POLLING`` again) is announced once,
    and its recovery once when a cycle no longer fails it.
    """
    announced = 0
    for row in uow.session.scalars(select(ConnectionStatus).order_by(ConnectionStatus.system)):
        notice = NOTICES.get(row.system)
        if notice is None:
            continue
        down = row.state in ERRORS
        earlier = list(uow.session.scalars(select(Announcement).where(
            Announcement.fact == notice.FACT).order_by(Announcement.id)))
        was_down = bool(earlier) and not earlier[-1].data.get("recovered")
        if down == was_down or (not down and not earlier):
            continue
        data = _connection_data(row, recovered=not down, now=uow.now)
        announced += announce(uow, notice(len(earlier) + 1, row.system, data), uow.now)
    return announced


def _connection_data(row: ConnectionStatus, *, recovered: bool,
                     now: datetime) -> dict[str, Any]:
    at: datetime = now if recovered else (row.since or now)
    return {"system": SYSTEM_NAMES[row.system], "recovered": recovered, "state": row.state,
            "reason": row.reason or "", "at": at.strftime("%Y-%m-%d %H:%M UTC")}
