"""One currency or several: what the org's currency setting changes, and the Organization record.

A single-currency org (the default) has no ``CurrencyIsoCode`` on any object, so queries and
writes that name it are refused as Salesforce refuses them; a multi-currency org has it on
every object that has it in Salesforce, custom objects included. Both have the one
``Organization`` record, whose ``DefaultCurrencyIsoCode`` is the corporate currency.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from simple_salesforce.api import Salesforce

from crm_emulators.salesforce import ApiError, SalesforceEmulator

MakeClient = Callable[..., Salesforce]
USER = "integration@example.com"

NO_SUCH_COLUMN = (
    "No such column 'CurrencyIsoCode' on entity '{entity}'. If you are attempting to use a "
    "custom field, be sure to append the '__c' after the custom field name. Please reference "
    "your WSDL or the describe call for the appropriate names.")


@pytest.fixture
def multi(make_client: MakeClient) -> Iterator[SalesforceEmulator]:
    """A multi-currency org (corporate currency EUR, USD and GBP also active)."""
    emu = SalesforceEmulator(multi_currency=True, currency="EUR",
                             currencies=("USD", "GBP")).start()
    emu.add_user(USER, "pw", name="Integration User", email=USER)
    try:
        yield emu
    finally:
        emu.stop()


def _http(emu: SalesforceEmulator) -> requests.Session:
    session = emu.requests_session()
    session.headers["Authorization"] = f"Bearer {emu.issue_session_token()}"
    return session


def _query(emu: SalesforceEmulator, soql: str) -> requests.Response:
    return _http(emu).get(f"{emu.url}/services/data/v62.0/query", params={"q": soql})


def _refusal(soql: str, column: int, entity: str) -> list[dict[str, Any]]:
    """Salesforce's answer to a query naming CurrencyIsoCode at ``column`` (1-based)."""
    caret = " " * (column - 1) + "^"
    return [{"message": f"\n{soql}\n{caret}\nERROR at Row:1:Column:{column}\n"
                        + NO_SUCH_COLUMN.format(entity=entity),
             "errorCode": "INVALID_FIELD"}]


# -- a single-currency org ----------------------------------------------------------------

def test_no_object_of_a_single_currency_org_has_a_currency_field(sf: Salesforce) -> None:
    names = [o["name"] for o in sf.describe()["sobjects"]]

    with_currency = [name for name in names
                     if any(f["name"] == "CurrencyIsoCode"
                            for f in sf.restful(f"sobjects/{name}/describe")["fields"])]
    assert with_currency == []
    assert "Organization" in names


@pytest.mark.parametrize(("soql", "column", "entity"), [
    ("SELECT Id, CurrencyIsoCode FROM Opportunity", 12, "Opportunity"),
    ("SELECT Id FROM Opportunity WHERE CurrencyIsoCode = 'USD'", 34, "Opportunity"),
    ("SELECT Id FROM Account ORDER BY CurrencyIsoCode", 33, "Account"),
    ("SELECT Id, Opportunity.CurrencyIsoCode FROM OpportunityLineItem", 12, "Opportunity"),
    ("SELECT Id, CurrencyIsoCode FROM Subscription__c", 12, "Subscription__c"),
])
def test_a_query_naming_the_currency_field_is_refused_as_salesforce_refuses_it(
        emulator: SalesforceEmulator, soql: str, column: int, entity: str) -> None:
    answer = _query(emulator, soql)

    assert answer.status_code == 400
    assert answer.json() == _refusal(soql, column, entity)


def test_a_bulk_query_job_naming_the_currency_field_is_refused(
        emulator: SalesforceEmulator) -> None:
    soql = "SELECT Id, Name, CurrencyIsoCode FROM Opportunity"
    answer = _http(emulator).post(f"{emulator.url}/services/data/v62.0/jobs/query",
                                  json={"operation": "query", "query": soql})

    assert answer.status_code == 400
    assert answer.json() == _refusal(soql, 18, "Opportunity")


