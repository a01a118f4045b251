"""Sending the queued notifications (CSM emails) through SMTP.

A notification is rendered when it is sent, from the data stored with it and the Salesforce
ids known by then, so its links point at the records. One whose records have no Salesforce
id yet waits for the next run. Each is sent at most once: its row turns ``sent`` when the
relay accepts it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from connector.errors import ConfigError
from connector.ledger.models import Notification, NotificationStatus, System
from connector.notify.mailer import OutgoingEmail, SmtpMailer
from connector.notify.templates import TemplateRenderer
from connector.sync.unit_of_work import Ledger, UnitOfWork

RecordUrl = Callable[[str, str], str]


@dataclass
class Sent:
    """What one dispatch of notifications did."""

    sent: list[OutgoingEmail] = field(default_factory=list)
    waiting: int = 0
    failed: int = 0


class Notifications:
    """Renders and sends pending notifications.

    Args:
        ledger: the ledger.
        mailer: the SMTP mailer.
        renderer: the email templates.
        record_url: builds a link to a Salesforce record from its object and id.
    """

    def __init__(self, ledger: Ledger, mailer: SmtpMailer, renderer: TemplateRenderer,
                 record_url: RecordUrl) -> None:
        self._ledger = ledger
        self._mailer = mailer
        self._renderer = renderer
        self._record_url = record_url

    def dispatch(self) -> Sent:
        """Send every notification that is ready; report what was sent and what waits."""
        result = Sent()
        with self._ledger.unit() as uow:
            emails = self._ready(uow, result)
        outcomes = self._mailer.send_all(emails)
        with self._ledger.unit() as uow:
            for email in emails:
                self._settle(uow, email, outcomes.get(email.key), result)
        return result

    def _ready(self, uow: UnitOfWork, result: Sent) -> list[OutgoingEmail]:
        query = select(Notification).where(Notification.status == NotificationStatus.PENDING)
        pending = list(uow.session.scalars(query.order_by(Notification.id)))
        uow.prefetch_externals("subscription", [  # one query per 500 lines, not one per line
            line["ledger_id"] for n in pending for line in (n.data or {}).get("lines", [])],
            System.SALESFORCE, "Subscription__c")
        ready = []
        for notification in pending:
            email = self._render(uow, notification)
            if email is None:
                result.waiting += 1
            else:
                ready.append(email)
        return ready

    def _render(self, uow: UnitOfWork, notification: Notification) -> OutgoingEmail | None:
        context = self._context(uow, dict(notification.data or {}))
        if context is None:
            return None
        if not notification.recipient:
            _fail(uow, notification, "the CSM has no email address in Salesforce")
            return None
        try:
            rendered = self._renderer.render(notification.kind, context)
        except ConfigError as exc:
            _fail(uow, notification, "; ".join(exc.problems))
            return None
        return OutgoingEmail(notification.key, (notification.recipient,), rendered.subject,
                             rendered.text, rendered.html)

    def _context(self, uow: UnitOfWork, data: dict[str, Any]) -> dict[str, Any] | None:
        lines = []
        for line in data.get("lines", []):
            salesforce_id = uow.external_for("subscription", line["ledger_id"],
                                             System.SALESFORCE, "Subscription__c")
            if salesforce_id is None:
                return None
            lines.append({**line, "url": self._record_url("Subscription__c", salesforce_id)})
        return {**data, "lines": lines,
                "account": self._with_url(data.get("account", {}), "Account"),
                "opportunity": self._with_url(data.get("opportunity", {}), "Opportunity")}

    def _with_url(self, record: dict[str, Any], sobject: str) -> dict[str, Any]:
        salesforce_id = record.get("salesforce_id")
        url = self._record_url(sobject, salesforce_id) if salesforce_id else ""
        return {**record, "url": url}

    def _settle(self, uow: UnitOfWork, email: OutgoingEmail, error: Exception | None,
                result: Sent) -> None:
        notification = uow.session.scalars(
            select(Notification).where(Notification.key == email.key)).one()
        notification.attempts += 1
        if error is None:
            notification.status = NotificationStatus.SENT
            notification.subject = email.subject
            notification.body = email.text
            notification.sent_at = uow.now
            result.sent.append(email)
        else:
            _fail(uow, notification, str(error))
            result.failed += 1


def _fail(uow: UnitOfWork, notification: Notification, reason: str) -> None:
    notification.status = NotificationStatus.FAILED
    notification.last_error = reason
    uow.dead_letter("notification", notification.key, reason, "NOT_SENT",
                    {"recipient": notification.recipient, **(notification.data or {})})


