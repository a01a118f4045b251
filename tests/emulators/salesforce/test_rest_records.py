"""sObject rows through simple-salesforce: CRUD, reads by id or external id, upserts, and the
error arrays Salesforce answers with."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import (
    SalesforceMalformedRequest,
    SalesforceMoreThanOneRecord,
    SalesforceResourceNotFound,
)

from crm_emulators.salesforce import SalesforceEmulator
from crm_emulators.salesforce.objects import SHIPPED_METADATA

MakeClient = Callable[..., Salesforce]


def test_create_read_update_delete(sf: Salesforce, emulator: SalesforceEmulator) -> None:
    created = sf.Account.create({"Name": "Acme", "Website": "acme.example"})
    record_id = created["id"]

    assert created == {"id": record_id, "success": True, "errors": []}
    fetched = sf.Account.get(record_id)
    assert fetched["attributes"] == {
        "type": "Account", "url": f"/services/data/v62.0/sobjects/Account/{record_id}"}
    assert (fetched["Name"], fetched["Website"]) == ("Acme", "acme.example")
    assert sf.Account.update(record_id, {"Name": "Acme Robotics"}) == 204
    assert emulator.get("Account", record_id)["Name"] == "Acme Robotics"
    assert sf.Account.delete(record_id) == 204
    assert emulator.records("Account") == []


def test_get_with_fields_returns_only_those(sf: Salesforce, catalog: dict[str, str]) -> None:
    answer = sf.restful(f"sobjects/Account/{catalog['account']}", params={"fields": "Id,name"})

    assert list(answer) == ["attributes", "Id", "Name"]


def test_fifteen_character_and_lower_case_ids_name_the_same_record(
        sf: Salesforce, catalog: dict[str, str]) -> None:
    record_id = catalog["account"]

    assert sf.Account.get(record_id[:15])["Id"] == record_id
    assert sf.Account.get(record_id.lower())["Id"] == record_id


@pytest.mark.parametrize(("path", "status", "code", "message"), [
    ("sobjects/Account/001Hp00000000ZZZZZ", 404, "NOT_FOUND",
     "The requested resource does not exist"),
    ("sobjects/Account/nonsense", 404, "NOT_FOUND",
     "Provided external ID field does not exist or is not accessible: nonsense"),
    ("sobjects/Account/006Hp0000000001AAA", 400, "MALFORMED_ID",
     "Account ID: id value of incorrect type: 006Hp0000000001AAA"),
    ("sobjects/Nope__c/describe", 404, "NOT_FOUND", "The requested resource does not exist"),
])
def test_bad_addresses_answer_error_arrays(emulator: SalesforceEmulator, path: str, status: int,
                                           code: str, message: str) -> None:
    answer = emulator.requests_session().get(
        f"{emulator.url}/services/data/v62.0/{path}",
        headers={"Authorization": f"Bearer {emulator.issue_session_token()}"})

    assert answer.status_code == status
    assert answer.json()[0]["errorCode"] == code
    assert answer.json()[0]["message"] == message


def test_deleted_records_answer_entity_is_deleted(sf: Salesforce,
                                                  emulator: SalesforceEmulator) -> None:
    record_id = emulator.insert("Account", {"Name": "Gone"})
    emulator.delete("Account", record_id)

    with pytest.raises(SalesforceResourceNotFound) as caught:
        sf.Account.get(record_id)

    assert caught.value.content[0]["errorCode"] == "ENTITY_IS_DELETED"


def test_invalid_create_answers_the_error_array(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Subscription__c.create({"Status__c": "Paused"})

    assert caught.value.content == [{
        "message": "Status: bad value for restricted picklist field: Paused",
        "errorCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "fields": ["Status__c"]}]


def test_malformed_json_answers_json_parser_error(emulator: SalesforceEmulator) -> None:
    answer = emulator.requests_session().post(
        f"{emulator.url}/services/data/v62.0/sobjects/Account", data="{Name: 1}",
        headers={"Authorization": f"Bearer {emulator.issue_session_token()}",
                 "Content-Type": "application/json"})

    assert answer.status_code == 400
    [error] = answer.json()
    assert error["errorCode"] == "JSON_PARSER_ERROR"
    assert error["message"].startswith("Unexpected character ('N' (code 78))")
    assert error["message"].endswith("at [line:1, column:2]")


def test_upsert_by_external_id_creates_then_updates(sf: Salesforce,
                                                    emulator: SalesforceEmulator) -> None:
    created = sf.Subscription__c.upsert("Ledger_Id__c/L-42", {"MRR__c": 100},
                                        raw_response=True)
    updated = sf.Subscription__c.upsert("Ledger_Id__c/L-42", {"MRR__c": 120},
                                        raw_response=True)

    assert created.status_code == 201
    assert created.json()["created"] is True
    assert updated.status_code == 200
    assert updated.json() == {"id": created.json()["id"], "success": True, "errors": [],
                              "created": False}
    [record] = emulator.records("Subscription__c")
    assert (record["Ledger_Id__c"], record["MRR__c"]) == ("L-42", 120.0)


def test_read_by_external_id(sf: Salesforce, emulator: SalesforceEmulator) -> None:
    record_id = emulator.insert("Subscription__c", {"Ledger_Id__c": "L-7"})

    assert sf.Subscription__c.get_by_custom_id("Ledger_Id__c", "L-7")["Id"] == record_id


LEGACY_REF = """<?xml version="1.0" encoding="UTF-8"?>
<CustomField xmlns="http://soap.sforce.com/2006/04/metadata">
    <fullName>Legacy_Ref__c</fullName>
    <label>Legacy Ref</label>
    <type>Text</type>
    <length>40</length>
    <externalId>true</externalId>
    <unique>false</unique>
</CustomField>
"""


def test_a_non_unique_external_id_matching_several_records_answers_300(
        tmp_path: Path, make_client: MakeClient) -> None:
    metadata = tmp_path / "salesforce"
    shutil.copytree(SHIPPED_METADATA, metadata)
    fields = metadata / "force-app/main/default/objects/Subscription__c/fields"
    (fields / "Legacy_Ref__c.field-meta.xml").write_text(LEGACY_REF, encoding="utf-8")
    emu = SalesforceEmulator(metadata_dir=metadata).start()
    try:
        emu.add_user("u@example.com", "pw", name="U", email="u@example.com")
        ids = [emu.insert("Subscription__c", {"Legacy_Ref__c": "R-1"}) for _ in range(2)]
        sf = make_client(emu=emu)

        with pytest.raises(SalesforceMoreThanOneRecord) as caught:
            sf.Subscription__c.upsert("Legacy_Ref__c/R-1", {"MRR__c": 1})

        assert caught.value.status == 300
        assert caught.value.content == [
            f"/services/data/v62.0/sobjects/Subscription__c/{i}" for i in ids]
    finally:
        emu.stop()


def test_upsert_needs_an_external_id_field(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.Subscription__c.upsert("Name/SUB-000001", {"MRR__c": 1})

    assert caught.value.content[0]["errorCode"] == "INVALID_FIELD"
    with pytest.raises(SalesforceResourceNotFound):
        sf.Subscription__c.upsert("Nope__c/x", {"MRR__c": 1})


def test_upsert_by_id_updates_an_existing_record(sf: Salesforce,
                                                 emulator: SalesforceEmulator) -> None:
    record_id = emulator.insert("Account", {"Name": "Before"})

    answer = sf.Account.upsert(f"Id/{record_id}", {"Name": "After"}, raw_response=True)

    assert answer.status_code == 200
    assert emulator.get("Account", record_id)["Name"] == "After"
