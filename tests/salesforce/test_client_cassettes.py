"""The Salesforce adapter against recorded traffic (see ``tests/cassettes.py`` to re-record)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from cassettes import RECORDING, recorder

from connector.errors import BudgetExhaustedError
from connector.retry import NO_WAIT
from connector.salesforce.auth import OAuthAuthenticator
from connector.salesforce.client import ApiMeter, SalesforceClient, TimeoutSession
from connector.secrets import Secrets

CLIENT_ID, CLIENT_SECRET = "adapter-tests", "adapter-secret"  # emulator-only credentials


@dataclass
class Org:
    """Where the client logs in, and the emulator when recording."""

    login_url: str
    ca_path: str | None
    emulator: object | None


@pytest.fixture
def org() -> Iterator[Org]:
    """The emulator while recording; a placeholder URL the cassette answers for otherwise."""
    if not RECORDING:
        yield Org("https://login.cassette.invalid", None, None)
        return
    from crm_emulators.salesforce import SalesforceEmulator  # noqa: PLC0415 - recording only

    emulator = SalesforceEmulator(page_size=2, daily_api_limit=12).start()
    emulator.add_user("adapter@example.com", "pw", name="Adapter Tests",
                      email="adapter@example.com")
    emulator.add_connected_app(CLIENT_ID, CLIENT_SECRET, run_as_username="adapter@example.com")
    for name in ("Acme", "Globex", "Initech", "Umbrella", "Hooli"):
        emulator.insert("Account", {"Name": name})
    try:
        yield Org(emulator.url, emulator.ca_path, emulator)
    finally:
        emulator.stop()


def _client(org: Org, max_share: float = 1.0) -> SalesforceClient:
    http = TimeoutSession(10)
    if org.ca_path:
        http.verify = org.ca_path
    secrets = Secrets({"SALESFORCE_CLIENT_ID": CLIENT_ID,
                       "SALESFORCE_CLIENT_SECRET": CLIENT_SECRET})
    auth = OAuthAuthenticator(org.login_url, "client_credentials", secrets, http)
    return SalesforceClient(auth, http, "62.0", NO_WAIT, ApiMeter(max_share=max_share))


def test_query_follows_next_records_url_page_by_page(org: Org) -> None:
    with recorder().use_cassette("salesforce_query_pages.yaml"):
        client = _client(org)
        names = [r["Name"] for r in client.query("SELECT Name FROM Account ORDER BY Name")]

    assert names == ["Acme", "Globex", "Hooli", "Initech", "Umbrella"]
    assert client.meter.total_calls == 3  # 2 records per page in the recorded org


def test_upsert_reports_each_record_and_the_batch_goes_on(org: Org) -> None:
    records = [
        {"Ledger_Id__c": "sub-cassette-1", "Status__c": "Potential", "Quantity__c": 2},
        {"Ledger_Id__c": "sub-cassette-2", "Status__c": "Maybe"},
        {"Ledger_Id__c": "sub-cassette-3", "Status__c": "Active", "Quantity__c": 1},
    ]
    with recorder().use_cassette("salesforce_upsert_collections.yaml"):
        client = _client(org)
        results = client.upsert("Subscription__c", "Ledger_Id__c", records)
        again = client.upsert("Subscription__c", "Ledger_Id__c", records[:1])

    assert [r.success for r in results] == [True, False, True]
    assert results[0].created is True
    assert results[1].errors[0].code == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert "Maybe" in results[1].error_summary
    assert again[0].created is False
    assert again[0].id == results[0].id
    assert client.meter.total_calls == 2  # one sObject Collections call per batch


def test_an_expired_session_logs_in_again_and_repeats_the_call(org: Org) -> None:
    with recorder().use_cassette("salesforce_session_expiry.yaml") as cassette:
        client = _client(org)
        first = list(client.query("SELECT Name FROM Account WHERE Name = 'Acme'"))
        if org.emulator is not None:
            org.emulator.expire_sessions()  # type: ignore[attr-defined]
        second = list(client.query("SELECT Name FROM Account WHERE Name = 'Acme'"))

    assert first == second
    token_requests = [r for r in cassette.requests if r.path.endswith("/oauth2/token")]
    assert len(token_requests) == 2


def test_the_api_budget_stops_calls_before_the_org_runs_dry(org: Org) -> None:
    with recorder().use_cassette("salesforce_budget.yaml"):
        client = _client(org, max_share=0.5)  # of the recorded org's 12 calls a day
        for _ in range(6):
            client.limits()
        with pytest.raises(BudgetExhaustedError):
            client.limits()

    assert client.meter.total_calls == 6
