"""sObject Collections through ``sf.restful("composite/sobjects")``: per-record results,
allOrNone, upsert by external id and the 200-record limit."""

from __future__ import annotations

import json
from typing import Any

import pytest
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from crm_emulators.salesforce import SalesforceEmulator


def _call(sf: Salesforce, method: str, body: object | None = None, path: str = "",
          **params: str) -> Any:
    return sf.restful(f"composite/sobjects{path}", method=method, params=params or None,
                      data=json.dumps(body) if body is not None else None)


def _account(name: str | None) -> dict[str, Any]:
    return {"attributes": {"type": "Account"}, "Name": name}


def test_create_reports_each_record_in_order(sf: Salesforce,
                                             emulator: SalesforceEmulator) -> None:
    results = _call(sf, "POST", {"records": [_account("A"), _account(None), _account("C")]})

    assert [r["success"] for r in results] == [True, False, True]
    assert results[1] == {"success": False, "errors": [{
        "statusCode": "REQUIRED_FIELD_MISSING", "message": "Required fields are missing: [Name]",
        "fields": ["Name"]}]}
    assert [r["Name"] for r in emulator.records("Account")] == ["A", "C"]
    assert emulator.request_count("POST", "/services/data/v62.0/composite/sobjects") == 1
    assert emulator.api_usage == 1


