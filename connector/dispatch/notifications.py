"""Sending the queued notifications through SMTP: one digest per CSM per dispatch.

Each queued notification is the durable record of one fact: one won opportunity's new
potential subscriptions (see :mod:`connector.workflows.potential`). A notification is ready once
every subscription it lists has a Salesforce id, so that its links point at the records; one
that is not ready waits for a later dispatch without holding back the CSM's other
notifications. At dispatch the ready CSM notifications of one recipient go out as ONE email,
composed by :mod:`connector.notify.compose` from the admin's templates
(:mod:`connector.notify.digest`): the opportunities in a stable order, at most 50 subscription
lines listed, the rest counted and linked to a Salesforce list view. A notification with no
recipient, or whose digest cannot be rendered, is dead-lettered.

Each notification is sent at most once: every notification a digest carries turns ``sent``,
in one transaction, when the relay accepts the digest; a refused digest dead-letters each of
them. A later dispatch sees only pending notifications, so it sends nothing more.

Every email of one dispatch goes through ONE SMTP connection. A temporary refusal (a 4xx
reply) or a relay that cannot be reached leaves the notification pending with its error,
tried again after an exponential backoff (a minute, doubling, at most six hours; given up
and dead-lettered after :data:`MAX_ATTEMPTS`); a permanent refusal (5xx) dead-letters it with
the server's reply. The catalog's other kinds (``customer_*``, ``partner_*``) go one email
per notification.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import delete, or_, select, update

from connector import crashpoints
from connector.errors import ConfigError, RetriableError
from connector.ledger.announcements import NotificationRetry
from connector.ledger.links import find_externals
from connector.ledger.models import Notification, NotificationStatus, System
from connector.ledger.unit_of_work import Ledger, UnitOfWork
from connector.notifications_config import BrandingConfig
from connector.notify.compose import (
    DEFAULT_LIST_VIEW,
    SUBSCRIPTION_OBJECT,
    Composer,
    listed_subscriptions,
)
from connector.notify.digest import DIGEST_LIMIT, Digest, Entry, group
from connector.notify.facts import CSM_POTENTIAL_SUBSCRIPTIONS
from connector.notify.mailer import OutgoingEmail, SmtpMailer
from connector.notify.templates import TemplateRenderer
from connector.notify.urls import SalesforceUrls

DIGESTED_KINDS = frozenset({CSM_POTENTIAL_SUBSCRIPTIONS})
"""Kinds whose ready notifications are gathered into one email per recipient."""
CHUNK = 500  # ids per IN (...) query, well under every database's parameter limit
NO_ADDRESS = "the CSM has no email address in Salesforce"
MAX_ATTEMPTS = 12
"""Temporary refusals before a notification is given up (backoff sums to over 40 hours)."""
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=6)


@dataclass
class Sent:
    """What one dispatch of notifications did.

    Attributes:
        sent: the emails the relay accepted (one per digest).
        delivered: the notifications those emails carried.
        waiting: notifications not ready yet (records without a Salesforce id).
        failed: notifications dead-lettered.
        deferred: notifications that met a temporary refusal, tried again later.
    """

    sent: list[OutgoingEmail] = field(default_factory=list)
    delivered: int = 0
    waiting: int = 0
    failed: int = 0
    deferred: int = 0


@dataclass(frozen=True)
class _Outgoing:
    email: OutgoingEmail
    digest: Digest


class Notifications:
    """Renders and sends pending notifications, a digest per CSM.

    Args:
        ledger: the ledger.
        mailer: the SMTP mailer.
        renderer: the email templates.
        urls: links into the Salesforce org.
        list_view: API name of the Subscription__c list view a long digest links to.
        limit: subscription lines one digest lists.
        branding: ``[notifications.branding]``.
    """

    def __init__(self, ledger: Ledger, mailer: SmtpMailer, renderer: TemplateRenderer,
                 urls: SalesforceUrls, *, list_view: str = DEFAULT_LIST_VIEW,
                 limit: int = DIGEST_LIMIT, branding: BrandingConfig | None = None) -> None:
        self._ledger = ledger
        self._mailer = mailer
        self._composer = Composer(renderer, urls, list_view=list_view, limit=limit,
                                  branding=branding)

    def dispatch(self) -> Sent:
        """Send every ready notification, a digest per recipient; report what was sent.

        Raises:
            RetriableError: the relay could not be reached (nothing changes in the ledger).
        """
        result = Sent()
        with self._ledger.unit() as uow:
            outgoing = self._outgoing(uow, result)
        try:
            outcomes = self._mailer.send_all([out.email for out in outgoing])
        except RetriableError as exc:
            with self._ledger.unit() as uow:
                for out in outgoing:
                    result.deferred += _retry_later(uow, _ids(out), str(exc), result)
            raise
        if outgoing:
            crashpoints.reached("email.accepted")
        with self._ledger.unit() as uow:
            for out in outgoing:
                self._settle(uow, out, outcomes.get(out.email.key), result)
        return result

    def _outgoing(self, uow: UnitOfWork, result: Sent) -> list[_Outgoing]:
        query = select(Notification).outerjoin(
            NotificationRetry, NotificationRetry.notification_id == Notification.id).where(
            Notification.status == NotificationStatus.PENDING,
            or_(NotificationRetry.next_attempt_at.is_(None),
                NotificationRetry.next_attempt_at <= uow.now))
        rows = {row.id: row for row in uow.session.scalars(query.order_by(Notification.id))}
        entries = self._entries(uow, list(rows.values()), result)
        outgoing = []
        for digest in group(entries, DIGESTED_KINDS):
            email = self._render(digest)
            if isinstance(email, OutgoingEmail):
                outgoing.append(_Outgoing(email, digest))
            else:
                result.failed += _fail_all(uow, [rows[e.notification_id] for e in digest.entries],
                                           email)
        return outgoing

    def _entries(self, uow: UnitOfWork, rows: Sequence[Notification],
                 result: Sent) -> list[Entry]:
        ledger_ids = [ledger_id for row in rows
                      for ledger_id in listed_subscriptions(row.data or {})]
        known = find_externals(uow.session, "subscription", ledger_ids, System.SALESFORCE,
                               SUBSCRIPTION_OBJECT)
        entries = []
        for row in rows:
            entry = self._composer.entry(row, known)
            if entry is None:
                result.waiting += 1
            elif not row.recipient:
                result.failed += _fail_all(uow, [row], NO_ADDRESS)
            else:
                entries.append(entry)
        return entries

    def _render(self, digest: Digest) -> OutgoingEmail | str:
        """The digest's email, or why it cannot be rendered."""
        try:
            return self._composer.compose(digest)
        except ConfigError as exc:
            return "; ".join(exc.problems)

    def _settle(self, uow: UnitOfWork, out: _Outgoing, error: Exception | None,
                result: Sent) -> None:
        ids = _ids(out)
        if error is None:
            _mark_sent(uow, out.digest, out.email)
            result.sent.append(out.email)
            result.delivered += len(ids)
        elif isinstance(error, RetriableError):
            result.deferred += _retry_later(uow, ids, str(error), result)
        else:
            result.failed += _fail_all(uow, list(_rows(uow, ids)), str(error))