def test_writes_setting_the_currency_field_are_refused_and_store_nothing(
        emulator: SalesforceEmulator, catalog: dict[str, str]) -> None:
    http = _http(emulator)
    base = f"{emulator.url}/services/data/v62.0"

    created = http.post(f"{base}/sobjects/Account",
                        json={"Name": "Initech", "CurrencyIsoCode": "USD"})
    upserted = http.patch(f"{base}/composite/sobjects/Subscription__c/Ledger_Id__c", json={
        "allOrNone": False, "records": [{"attributes": {"type": "Subscription__c"},
                                         "Ledger_Id__c": "L-1", "CurrencyIsoCode": "USD"}]})
    updated = http.patch(f"{base}/sobjects/Opportunity/{catalog['opportunity']}",
                         json={"CurrencyIsoCode": "USD"})

    assert (created.status_code, created.json()) == (400, [{
        "message": "No such column 'CurrencyIsoCode' on sobject of type Account",
        "errorCode": "INVALID_FIELD", "fields": ["CurrencyIsoCode"]}])
    assert (upserted.status_code, upserted.json()[0]["errorCode"]) == (400, "INVALID_FIELD")
    assert (updated.status_code, updated.json()[0]["errorCode"]) == (400, "INVALID_FIELD")
    assert [a["Name"] for a in emulator.records("Account")] == ["Acme"]
    assert emulator.records("Subscription__c") == []
    with pytest.raises(ApiError, match="No such column 'CurrencyIsoCode'"):
        emulator.insert("Opportunity", {"Name": "X", "StageName": "Prospecting",
                                        "CloseDate": "2026-12-01", "CurrencyIsoCode": "USD"})


# -- a multi-currency org -----------------------------------------------------------------

def test_a_multi_currency_org_has_the_field_where_salesforce_has_it(
        multi: SalesforceEmulator, make_client: MakeClient) -> None:
    sf = make_client(emu=multi)

    def currency_field(sobject: str) -> dict[str, Any] | None:
        fields = sf.restful(f"sobjects/{sobject}/describe")["fields"]
        return next((f for f in fields if f["name"] == "CurrencyIsoCode"), None)

    opportunity = currency_field("Opportunity")
    assert opportunity is not None
    assert (opportunity["type"], opportunity["restrictedPicklist"], opportunity["createable"],
            opportunity["updateable"]) == ("picklist", True, True, True)
    assert [(v["value"], v["defaultValue"]) for v in opportunity["picklistValues"]] == [
        ("EUR", True), ("USD", False), ("GBP", False)]
    line = currency_field("OpportunityLineItem")  # always its opportunity's
    assert line is not None
    assert (line["createable"], line["updateable"]) == (False, False)
    entry = currency_field("PricebookEntry")  # fixed once created
    assert entry is not None
    assert (entry["createable"], entry["updateable"]) == (True, False)
    for sobject in ("Account", "Product2", "Pricebook2", "User", "Subscription__c"):
        assert currency_field(sobject) is not None, sobject
    assert currency_field("Organization") is None


def test_records_default_to_the_corporate_currency_and_take_only_active_ones(
        multi: SalesforceEmulator) -> None:
    account = multi.insert("Account", {"Name": "Acme"})
    british = multi.insert("Account", {"Name": "Acme UK", "CurrencyIsoCode": "GBP"})

    assert multi.get("Account", account)["CurrencyIsoCode"] == "EUR"
    assert multi.get("Account", british)["CurrencyIsoCode"] == "GBP"
    with pytest.raises(ApiError) as refused:
        multi.insert("Account", {"Name": "Acme JP", "CurrencyIsoCode": "JPY"})
    assert refused.value.code == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"


