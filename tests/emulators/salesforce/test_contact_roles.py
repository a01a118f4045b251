"""Contacts and opportunity contact roles as Salesforce documents them: the role's
``Contact`` relationship followed in SOQL, ``IsPrimary`` defaulted to false, one primary role
per opportunity, ``OpportunityId`` set on create only."""

from __future__ import annotations

from datetime import date

import pytest
from emulators.salesforce.conftest import MakeClient
from simple_salesforce.exceptions import SalesforceMalformedRequest
from simple_salesforce.format import format_soql

from crm_emulators.salesforce import SalesforceEmulator

PRIMARY = ("SELECT OpportunityId, Contact.Email FROM OpportunityContactRole "
           "WHERE IsPrimary = true AND OpportunityId IN {ids}")


def _deal(emulator: SalesforceEmulator) -> str:
    account = emulator.insert("Account", {"Name": "Acme"})
    return emulator.insert("Opportunity", {"Name": "Acme deal", "AccountId": account,
                                           "StageName": "Closed Won",
                                           "CloseDate": date(2026, 11, 1).isoformat()})


def test_primary_contact_email_is_read_through_the_contact_relationship(
        emulator: SalesforceEmulator, make_client: MakeClient) -> None:
    deal, other = _deal(emulator), _deal(emulator)
    jane = emulator.insert("Contact", {"FirstName": "Jane", "LastName": "Doe",
                                       "Email": "jane@acme.example"})
    bob = emulator.insert("Contact", {"LastName": "Roe", "Email": "bob@acme.example"})
    emulator.insert("OpportunityContactRole", {"OpportunityId": deal, "ContactId": jane,
                                               "IsPrimary": True, "Role": "Decision Maker"})
    emulator.insert("OpportunityContactRole", {"OpportunityId": deal, "ContactId": bob})
    emulator.insert("OpportunityContactRole", {"OpportunityId": other, "ContactId": bob})

    rows = make_client().query_all(format_soql(PRIMARY, ids=[deal, other]))["records"]

    assert [(r["OpportunityId"], r["Contact"]["Email"]) for r in rows] == [
        (deal, "jane@acme.example")]
    assert emulator.get("Contact", jane)["Name"] == "Jane Doe"


def test_making_a_role_primary_demotes_the_opportunity_s_other_primary(
        emulator: SalesforceEmulator, make_client: MakeClient) -> None:
    deal = _deal(emulator)
    jane = emulator.insert("Contact", {"LastName": "Doe", "Email": "jane@acme.example"})
    bob = emulator.insert("Contact", {"LastName": "Roe", "Email": "bob@acme.example"})
    first = emulator.insert("OpportunityContactRole", {"OpportunityId": deal,
                                                       "ContactId": jane, "IsPrimary": True})
    second = emulator.insert("OpportunityContactRole", {"OpportunityId": deal,
                                                        "ContactId": bob})
    assert emulator.get("OpportunityContactRole", second)["IsPrimary"] is False

    make_client().OpportunityContactRole.update(second, {"IsPrimary": True})

    assert emulator.get("OpportunityContactRole", first)["IsPrimary"] is False
    rows = make_client().query_all(format_soql(PRIMARY, ids=[deal]))["records"]
    assert [r["Contact"]["Email"] for r in rows] == ["bob@acme.example"]


def test_a_role_s_opportunity_cannot_be_changed(
        emulator: SalesforceEmulator, make_client: MakeClient) -> None:
    deal, other = _deal(emulator), _deal(emulator)
    jane = emulator.insert("Contact", {"LastName": "Doe"})
    role = emulator.insert("OpportunityContactRole", {"OpportunityId": deal,
                                                      "ContactId": jane})

    with pytest.raises(SalesforceMalformedRequest):
        make_client().OpportunityContactRole.update(role, {"OpportunityId": other})


def test_describe_lists_the_contact_relationship(make_client: MakeClient) -> None:
    fields = {f["name"]: f for f in make_client().OpportunityContactRole.describe()["fields"]}

    assert fields["ContactId"]["relationshipName"] == "Contact"
    assert fields["ContactId"]["referenceTo"] == ["Contact"]
    assert "Email" in {f["name"] for f in make_client().Contact.describe()["fields"]}