def _ids(out: _Outgoing) -> list[int]:
    return [entry.notification_id for entry in out.digest.entries]


def _retry_later(uow: UnitOfWork, ids: list[int], reason: str, result: Sent) -> int:
    """Leave the notifications pending with ``reason``, due again after a backoff; one that
    has used its :data:`MAX_ATTEMPTS` is dead-lettered instead. Return how many wait."""
    waiting = 0
    for row in _rows(uow, ids):
        if row.attempts + 1 >= MAX_ATTEMPTS:  # _fail_all counts this last attempt
            result.failed += _fail_all(uow, [row], f"{reason}; given up after "
                                       f"{row.attempts + 1} attempts")
            continue
        row.attempts += 1
        row.last_error = reason
        wait = min(FIRST_BACKOFF * 2 ** (row.attempts - 1), MAX_BACKOFF)
        retry = uow.session.get(NotificationRetry, row.id) or NotificationRetry(
            notification_id=row.id, next_attempt_at=uow.now)
        retry.next_attempt_at, retry.reason = uow.now + wait, reason
        uow.session.add(retry)
        waiting += 1
    return waiting


def _mark_sent(uow: UnitOfWork, digest: Digest, email: OutgoingEmail) -> None:
    """Every notification of ``digest`` turns sent, with the email's subject; the first keeps
    the email's text, the others say where it is (a big digest stores it once)."""
    ids = [entry.notification_id for entry in digest.entries]
    pointer = f"Sent in the digest {email.key}; its text is kept with {digest.entries[0].key}."
    for start in range(0, len(ids), CHUNK):
        uow.session.execute(
            update(Notification)
            .where(Notification.id.in_(ids[start:start + CHUNK]),
                   Notification.status == NotificationStatus.PENDING)
            .values(status=NotificationStatus.SENT, subject=email.subject, body=pointer,
                    attempts=Notification.attempts + 1, sent_at=uow.now)
            .execution_options(synchronize_session=False))
        uow.session.execute(delete(NotificationRetry).where(
            NotificationRetry.notification_id.in_(ids[start:start + CHUNK])))
    uow.session.execute(update(Notification).where(Notification.id == ids[0])
                        .values(body=email.text).execution_options(synchronize_session=False))


def _rows(uow: UnitOfWork, ids: list[int]) -> Iterator[Notification]:
    for start in range(0, len(ids), CHUNK):
        yield from uow.session.scalars(select(Notification).where(
            Notification.id.in_(ids[start:start + CHUNK])).order_by(Notification.id))


def _fail_all(uow: UnitOfWork, rows: Sequence[Notification], reason: str) -> int:
    """Dead-letter every row with ``reason``; return how many."""
    for row in rows:
        row.attempts += 1
        row.status = NotificationStatus.FAILED
        row.last_error = reason
        uow.dead_letter("notification", row.key, reason, "NOT_SENT",
                        {"recipient": row.recipient, **(row.data or {})})
    return len(rows)
