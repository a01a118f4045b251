"""Composing emails from queued notifications: links into Salesforce, the admin's templates.

The dispatcher (:mod:`connector.dispatch.notifications`) reads the queued rows and the Salesforce
ids of the records they list; :meth:`Composer.entry` makes a row ready to send (every link
resolved) and :meth:`Composer.compose` renders a digest of ready entries into one
:class:`~connector.notify.mailer.OutgoingEmail`: subject, text and HTML all from the
templates (:mod:`connector.notify.templates`), the digest's data from
:mod:`connector.notify.digest`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connector.ledger.models import Notification
from connector.notifications_config import BrandingConfig
from connector.notify.digest import DIGEST_LIMIT, Digest, Entry
from connector.notify.mailer import OutgoingEmail
from connector.notify.templates import TemplateRenderer
from connector.notify.urls import SalesforceUrls

DEFAULT_LIST_VIEW = "Potential_Subscriptions"
"""The shipped Subscription__c list view of potential subscriptions (``salesforce/``)."""
SUBSCRIPTION_OBJECT = "Subscription__c"


def listed_subscriptions(data: Mapping[str, Any]) -> list[str]:
    """The ledger ids of the subscriptions a queued notification lists."""
    return [str(line["ledger_id"]) for line in data.get("lines", [])]


class Composer:
    """Turns queued notifications into emails.

    Args:
        renderer: the admin's templates.
        urls: links into the Salesforce org.
        list_view: API name of the Subscription__c list view a long digest links to.
        limit: subscription lines one digest lists.
        branding: ``[notifications.branding]``: every template's ``branding`` and the
            emails' Reply-To.
    """

    def __init__(self, renderer: TemplateRenderer, urls: SalesforceUrls, *,
                 list_view: str = DEFAULT_LIST_VIEW, limit: int = DIGEST_LIMIT,
                 branding: BrandingConfig | None = None) -> None:
        self._renderer = renderer
        self._urls = urls
        self._list_view_url = urls.list_view(SUBSCRIPTION_OBJECT, list_view)
        self._limit = limit
        self._branding = branding or BrandingConfig()

    def entry(self, row: Notification, salesforce_ids: Mapping[str, str]) -> Entry | None:
        """The queued row ready to send, its links resolved; None while a subscription it
        lists has no Salesforce id in ``salesforce_ids`` (ledger id → record id) yet."""
        data: Mapping[str, Any] = row.data or {}
        lines = data.get("lines", [])
        if any(line["ledger_id"] not in salesforce_ids for line in lines):
            return None
        context = {
            **data,
            "lines": [{**line, "url": self._urls.record(
                SUBSCRIPTION_OBJECT, salesforce_ids[line["ledger_id"]])} for line in lines],
            "account": self._with_url(data.get("account", {}), "Account"),
            "opportunity": self._with_url(data.get("opportunity", {}), "Opportunity"),
        }
        return Entry(row.id, row.key, row.kind, row.recipient, context)

    def compose(self, digest: Digest) -> OutgoingEmail:
        """The digest's email.

        Raises:
            ConfigError: its templates cannot be rendered (file, line, reason).
        """
        context = {**digest.context(self._list_view_url, self._limit),
                   "branding": self._branding.model_dump()}
        rendered = self._renderer.render(digest.kind, context)
        return OutgoingEmail(digest.key, (digest.recipient,), rendered.subject, rendered.text,
                             rendered.html, reply_to=self._branding.reply_to)

    def _with_url(self, record: Mapping[str, Any], sobject: str) -> dict[str, Any]:
        salesforce_id = record.get("salesforce_id")
        url = self._urls.record(sobject, salesforce_id) if salesforce_id else ""
        return {**record, "url": url}
