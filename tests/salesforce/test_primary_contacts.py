"""Reading the primary contacts of won opportunities (``connector.inbound.salesforce.contacts``)
against the emulated org: which opportunities are asked about, how many queries that costs,
and an org without ``OpportunityContactRole`` reading none."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connector.inbound.salesforce.contacts import read_primary_contacts, readable, wanted
from connector.salesforce.client import SalesforceClient, SubRequest, SubResponse
from connector.salesforce.org import OrgSchema
from crm_emulators.salesforce import SalesforceEmulator

QUERY = "/services/data/v62.0/query"


def _deals(org: SalesforceEmulator, count: int) -> list[str]:
    account = org.insert("Account", {"Name": "Acme"})
    return [org.insert("Opportunity", {"Name": f"deal {n}", "AccountId": account,
                                       "StageName": "Closed Won", "CloseDate": "2026-11-01"})
            for n in range(count)]


def _primary(org: SalesforceEmulator, deal: str, email: str | None) -> None:
    contact = org.insert("Contact", {"LastName": "Doe", "Email": email})
    org.insert("OpportunityContactRole", {"OpportunityId": deal, "ContactId": contact,
                                          "IsPrimary": True})


def test_the_emails_are_read_chunk_by_chunk_in_ceil_n_over_chunk_queries(
        org: SalesforceEmulator, client: SalesforceClient) -> None:
    deals = _deals(org, 5)
    _primary(org, deals[0], "a@acme.example")
    _primary(org, deals[3], "d@acme.example")
    _primary(org, deals[4], None)  # a primary contact without an email
    org.reset_counters()

    found = read_primary_contacts(client, deals, chunk=2)

    assert found.emails == {deals[0]: "a@acme.example", deals[3]: "d@acme.example"}
    assert found.asked == frozenset(deals)
    assert org.request_count("GET", QUERY) == 3
    org.reset_counters()
    assert read_primary_contacts(client, []).asked == frozenset()
    assert org.request_count() == 0


def test_one_opportunity_is_asked_about_per_account_without_a_billing_email() -> None:
    def deal(ident: str, account: str, close: str, billing: str | None = None,
             won: bool = True) -> dict[str, Any]:
        return {"Id": ident, "AccountId": account, "CloseDate": close, "IsWon": won,
                "SystemModstamp": "2026-11-22T10:00:00.000+0000",
                "Account": {"Billing_Email__c": billing}}

    records = [deal("006A1", "001A", "2026-10-01"), deal("006A2", "001A", "2026-11-01"),
               deal("006B1", "001B", "2026-11-01", billing="billing@b.example"),
               deal("006C1", "001C", "2026-12-01", won=False),
               deal("006C2", "001C", "2026-09-01")]

    def generates_for(record: Mapping[str, Any]) -> bool:
        return bool(record["IsWon"])

    assert wanted(records, generates_for) == ["006A2", "006C2"]


def test_an_org_with_contact_roles_can_be_read(client: SalesforceClient) -> None:
    assert readable(OrgSchema(client))


class _NoContactRoles:
    """An org's describe answers without ``OpportunityContactRole`` (404, as an org where the
    integration user cannot see the object answers)."""

    def composite(self, requests_: list[SubRequest]) -> list[SubResponse]:
        return [SubResponse(r.reference, 404, [{"errorCode": "NOT_FOUND"}])
                if r.path.startswith("sobjects/OpportunityContactRole/")
                else SubResponse(r.reference, 200, {"name": "x", "fields": []})
                for r in requests_]


def test_an_org_without_contact_roles_reads_none() -> None:
    schema = OrgSchema(_NoContactRoles())  # type: ignore[arg-type]

    assert not readable(schema)
    assert not readable(None)
