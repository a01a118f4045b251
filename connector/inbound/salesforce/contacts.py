"""The primary contacts of the won opportunities the daemon generates for, read from Salesforce
with the opportunities: where customer notifications go when the account has no
``Billing_Email__c`` (:func:`connector.workflows.notices.customer_address`).

Economy: for each chunk of opportunities read, the ids asked about are, per account without a
``Billing_Email__c`` (as read with the opportunity), its newest opportunity of the chunk the
trigger accepts that is not history: one query a chunk while the chunk spans at most
``IDS_PER_QUERY`` such accounts (the ids are chunked so the URL stays under Salesforce's 16
KB), none when no opportunity of the chunk generates. Only where the org's describe has
``OpportunityContactRole.IsPrimary`` and ``Contact.Email``: an org without them (or without
access to them) reads no contacts and keeps working, its customers' emails going to the
Stripe customer's address.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from simple_salesforce.format import format_soql

from connector.ledger.models import Opportunity
from connector.salesforce.client import SalesforceClient
from connector.salesforce.org import OrgSchema
from connector.salesforce.reader import IDS_PER_QUERY

SOBJECT = "OpportunityContactRole"
BILLING_EMAIL = "Billing_Email__c"
NEEDED = ("OpportunityId", "IsPrimary", "Contact.Email")
"""What the org's describe must show for the primary contacts to be read."""
OBJECTS = (SOBJECT, "Contact")
"""Described with the polled objects, in the same call."""
PRIMARY = ("SELECT OpportunityId, Contact.Email FROM OpportunityContactRole "
           "WHERE IsPrimary = true AND OpportunityId IN {ids}")


@dataclass
class PrimaryContacts:
    """The primary contacts' emails of the opportunities last asked about.

    Attributes:
        asked: the Salesforce ids of the opportunities asked about (one with no primary
            contact, or whose primary contact has no email, is absent from ``emails``).
        emails: Salesforce opportunity id -> the primary contact's email.
    """

    asked: frozenset[str] = frozenset()
    emails: dict[str, str] = field(default_factory=dict)

    def apply(self, opportunity: Opportunity, salesforce_id: str) -> None:
        """Keep the primary contact's email on the ledger's copy of an opportunity asked
        about; leave the others as they were."""
        if salesforce_id in self.asked:
            opportunity.primary_contact_email = self.emails.get(salesforce_id)


def readable(org: OrgSchema | None) -> bool:
    """Whether this org lets the daemon read primary contacts' emails (never without a
    describe: tests and tools without one read no contacts)."""
    return org is not None and org.has_object(SOBJECT) and not org.missing(SOBJECT, NEEDED)


def wanted(records: Iterable[Mapping[str, Any]],
           generates_for: Callable[[Mapping[str, Any]], bool]) -> list[str]:
    """The ids to ask about in a chunk: per account without ``Billing_Email__c``, the newest
    record (``CloseDate``, then ``SystemModstamp``) that ``generates_for`` accepts."""
    newest: dict[str, Mapping[str, Any]] = {}
    for record in records:
        if (record.get("Account") or {}).get(BILLING_EMAIL) or not generates_for(record):
            continue
        account = str(record.get("AccountId") or record["Id"])
        known = newest.get(account)
        if known is None or _recency(record) > _recency(known):
            newest[account] = record
    return [str(r["Id"]) for r in newest.values()]


def read_primary_contacts(client: SalesforceClient, ids: Iterable[str],
                          chunk: int = IDS_PER_QUERY) -> PrimaryContacts:
    """The primary contacts' emails of the opportunities ``ids``: ``ceil(len(ids) / chunk)``
    queries, none when ``ids`` is empty. The ids are formatted with ``format_soql``."""
    asked = list(dict.fromkeys(ids))
    emails: dict[str, str] = {}
    for start in range(0, len(asked), chunk):
        soql = format_soql(PRIMARY, ids=asked[start:start + chunk])
        for row in client.query(soql):
            email = _email(row)
            if email:
                emails[str(row["OpportunityId"])] = email
    return PrimaryContacts(frozenset(asked), emails)


def _recency(record: Mapping[str, Any]) -> tuple[str, str]:
    # ISO dates and Salesforce's UTC modstamps (+0000) sort as strings.
    return str(record.get("CloseDate") or ""), str(record.get("SystemModstamp") or "")


def _email(row: Mapping[str, object]) -> str | None:
    contact = row.get("Contact")
    value = contact.get("Email") if isinstance(contact, Mapping) else None
    return str(value) if value else None
