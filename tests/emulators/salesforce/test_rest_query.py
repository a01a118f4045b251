"""SOQL over REST through simple-salesforce: pages, parent fields, COUNT(), queryAll and
SOQL errors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from crm_emulators.clock import ManualClock
from crm_emulators.salesforce import SalesforceEmulator

MakeClient = Callable[..., Salesforce]


def test_query_all_follows_next_records_url_over_three_pages(make_client: MakeClient) -> None:
    emu = SalesforceEmulator(ManualClock(datetime(2026, 11, 22, tzinfo=UTC))).start()
    try:
        emu.add_user("u@example.com", "pw", name="U", email="u@example.com")
        for n in range(4500):
            emu.insert("Account", {"Name": f"Account {n:04d}"})
        sf = make_client(emu=emu)

        first = sf.query("SELECT Id, Name FROM Account ORDER BY Name")
        result = sf.query_all("SELECT Id, Name FROM Account ORDER BY Name")

        assert (first["totalSize"], first["done"], len(first["records"])) == (4500, False, 2000)
        assert first["nextRecordsUrl"].startswith("/services/data/v62.0/query/01g")
        assert first["nextRecordsUrl"].endswith("-2000")
        assert len(result["records"]) == 4500
        assert [r["Name"] for r in result["records"]][::1500] == [
            "Account 0000", "Account 1500", "Account 3000"]
        assert emu.request_count("GET", "/services/data/v62.0/query") == 4
    finally:
        emu.stop()


def test_parent_fields_come_back_as_nested_records(sf: Salesforce,
                                                   catalog: dict[str, str]) -> None:
    result = sf.query("SELECT Name, Account.Name, Owner.Email FROM Opportunity")

    [record] = result["records"]
    assert record["Name"] == "Acme deal"
    assert record["Account"]["Name"] == "Acme"
    assert record["Account"]["attributes"]["type"] == "Account"
    assert record["Owner"]["Email"] == "integration@example.com"


def test_count_and_query_all_see_deleted_rows(sf: Salesforce,
                                              emulator: SalesforceEmulator) -> None:
    for name in ("A", "B", "C"):
        emulator.insert("Account", {"Name": name})
    emulator.delete("Account", emulator.records("Account")[0]["Id"])

    assert sf.query("SELECT COUNT() FROM Account")["totalSize"] == 2
    everything = sf.query_all("SELECT Name, IsDeleted FROM Account", include_deleted=True)
    assert sorted((r["Name"], r["IsDeleted"]) for r in everything["records"]) == [
        ("A", True), ("B", False), ("C", False)]


def test_batch_size_header_shrinks_pages(emulator: SalesforceEmulator) -> None:
    for n in range(250):
        emulator.insert("Account", {"Name": f"A{n}"})

    answer = emulator.requests_session().get(
        f"{emulator.url}/services/data/v62.0/query", params={"q": "SELECT Id FROM Account"},
        headers={"Authorization": f"Bearer {emulator.issue_session_token()}",
                 "Sforce-Query-Options": "batchSize=200"}).json()

    assert (len(answer["records"]), answer["done"]) == (200, False)


def test_a_bad_query_answers_the_soql_error(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query("SELECT Nope__c FROM Account")

    [error] = caught.value.content
    assert error["errorCode"] == "INVALID_FIELD"
    assert "Nope__c" in error["message"]


def test_an_unknown_locator_answers_invalid_query_locator(sf: Salesforce) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query_more("01gHp0000000099AAA-2000")

    assert caught.value.content[0]["errorCode"] == "INVALID_QUERY_LOCATOR"
