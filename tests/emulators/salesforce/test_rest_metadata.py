"""Describe, global describe, limits and the versions list."""

from __future__ import annotations

from simple_salesforce.api import Salesforce

from crm_emulators.salesforce import SalesforceEmulator


def test_describe_reports_the_shipped_data_model(sf: Salesforce) -> None:
    describe = sf.Subscription__c.describe()
    fields = {f["name"]: f for f in describe["fields"]}

    assert (describe["name"], describe["label"], describe["keyPrefix"]) == (
        "Subscription__c", "Subscription", "a00")
    status = fields["Status__c"]
    assert status["restrictedPicklist"] is True
    assert status["picklistValues"][0] == {"value": "Potential", "label": "Potential",
                                           "active": True, "validFor": None,
                                           "defaultValue": True}
    ledger = fields["Ledger_Id__c"]
    assert (ledger["externalId"], ledger["unique"], ledger["length"], ledger["label"]) == (
        True, True, 64, "Ledger Id")
    account = fields["Account__c"]
    assert (account["referenceTo"], account["relationshipName"]) == (["Account"], "Account__r")
    assert (fields["Name"]["createable"], fields["Id"]["nillable"]) == (False, False)


def test_describe_lists_child_relationships(sf: Salesforce) -> None:
    children = {(c["childSObject"], c["field"]): c["relationshipName"]
                for c in sf.Account.describe()["childRelationships"]}

    assert children[("Subscription__c", "Account__c")] == "Subscriptions__r"
    assert children[("Opportunity", "AccountId")] == "Opportunities"
    required = {f["name"] for f in sf.Opportunity.describe()["fields"] if not f["nillable"]
                and f["type"] != "boolean" and f["createable"]}
    assert required == {"Name", "StageName", "CloseDate"}


def test_global_describe_lists_every_object_with_its_prefix(sf: Salesforce) -> None:
    objects = {o["name"]: o["keyPrefix"] for o in sf.describe()["sobjects"]}

    assert objects == {"Account": "001", "Contact": "003", "Opportunity": "006",
                       "OpportunityContactRole": "00K", "OpportunityLineItem": "00k",
                       "Organization": "00D", "Pricebook2": "01s", "PricebookEntry": "01u",
                       "Product2": "01t", "Subscription__c": "a00", "User": "005"}


def test_limits_count_the_call_itself(sf: Salesforce, emulator: SalesforceEmulator) -> None:
    answer = sf.limits()

    assert answer["DailyApiRequests"] == {"Max": 1000, "Remaining": 999}


def test_versions_need_no_session(emulator: SalesforceEmulator) -> None:
    versions = emulator.requests_session().get(f"{emulator.url}/services/data/").json()

    assert versions[0] == {"label": "Winter '21", "url": "/services/data/v50.0",
                           "version": "50.0"}
    assert {"label": "Winter '25", "url": "/services/data/v62.0", "version": "62.0"} in versions
    assert versions[-1]["version"] == "66.0"
    assert emulator.api_usage == 0