def test_a_line_item_is_in_its_opportunity_s_currency_and_so_must_its_price_be(
        multi: SalesforceEmulator) -> None:
    book = multi.insert("Pricebook2", {"Name": "Standard", "IsActive": True})
    product = multi.insert("Product2", {"Name": "Platform", "ProductCode": "PLAT"})
    euros = multi.insert("PricebookEntry", {"Pricebook2Id": book, "Product2Id": product,
                                            "UnitPrice": 90, "IsActive": True})
    dollars = multi.insert("PricebookEntry", {"Pricebook2Id": book, "Product2Id": product,
                                              "UnitPrice": 100, "IsActive": True,
                                              "CurrencyIsoCode": "USD"})
    deal = multi.insert("Opportunity", {"Name": "Deal", "StageName": "Prospecting",
                                        "CloseDate": "2026-12-01", "CurrencyIsoCode": "USD"})

    line = multi.insert("OpportunityLineItem", {"OpportunityId": deal, "Product2Id": product,
                                                "Quantity": 2})

    stored = multi.get("OpportunityLineItem", line)
    assert (stored["PricebookEntryId"], stored["CurrencyIsoCode"], stored["TotalPrice"]) == (
        dollars, "USD", 200.0)  # the product's entry in the opportunity's currency
    with pytest.raises(ApiError) as refused:
        multi.insert("OpportunityLineItem", {"OpportunityId": deal, "PricebookEntryId": euros,
                                             "Quantity": 1})
    assert (refused.value.code, refused.value.fields) == ("FIELD_INTEGRITY_EXCEPTION",
                                                          ("PricebookEntryId",))
    assert "currency code does not match opportunity currency code" in refused.value.message


def test_a_multi_currency_org_answers_queries_of_the_currency_field(
        multi: SalesforceEmulator, make_client: MakeClient) -> None:
    multi.insert("Opportunity", {"Name": "Deal", "StageName": "Prospecting",
                                 "CloseDate": "2026-12-01", "CurrencyIsoCode": "GBP"})

    rows = make_client(emu=multi).query(
        "SELECT Name, CurrencyIsoCode FROM Opportunity WHERE CurrencyIsoCode = 'GBP'")["records"]

    assert [(r["Name"], r["CurrencyIsoCode"]) for r in rows] == [("Deal", "GBP")]


# -- the Organization record, in both ------------------------------------------------------

@pytest.mark.parametrize("kind", ["single", "multi"])
def test_the_organization_record_names_the_corporate_currency(
        kind: str, make_client: MakeClient) -> None:
    emu = SalesforceEmulator(multi_currency=kind == "multi", currency="EUR").start()
    try:
        emu.add_user(USER, "pw", name="Integration User", email=USER)

        rows = make_client(emu=emu).query(
            "SELECT Id, Name, DefaultCurrencyIsoCode, IsSandbox, OrganizationType "
            "FROM Organization")["records"]

        assert [{k: v for k, v in r.items() if k != "attributes"} for r in rows] == [{
            "Id": emu.org_id, "Name": "Emulated Org", "DefaultCurrencyIsoCode": "EUR",
            "IsSandbox": False, "OrganizationType": "Enterprise Edition"}]
        assert emu.org_id.startswith("00D")
    finally:
        emu.stop()


def test_the_organization_has_no_such_field_as_is_multi_currency_organization(
        emulator: SalesforceEmulator, sf: Salesforce) -> None:
    described = sf.restful("sobjects/Organization/describe")
    answer = _query(emulator, "SELECT IsMultiCurrencyOrganization FROM Organization")

    assert described["keyPrefix"] == "00D"
    assert (described["createable"], described["updateable"], described["deletable"]) == (
        False, False, False)
    assert {f["name"] for f in described["fields"]} >= {
        "Id", "Name", "DefaultCurrencyIsoCode", "IsSandbox", "OrganizationType", "Country",
        "LanguageLocaleKey", "DefaultLocaleSidKey", "TimeZoneSidKey"}
    assert (answer.status_code, answer.json()[0]["errorCode"]) == (400, "INVALID_FIELD")


def test_the_organization_record_cannot_be_created_changed_or_deleted(
        emulator: SalesforceEmulator) -> None:
    http = _http(emulator)
    base = f"{emulator.url}/services/data/v62.0/sobjects/Organization"

    created = http.post(base, json={"Name": "Another"})
    changed = http.patch(f"{base}/{emulator.org_id}", json={})
    deleted = http.delete(f"{base}/{emulator.org_id}")

    assert (created.status_code, created.json()[0]["errorCode"]) == (
        400, "INVALID_TYPE_FOR_OPERATION")
    assert created.json()[0]["message"] == "entity type cannot be inserted: Organization"
    assert changed.json()[0]["message"] == "entity type cannot be updated: Organization"
    assert deleted.json()[0]["message"] == "entity type cannot be deleted: Organization"
    assert len(emulator.records("Organization")) == 1
