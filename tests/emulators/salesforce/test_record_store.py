"""The record store through the emulator's direct access: validation with Salesforce's error
codes, system fields, derived fields and soft deletes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from crm_emulators.clock import ManualClock
from crm_emulators.salesforce import ApiError, SalesforceEmulator

USER = "integration@example.com"


def _refusal(emu: SalesforceEmulator, sobject: str, fields: dict[str, Any]) -> ApiError:
    with pytest.raises(ApiError) as caught:
        emu.insert(sobject, fields)
    return caught.value


def test_insert_stamps_system_fields_as_the_acting_user(emulator: SalesforceEmulator,
                                                        clock: ManualClock) -> None:
    clock.advance(timedelta(microseconds=750_000))
    record = emulator.get("Account", emulator.insert("Account", {"Name": "Acme"}))
    owner = emulator.records("User")[0]["Id"]

    assert record["CreatedDate"] == record["SystemModstamp"] == "2026-11-22T10:00:00.000+0000"
    assert record["OwnerId"] == record["CreatedById"] == record["LastModifiedById"] == owner
    assert record["IsDeleted"] is False
    assert record["Id"].startswith("001")
    assert len(record["Id"]) == 18


def test_same_second_writes_share_a_system_modstamp(emulator: SalesforceEmulator,
                                                    clock: ManualClock) -> None:
    first = emulator.insert("Account", {"Name": "A"})
    clock.advance(timedelta(milliseconds=400))
    second = emulator.insert("Account", {"Name": "B"})
    clock.advance(timedelta(milliseconds=700))
    emulator.update("Account", first, {"Name": "A2"})

    assert emulator.get("Account", second)["SystemModstamp"] == "2026-11-22T10:00:00.000+0000"
    assert emulator.get("Account", first)["SystemModstamp"] == "2026-11-22T10:00:01.000+0000"
    assert emulator.get("Account", first)["CreatedDate"] == "2026-11-22T10:00:00.000+0000"


@pytest.mark.parametrize(("sobject", "fields", "code", "message", "fields_named"), [
    ("Account", {"Nmae": "x"}, "INVALID_FIELD",
     "No such column 'Nmae' on sobject of type Account", ["Nmae"]),
    ("Account", {"Name": "x", "CreatedDate": "2026-01-01T00:00:00Z"},
     "INVALID_FIELD_FOR_INSERT_UPDATE", "Unable to create/update fields: CreatedDate. Please "
     "check the security settings of this field and verify that it is read/write for your "
     "profile or permission set.", ["CreatedDate"]),
    ("Opportunity", {"Name": "x"}, "REQUIRED_FIELD_MISSING",
     "Required fields are missing: [StageName, CloseDate]", ["StageName", "CloseDate"]),
    ("Subscription__c", {"Status__c": "Paused"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
     "Status: bad value for restricted picklist field: Paused", ["Status__c"]),
    ("Subscription__c", {"Ledger_Id__c": "x" * 65}, "STRING_TOO_LONG",
     f"Ledger Id: data value too large: {'x' * 65} (max length=64)", ["Ledger_Id__c"]),
    ("Subscription__c", {"Account__c": "not-an-id"}, "MALFORMED_ID",
     "Account: id value of incorrect type: not-an-id", ["Account__c"]),
    ("Subscription__c", {"Account__c": "001Hp00000000ZZZZZ"}, "INVALID_CROSS_REFERENCE_KEY",
     "invalid cross reference id", ["Account__c"]),
    ("Subscription__c", {"Quantity__c": "three"}, "JSON_PARSER_ERROR",
     "Cannot deserialize instance of double from VALUE_STRING value three or request may be "
     "missing a required field", []),
    ("Subscription__c", {"Cancel_At_Period_End__c": 1}, "INVALID_TYPE_ON_FIELD_IN_RECORD",
     "Cancel at Period End: value not of required type: 1", ["Cancel_At_Period_End__c"]),
])
def test_invalid_inserts_are_refused_with_salesforce_errors(
        emulator: SalesforceEmulator, sobject: str, fields: dict[str, Any], code: str,
        message: str, fields_named: list[str]) -> None:
    error = _refusal(emulator, sobject, fields)

    assert error.body() == {"message": message, "errorCode": code, "fields": fields_named}
    assert emulator.records(sobject) == []


def test_reference_to_the_wrong_object_is_a_field_integrity_error(
        emulator: SalesforceEmulator, catalog: dict[str, str]) -> None:
    opportunity_id = catalog["opportunity"]

    error = _refusal(emulator, "Subscription__c", {"Account__c": opportunity_id})

    assert (error.code, error.fields) == ("FIELD_INTEGRITY_EXCEPTION", ("Account__c",))


def test_unique_external_ids_refuse_duplicates(emulator: SalesforceEmulator) -> None:
    first = emulator.insert("Subscription__c", {"Ledger_Id__c": "L-1"})

    error = _refusal(emulator, "Subscription__c", {"Ledger_Id__c": "L-1"})

    assert error.code == "DUPLICATE_VALUE"
    assert error.message == ("duplicate value found: Ledger_Id__c duplicates value on record "
                             f"with id: {first}")


def test_a_unique_value_follows_its_record_through_updates_and_deletes(
        emulator: SalesforceEmulator) -> None:
    first = emulator.insert("Subscription__c", {"Ledger_Id__c": "L-1"})
    emulator.update("Subscription__c", first, {"Ledger_Id__c": "L-2"})

    freed = emulator.insert("Subscription__c", {"Ledger_Id__c": "L-1"})
    taken = _refusal(emulator, "Subscription__c", {"Ledger_Id__c": "L-2"})
    emulator.delete("Subscription__c", first)
    reused = emulator.insert("Subscription__c", {"Ledger_Id__c": "L-2"})

    assert taken.message.endswith(f"with id: {first}")
    assert {r["Ledger_Id__c"]: r["Id"] for r in emulator.records("Subscription__c")} == {
        "L-1": freed, "L-2": reused}


def test_usernames_are_unique_whatever_their_case(emulator: SalesforceEmulator) -> None:
    with pytest.raises(ApiError) as caught:
        emulator.add_user(USER.upper(), "pw", name="Second Integration", email=USER)

    assert caught.value.code == "DUPLICATE_VALUE"


def test_updates_are_validated_and_change_nothing_when_refused(
        emulator: SalesforceEmulator) -> None:
    record_id = emulator.insert("Subscription__c", {"Status__c": "Potential"})

    with pytest.raises(ApiError, match="bad value for restricted picklist"):
        emulator.update("Subscription__c", record_id, {"Status__c": "Nope", "MRR__c": 5})

    assert emulator.get("Subscription__c", record_id)["MRR__c"] is None


def test_custom_objects_get_defaults_and_auto_numbered_names(
        emulator: SalesforceEmulator) -> None:
    first = emulator.get("Subscription__c", emulator.insert("Subscription__c", {}))
    second = emulator.get("Subscription__c", emulator.insert("Subscription__c", {}))

    assert (first["Name"], second["Name"]) == ("SUB-000001", "SUB-000002")
    assert first["Status__c"] == "Potential"
    assert first["Cancel_At_Period_End__c"] is False
    assert first["Id"].startswith("a00")


def test_derived_fields_follow_salesforce(emulator: SalesforceEmulator,
                                         catalog: dict[str, str]) -> None:
    ids = catalog
    line = emulator.insert("OpportunityLineItem", {
        "OpportunityId": ids["opportunity"], "Product2Id": ids["product"], "Quantity": 3,
        "UnitPrice": 90})
    emulator.update("Opportunity", ids["opportunity"], {"StageName": "Closed Won"})

    item = emulator.get("OpportunityLineItem", line)
    opportunity = emulator.get("Opportunity", ids["opportunity"])
    entry = emulator.get("PricebookEntry", ids["entry"])
    assert (item["PricebookEntryId"], item["Product2Id"]) == (ids["entry"], ids["product"])
    assert (item["TotalPrice"], item["ListPrice"], item["ProductCode"]) == (270.0, 100.0, "PLAT")
    assert (opportunity["IsWon"], opportunity["IsClosed"]) == (True, True)
    assert (opportunity["Amount"], opportunity["HasOpportunityLineItem"]) == (270.0, True)
    assert (entry["Name"], entry["ProductCode"]) == ("Platform", "PLAT")


def test_a_line_item_needs_a_product_it_can_price(emulator: SalesforceEmulator,
                                                  catalog: dict[str, str]) -> None:
    ids = catalog

    error = _refusal(emulator, "OpportunityLineItem", {"OpportunityId": ids["opportunity"],
                                                       "Quantity": 1})

    assert (error.code, error.fields) == ("REQUIRED_FIELD_MISSING", ("PricebookEntryId",))


def test_users_are_records_with_a_full_name(emulator: SalesforceEmulator) -> None:
    user_id = emulator.add_user("dana@example.com", "pw", name="Dana Whitfield",
                                email="dana@example.com")

    user = emulator.get("User", user_id)
    assert (user["Name"], user["Username"], user["IsActive"]) == (
        "Dana Whitfield", "dana@example.com", True)
    assert user_id.startswith("005")
    assert [u["Username"] for u in emulator.records("User")] == [USER, "dana@example.com"]


def test_deletes_are_soft(emulator: SalesforceEmulator, clock: ManualClock) -> None:
    record_id = emulator.insert("Account", {"Name": "Gone"})
    clock.advance(timedelta(seconds=5))
    emulator.delete("Account", record_id)

    assert emulator.records("Account") == []
    [kept] = emulator.records("Account", include_deleted=True)
    assert kept["IsDeleted"] is True
    assert kept["SystemModstamp"] == "2026-11-22T10:00:05.000+0000"
    with pytest.raises(ApiError) as caught:
        emulator.get("Account", record_id)
    assert caught.value.code == "ENTITY_IS_DELETED"
