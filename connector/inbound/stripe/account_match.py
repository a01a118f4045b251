"""Finding the Salesforce Account of a Stripe customer the daemon did not create.

A customer belongs to an Account when its ``metadata.salesforce_account_id`` names one (what
the daemon's own customers carry, and what other integrations often set), else when its
``email`` is an Account's ``Billing_Email__c``. The ledger mirrors only the Accounts of the
opportunities it read, so the Accounts are asked of Salesforce: one SOQL query per page of
customers (``Id IN (...) OR Billing_Email__c IN (...)``, values escaped by ``format_soql``),
and ``Billing_Email__c`` only where the org's describe has it. Found Accounts are mirrored
into the ledger like those read with opportunities.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from simple_salesforce.format import format_soql

from connector.inbound.stripe.imported import AccountRef
from connector.ledger.mirrors import upsert_mirror
from connector.ledger.models import Account
from connector.ledger.stripe_import import AccountMatch
from connector.ledger.unit_of_work import UnitOfWork
from connector.salesforce.client import SalesforceClient

Json = dict[str, Any]
BILLING_EMAIL = "Billing_Email__c"
ACCOUNT_ID = "salesforce_account_id"
SALESFORCE_ID = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-9]{3})?$")
"""A Salesforce record Id (15 or 18 characters); anything else in metadata is not asked for."""
BY_ID = "SELECT Id, Name, OwnerId FROM Account WHERE Id IN {}"
BY_EMAIL = "SELECT Id, Name, OwnerId, Billing_Email__c FROM Account WHERE Billing_Email__c IN {}"
BY_ID_OR_EMAIL = ("SELECT Id, Name, OwnerId, Billing_Email__c FROM Account "
                  "WHERE Id IN {} OR Billing_Email__c IN {}")


@dataclass(frozen=True)
class FoundAccount:
    """An Account as Salesforce returned it, and how a customer matched it."""

    record: Mapping[str, Any]
    match: AccountMatch


def metadata_account(customer: Json) -> str | None:
    """The Account Id a customer's metadata names, if it looks like one."""
    value = (customer.get("metadata") or {}).get(ACCOUNT_ID)
    return str(value) if value and SALESFORCE_ID.match(str(value)) else None


def email_of(customer: Json) -> str | None:
    """The customer's email, lower-cased, if any."""
    value = customer.get("email")
    return str(value).strip().lower() if value else None


class AccountMatcher:
    """Matches Stripe customers to Salesforce Accounts.

    Args:
        client: Salesforce; None matches nothing (every customer stays unlinked).
        billing_email: whether the org's Account has ``Billing_Email__c`` (None: ask
            describe once).
    """

    def __init__(self, client: SalesforceClient | None, billing_email: bool | None = None) -> None:
        self._client = client
        self._billing_email = billing_email

    def find(self, customers: Iterable[Json]) -> dict[str, FoundAccount]:
        """The Account of each customer that has one, by Stripe customer id (one query)."""
        customers = list(customers)
        ids = sorted({i for c in customers if (i := metadata_account(c))})
        emails = sorted({e for c in customers if (e := email_of(c))}) if self._emails() else []
        if self._client is None or not (ids or emails):
            return {}
        records = list(self._client.query(self._soql(ids, emails)))
        by_id = {str(r["Id"])[:15]: r for r in records}
        by_email = {str(r.get(BILLING_EMAIL) or "").lower(): r for r in records
                    if r.get(BILLING_EMAIL)}
        found: dict[str, FoundAccount] = {}
        for customer in customers:
            named, email = metadata_account(customer), email_of(customer)
            if named and named[:15] in by_id:
                found[customer["id"]] = FoundAccount(by_id[named[:15]], AccountMatch.METADATA)
            elif email and email in by_email:
                found[customer["id"]] = FoundAccount(by_email[email], AccountMatch.EMAIL)
        return found

    def connect(self) -> None:
        """Reach Salesforce once (its Account describe) before any Stripe call, so missing
        credentials or an unreachable org stop the import before it starts."""
        self._emails()

    def _emails(self) -> bool:
        if self._billing_email is None:
            fields = [] if self._client is None else self._client.describe("Account")["fields"]
            self._billing_email = any(f.get("name") == BILLING_EMAIL for f in fields)
        return self._billing_email

    def _soql(self, ids: list[str], emails: list[str]) -> str:
        if not self._emails():
            return format_soql(BY_ID, ids)
        if not ids:
            return format_soql(BY_EMAIL, emails)
        return format_soql(BY_ID_OR_EMAIL, ids, emails)


def mirror_account(uow: UnitOfWork, found: FoundAccount) -> AccountRef:
    """The ledger's mirror of a found Account (created or refreshed), as a reference."""
    record = found.record
    row = upsert_mirror(uow, Account, "Account", str(record["Id"]), {
        "name": record.get("Name") or record["Id"], "owner_user_id": record.get("OwnerId")})
    return AccountRef(row.id, str(record["Id"]), found.match)
