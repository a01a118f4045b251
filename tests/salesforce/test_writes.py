"""Writes through sObject Collections and Bulk API 2.0 ingest: per-record failures keep
Salesforce's code and message while the rest land; row locks are retried in smaller batches."""

from __future__ import annotations

import pytest

from connector.salesforce.bulk_ingest import BulkUpserts
from connector.salesforce.client import SalesforceClient
from crm_emulators.salesforce import SalesforceEmulator


def _records(count: int) -> list[dict[str, object]]:
    return [{"Ledger_Id__c": f"sub-{n:04d}", "Status__c": "Potential", "Quantity__c": n + 1}
            for n in range(count)]


def _bulk(client: SalesforceClient) -> BulkUpserts:
    return BulkUpserts(client, threshold=10, sleep=lambda _: None)


@pytest.mark.parametrize("writer", ["collections", "bulk"])
def test_failed_records_report_code_and_message_and_the_rest_land(
        writer: str, client: SalesforceClient, org: SalesforceEmulator) -> None:
    records = _records(30)
    records[3]["Status__c"] = "Maybe"  # restricted picklist
    org.faults.reject_record("Ledger_Id__c", "sub-0005", "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                             "Quantity must match the contract")
    upsert = _bulk(client).upsert if writer == "bulk" else client.upsert

    results = upsert("Subscription__c", "Ledger_Id__c", records)

    failed = {records[i]["Ledger_Id__c"]: r.errors[0] for i, r in enumerate(results)
              if not r.success}
    assert set(failed) == {"sub-0003", "sub-0005"}
    assert failed["sub-0003"].code == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert "Maybe" in failed["sub-0003"].message
    assert (failed["sub-0005"].code, failed["sub-0005"].message) == (
        "FIELD_CUSTOM_VALIDATION_EXCEPTION", "Quantity must match the contract")
    stored = {r["Ledger_Id__c"]: r for r in org.records("Subscription__c")}
    assert len(stored) == 28
    assert stored["sub-0029"]["Quantity__c"] == 30
    assert all(r.created for r in results if r.success)


def test_a_duplicate_value_is_a_record_failure(client: SalesforceClient,
                                               org: SalesforceEmulator) -> None:
    org.insert("Subscription__c", {"Ledger_Id__c": "sub-x", "Status__c": "Potential",
                                   "Stripe_Subscription_Id__c": "sub_1"})

    results = client.upsert("Subscription__c", "Ledger_Id__c", [
        {"Ledger_Id__c": "sub-y", "Stripe_Subscription_Id__c": "sub_1"},
        {"Ledger_Id__c": "sub-z", "Status__c": "Potential"}])

    assert [r.success for r in results] == [False, True]
    assert results[0].errors[0].code == "DUPLICATE_VALUE"


def test_locked_rows_are_retried_in_a_smaller_batch(client: SalesforceClient,
                                                    org: SalesforceEmulator) -> None:
    org.faults.reject_record("Ledger_Id__c", "sub-0007", "UNABLE_TO_LOCK_ROW", times=1)

    results = client.upsert("Subscription__c", "Ledger_Id__c", _records(220))

    assert all(r.success for r in results)
    assert client.meter.calls["upsert"] == 3  # 200 + 20, then the locked one alone
    assert len(org.records("Subscription__c")) == 220


def test_a_row_that_stays_locked_fails_after_the_retries(client: SalesforceClient,
                                                         org: SalesforceEmulator) -> None:
    org.faults.reject_record("Ledger_Id__c", "sub-0001", "UNABLE_TO_LOCK_ROW")

    results = client.upsert("Subscription__c", "Ledger_Id__c", _records(3))

    assert [r.success for r in results] == [True, False, True]
    assert results[1].errors[0].code == "UNABLE_TO_LOCK_ROW"
    assert client.meter.calls["upsert"] == 3


def test_bulk_ingest_updates_by_external_id_and_empties_fields(
        client: SalesforceClient, org: SalesforceEmulator) -> None:
    org.insert("Subscription__c", {"Ledger_Id__c": "sub-0000", "Status__c": "Potential",
                                   "Quantity__c": 9, "Sync_Error__c": "old error"})
    records = _records(12)
    records[0]["Sync_Error__c"] = None

    results = _bulk(client).upsert("Subscription__c", "Ledger_Id__c", records)

    stored = {r["Ledger_Id__c"]: r for r in org.records("Subscription__c")}
    assert results[0].created is False
    assert results[0].id == stored["sub-0000"]["Id"]
    assert stored["sub-0000"]["Quantity__c"] == 1
    assert stored["sub-0000"]["Sync_Error__c"] is None
    assert sum(client.meter.calls.values()) == 6  # create, upload, close, poll, 2 results


def test_bulk_ingest_refuses_every_row_of_an_external_id_named_twice(
        client: SalesforceClient, org: SalesforceEmulator) -> None:
    records = _records(12)
    records[5]["Ledger_Id__c"] = "sub-0000"

    results = _bulk(client).upsert("Subscription__c", "Ledger_Id__c", records)

    refused = [i for i, r in enumerate(results) if not r.success]
    assert refused == [0, 5]
    assert results[0].errors[0].code == "DUPLICATE_EXTERNAL_ID"
    assert "Duplicate external id specified: sub-0000" in results[5].errors[0].message
    assert len(org.records("Subscription__c")) == 10
