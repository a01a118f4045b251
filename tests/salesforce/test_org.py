"""What the org has, learnt in one Composite call (``connector/salesforce/org.py``)."""

from __future__ import annotations

from connector.salesforce.client import SalesforceClient, SubRequest
from connector.salesforce.org import OrgSchema
from crm_emulators.salesforce import SalesforceEmulator


def test_describes_are_one_composite_call_and_kept(client: SalesforceClient,
                                                   org: SalesforceEmulator) -> None:
    schema = OrgSchema(client)

    schema.prefetch(["Opportunity", "OpportunityLineItem", "Account", "No_Such__c"])
    before = client.meter.total_calls
    assert schema.has_path("OpportunityLineItem", "Opportunity.Account.Name")
    assert not schema.has_path("Opportunity", "Account.No_Field__c")
    assert not schema.has_object("No_Such__c")
    assert schema.describe("Opportunity")["name"] == "Opportunity"

    assert client.meter.calls["composite"] == 1
    assert client.meter.total_calls == before  # everything above came from the cache
    assert org.request_count("POST", "/services/data/v62.0/composite") == 1


def test_an_object_reached_later_is_described_on_its_own(client: SalesforceClient) -> None:
    schema = OrgSchema(client)
    schema.prefetch(["Opportunity"])

    assert schema.has_path("Opportunity", "Owner.Email")

    assert client.meter.calls["composite"] == 2  # User was not asked for at first


def test_composite_answers_each_subrequest_on_its_own(client: SalesforceClient) -> None:
    answers = client.composite([
        SubRequest("ok", "sobjects/Account/describe"),
        SubRequest("missing", "sobjects/No_Such__c/describe"),
        SubRequest("bad", "query?q=SELECT+Nope+FROM+Account"),
    ])

    assert [(a.reference, a.status) for a in answers] == [
        ("ok", 200), ("missing", 404), ("bad", 400)]
    assert answers[2].body[0]["errorCode"] == "INVALID_FIELD"
    assert client.meter.calls["composite"] == 1
