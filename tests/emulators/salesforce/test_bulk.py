"""Bulk API 2.0 query jobs through simple-salesforce's ``bulk2`` and raw requests."""

from __future__ import annotations

import csv
import io

from simple_salesforce.api import Salesforce

from crm_emulators.salesforce import SalesforceEmulator

BASE = "/services/data/v62.0/jobs/query"


def test_bulk2_query_returns_csv_pages_with_parent_columns(
        sf: Salesforce, emulator: SalesforceEmulator, catalog: dict[str, str]) -> None:
    for n in range(4):
        emulator.insert("Opportunity", {"Name": f"Deal {n}", "AccountId": catalog["account"],
                                        "StageName": "Prospecting", "CloseDate": "2026-12-01"})

    pages = list(sf.bulk2.Opportunity.query(
        "SELECT Id, Name, Account.Name, Amount FROM Opportunity ORDER BY Name",
        max_records=3, wait=0))

    rows = [row for page in pages for row in csv.DictReader(io.StringIO(page))]
    assert len(pages) == 2
    assert list(rows[0]) == ["Id", "Name", "Account.Name", "Amount"]
    assert [(r["Name"], r["Account.Name"], r["Amount"]) for r in rows][:2] == [
        ("Acme deal", "Acme", ""), ("Deal 0", "Acme", "")]
    assert len(rows) == 5
    assert pages[0].splitlines()[0] == '"Id","Name","Account.Name","Amount"'


def test_job_lifecycle_and_locator_headers(emulator: SalesforceEmulator) -> None:
    for n in range(3):
        emulator.insert("Account", {"Name": f"A{n}"})
    http = emulator.requests_session()
    http.headers["Authorization"] = f"Bearer {emulator.issue_session_token()}"

    job = http.post(emulator.url + BASE, json={
        "operation": "query", "query": "SELECT Name FROM Account"}).json()
    status = http.get(f"{emulator.url}{BASE}/{job['id']}").json()
    first = http.get(f"{emulator.url}{BASE}/{job['id']}/results", params={"maxRecords": 2})
    rest = http.get(f"{emulator.url}{BASE}/{job['id']}/results",
                    params={"maxRecords": 2, "locator": first.headers["Sforce-Locator"]})

    assert job["id"].startswith("750")
    assert (job["state"], job["object"], job["contentType"]) == ("UploadComplete", "Account",
                                                                 "CSV")
    assert (status["state"], status["numberRecordsProcessed"]) == ("JobComplete", 3)
    assert first.headers["Sforce-NumberOfRecords"] == "2"
    assert rest.headers["Sforce-Locator"] == "null"
    assert rest.text == '"Name"\n"A2"\n'