def test_all_or_none_rolls_the_whole_batch_back(sf: Salesforce,
                                               emulator: SalesforceEmulator) -> None:
    results = _call(sf, "POST", {"allOrNone": True,
                                 "records": [_account("A"), _account(None)]})

    assert results[0] == {"success": False, "errors": [{
        "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        "message": "Record rolled back because not all records were valid and the request was "
                   "using AllOrNone header", "fields": []}]}
    assert results[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert emulator.records("Account") == []


def test_update_and_delete(sf: Salesforce, emulator: SalesforceEmulator) -> None:
    first, second = (emulator.insert("Account", {"Name": n}) for n in ("A", "B"))
    updated = _call(sf, "PATCH", {"records": [
        {"attributes": {"type": "Account"}, "Id": first, "Name": "A2"},
        {"attributes": {"type": "Account"}, "Id": "001Hp00000000ZZZZZ", "Name": "X"}]})
    deleted = _call(sf, "DELETE", ids=f"{second},{second},bogus")

    assert updated[0] == {"id": first, "success": True, "errors": []}
    assert updated[1]["id"] == "001Hp00000000ZZZZZ"
    assert updated[1]["errors"][0]["statusCode"] == "NOT_FOUND"
    assert emulator.get("Account", first)["Name"] == "A2"
    assert deleted[0] == {"id": second, "success": True, "errors": []}
    assert deleted[1]["errors"][0]["statusCode"] == "ENTITY_IS_DELETED"
    assert deleted[2]["errors"][0] == {"statusCode": "MALFORMED_ID",
                                       "message": "malformed id bogus", "fields": []}


def test_upsert_by_external_id_creates_and_updates(sf: Salesforce,
                                                   emulator: SalesforceEmulator) -> None:
    existing = emulator.insert("Subscription__c", {"Ledger_Id__c": "L-1", "MRR__c": 1})

    results = _call(sf, "PATCH", {"allOrNone": False, "records": [
        {"attributes": {"type": "Subscription__c"}, "Ledger_Id__c": "L-1", "MRR__c": 10},
        {"attributes": {"type": "Subscription__c"}, "Ledger_Id__c": "L-2", "MRR__c": 20},
        {"attributes": {"type": "Subscription__c"}, "Ledger_Id__c": "L-3", "Status__c": "Bad"},
    ]}, path="/Subscription__c/Ledger_Id__c")

    assert results[0] == {"id": existing, "success": True, "errors": [], "created": False}
    assert results[1]["created"] is True
    assert results[2]["errors"][0]["statusCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    stored = {r["Ledger_Id__c"]: r["MRR__c"] for r in emulator.records("Subscription__c")}
    assert stored == {"L-1": 10.0, "L-2": 20.0}


def test_upsert_finds_a_record_by_its_current_external_id(
        sf: Salesforce, emulator: SalesforceEmulator) -> None:
    renamed = emulator.insert("Subscription__c", {"Ledger_Id__c": "L-1", "MRR__c": 1})
    emulator.update("Subscription__c", renamed, {"Ledger_Id__c": "L-9"})

    results = _call(sf, "PATCH", {"allOrNone": False, "records": [
        {"attributes": {"type": "Subscription__c"}, "Ledger_Id__c": "L-9", "MRR__c": 9},
        {"attributes": {"type": "Subscription__c"}, "Ledger_Id__c": "L-1", "MRR__c": 10},
    ]}, path="/Subscription__c/Ledger_Id__c")

    assert [(r["id"] == renamed, r["created"]) for r in results] == [(True, False),
                                                                    (False, True)]
    stored = {r["Ledger_Id__c"]: r["MRR__c"] for r in emulator.records("Subscription__c")}
    assert stored == {"L-9": 9.0, "L-1": 10.0}


def test_a_batch_rolled_back_leaves_its_external_ids_free(
        sf: Salesforce, emulator: SalesforceEmulator) -> None:
    refused = _call(sf, "PATCH", {"allOrNone": True, "records": [
        {"attributes": {"type": "Subscription__c"}, "Ledger_Id__c": "L-1", "MRR__c": 1},
        {"attributes": {"type": "Subscription__c"}, "Ledger_Id__c": "L-2", "Status__c": "Bad"},
    ]}, path="/Subscription__c/Ledger_Id__c")
    again = _call(sf, "PATCH", {"allOrNone": False, "records": [
        {"attributes": {"type": "Subscription__c"}, "Ledger_Id__c": "L-1", "MRR__c": 2},
    ]}, path="/Subscription__c/Ledger_Id__c")

    assert not any(r["success"] for r in refused)
    assert (again[0]["success"], again[0]["created"]) == (True, True)
    assert [r["MRR__c"] for r in emulator.records("Subscription__c")] == [2.0]


def test_more_than_200_records_is_refused_whole(sf: Salesforce,
                                                emulator: SalesforceEmulator) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        _call(sf, "POST", {"records": [_account(f"A{n}") for n in range(201)]})

    assert caught.value.content == [{
        "message": "record limit reached. cannot submit more than 200 records into this call",
        "errorCode": "EXCEEDED_ID_LIMIT", "fields": []}]
    assert emulator.records("Account") == []


def test_an_unreadable_record_fails_the_request_before_any_write(
        sf: Salesforce, emulator: SalesforceEmulator) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        _call(sf, "POST", {"records": [
            _account("A"), {"attributes": {"type": "Subscription__c"}, "MRR__c": "lots"}]})

    assert caught.value.content[0]["errorCode"] == "JSON_PARSER_ERROR"
    assert emulator.records("Account") == []


def test_an_external_id_named_twice_in_one_upsert_refuses_both_records(
        sf: Salesforce, emulator: SalesforceEmulator) -> None:
    results = _call(sf, "PATCH", {"allOrNone": False, "records": [
        {"attributes": {"type": "Subscription__c"}, "Ledger_Id__c": "L-1", "MRR__c": 10},
        {"attributes": {"type": "Subscription__c"}, "Ledger_Id__c": "L-2", "MRR__c": 20},
        {"attributes": {"type": "Subscription__c"}, "Ledger_Id__c": "l-1", "MRR__c": 30},
    ]}, path="/Subscription__c/Ledger_Id__c")

    assert [r["success"] for r in results] == [False, True, False]
    assert results[0]["errors"] == [{"statusCode": "DUPLICATE_EXTERNAL_ID",
                                     "message": "Duplicate external id specified: L-1",
                                     "fields": ["Ledger_Id__c"]}]
    assert results[2]["errors"][0]["statusCode"] == "DUPLICATE_EXTERNAL_ID"
    assert [r["Ledger_Id__c"] for r in emulator.records("Subscription__c")] == ["L-2"]
