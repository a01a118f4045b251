"""The Salesforce emulator driven through the real simple-salesforce client."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import jwt
import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from connector.clock import ManualClock
from connector.salesforce.auth import OAuthAuthenticator
from connector.sandbox.salesforce import SalesforceEmulator
from connector.sandbox.salesforce.store import to_18
from connector.secrets import Secrets

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
USER = "integration@example.com"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def emulator(clock: ManualClock) -> Iterator[SalesforceEmulator]:
    emu = SalesforceEmulator(clock, daily_api_limit=50).start()
    emu.add_user(USER, "secret-pw", name="Integration User", email=USER)
    emu.add_connected_app("client-1", "client-secret", run_as_username=USER)
    try:
        yield emu
    finally:
        emu.stop()


def _sf(emu: SalesforceEmulator, token: str | None = None) -> Salesforce:
    return Salesforce(instance_url=emu.url, session_id=token or emu.issue_session_token(),
                      session=emu.requests_session(), version="62.0")


def _collection(sf: Salesforce, method: str, body: object, path: str = "") -> list[dict]:
    return sf.restful(f"composite/sobjects{path}", method=method,  # type: ignore[no-any-return]
                      data=json.dumps(body))


def test_query_all_pages_through_more_than_4000_records(clock: ManualClock) -> None:
    emu = SalesforceEmulator(clock).start()
    try:
        emu.add_user(USER, "pw", name="Integration User", email=USER)
        for n in range(4500):
            emu.insert("Account", {"Name": f"Account {n:04d}"})
        sf = _sf(emu)

        result = sf.query_all("SELECT Id, Name FROM Account ORDER BY Name")

        assert result["totalSize"] == 4500
        assert [r["Name"] for r in result["records"]][::1500] == [
            "Account 0000", "Account 1500", "Account 3000"]
        assert emu.request_count(method="GET", path_prefix="/services/data/v62.0/query") == 3
    finally:
        emu.stop()


def test_crud_through_sobject_endpoints(emulator: SalesforceEmulator) -> None:
    sf = _sf(emulator)

    created = sf.Account.create({"Name": "Acme"})  # type: ignore[operator]
    sf.Account.update(created["id"], {"Description": "robots"})  # type: ignore[operator]
    fetched = sf.Account.get(created["id"])  # type: ignore[operator]
    sf.Account.delete(created["id"])  # type: ignore[operator]

    assert created["success"] is True
    assert (fetched["Name"], fetched["Description"]) == ("Acme", "robots")
    assert fetched["attributes"]["type"] == "Account"
    with pytest.raises(SalesforceResourceNotFound):
        sf.Account.get(created["id"])  # type: ignore[operator]
    deleted = sf.query_all(f"SELECT Id FROM Account WHERE Id = '{created['id']}'",
                           include_deleted=True)
    assert deleted["totalSize"] == 1


def test_ids_have_key_prefixes_and_the_case_safe_suffix(emulator: SalesforceEmulator) -> None:
    account = emulator.insert("Account", {"Name": "Acme"})
    subscription = emulator.insert("Subscription__c", {"Ledger_Id__c": "sub-1"})

    assert account.startswith("001")
    assert subscription.startswith("a0")
    assert len(account) == 18
    assert to_18("001A0000006Vm9r") == "001A0000006Vm9rIAC"  # Salesforce's published example


def test_upsert_by_external_id_creates_then_updates(emulator: SalesforceEmulator) -> None:
    sf = _sf(emulator)

    first = sf.Subscription__c.upsert("Ledger_Id__c/sub-1", {"Quantity__c": 2})  # type: ignore[operator]
    second = sf.Subscription__c.upsert("Ledger_Id__c/sub-1", {"Quantity__c": 5})  # type: ignore[operator]

    assert (first, second) == (201, 200)
    [record] = emulator.records("Subscription__c")
    assert record["Quantity__c"] == 5
    assert record["Status__c"] == "Potential"  # the picklist's default
    assert record["Name"] == "SUB-000001"  # auto-number name


def test_collections_report_each_record_and_enforce_the_200_limit(
        emulator: SalesforceEmulator) -> None:
    sf = _sf(emulator)
    records = [{"attributes": {"type": "Subscription__c"}, "Ledger_Id__c": "a", "Quantity__c": 1},
               {"attributes": {"type": "Subscription__c"}, "Ledger_Id__c": "b",
                "Status__c": "Maybe"},
               {"attributes": {"type": "Subscription__c"}, "Ledger_Id__c": "a"}]

    created = _collection(sf, "POST", {"allOrNone": False, "records": records})
    upserted = _collection(sf, "PATCH", {"allOrNone": False, "records": records[:1]},
                           "/Subscription__c/Ledger_Id__c")
    updated = _collection(sf, "PATCH", {"records": [
        {"attributes": {"type": "Subscription__c"}, "Id": created[0]["id"], "Quantity__c": 7}]})
    removed = sf.restful("composite/sobjects", method="DELETE",
                         params={"ids": created[0]["id"]})

    assert [r["success"] for r in created] == [True, False, False]
    assert created[1]["errors"][0]["statusCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    assert created[2]["errors"][0]["statusCode"] == "DUPLICATE_VALUE"
    assert upserted[0]["created"] is False
    assert updated[0]["success"] is True
    assert removed[0]["success"] is True
    with pytest.raises(SalesforceMalformedRequest) as too_many:
        _collection(sf, "POST", {"records": [records[0]] * 201})
    assert too_many.value.content[0]["errorCode"] == "EXCEEDED_ID_LIMIT"


def test_all_or_none_rolls_back_the_whole_batch(emulator: SalesforceEmulator) -> None:
    sf = _sf(emulator)
    records = [{"attributes": {"type": "Account"}, "Name": "Kept?"},
               {"attributes": {"type": "Account"}}]

    results = _collection(sf, "POST", {"allOrNone": True, "records": records})

    assert results[0]["errors"][0]["statusCode"] == "ALL_OR_NONE_OPERATION_ROLLED_BACK"
    assert results[1]["errors"][0]["statusCode"] == "REQUIRED_FIELD_MISSING"
    assert emulator.records("Account") == []


@pytest.mark.parametrize(("fields", "code"), [
    ({"Nmae": "x"}, "INVALID_FIELD"),
    ({"Name": "x", "IsDeleted": True}, "INVALID_FIELD_FOR_INSERT_UPDATE"),
    ({"Description": "no name"}, "REQUIRED_FIELD_MISSING"),
    ({"Name": "x", "OwnerId": "not-an-id"}, "MALFORMED_ID"),
    ({"Name": "x", "ParentId": "001000000000999AAA"}, "INVALID_CROSS_REFERENCE_KEY"),
])
def test_invalid_writes_answer_salesforce_error_arrays(
        emulator: SalesforceEmulator, fields: dict[str, object], code: str) -> None:
    with pytest.raises(SalesforceMalformedRequest) as refused:
        _sf(emulator).Account.create(fields)  # type: ignore[operator]

    assert refused.value.content[0]["errorCode"] == code
    assert refused.value.content[0]["message"]


def test_a_bad_query_answers_the_soql_error(emulator: SalesforceEmulator) -> None:
    with pytest.raises(SalesforceMalformedRequest) as refused:
        _sf(emulator).query("SELECT Nmae FROM Account")

    assert refused.value.content[0]["errorCode"] == "INVALID_FIELD"


def test_updated_and_deleted_cover_a_window(emulator: SalesforceEmulator,
                                            clock: ManualClock) -> None:
    sf = _sf(emulator)
    kept = emulator.insert("Account", {"Name": "Kept"})
    gone = emulator.insert("Account", {"Name": "Gone"})
    clock.advance(timedelta(minutes=2))
    emulator.delete("Account", gone)
    clock.advance(timedelta(minutes=2))

    updated = sf.Account.updated(T0 - timedelta(minutes=1), clock.now())  # type: ignore[operator]
    deleted = sf.Account.deleted(T0 - timedelta(minutes=1), clock.now())  # type: ignore[operator]

    assert updated["ids"] == [kept]
    assert [d["id"] for d in deleted["deletedRecords"]] == [gone]
    assert updated["latestDateCovered"].startswith("2026-11-23T09:04:00")


def test_same_second_writes_share_a_system_modstamp(emulator: SalesforceEmulator,
                                                    clock: ManualClock) -> None:
    clock.advance(timedelta(milliseconds=300))
    first = emulator.insert("Account", {"Name": "A"})
    clock.advance(timedelta(milliseconds=400))
    second = emulator.insert("Account", {"Name": "B"})

    stamps = {emulator.get("Account", i)["SystemModstamp"] for i in (first, second)}
    assert stamps == {"2026-11-23T09:00:00.000+0000"}


def test_describe_reports_the_shipped_data_model(emulator: SalesforceEmulator) -> None:
    described = _sf(emulator).Subscription__c.describe()  # type: ignore[operator]

    fields = {f["name"]: f for f in described["fields"]}
    assert described["keyPrefix"].startswith("a0")
    assert fields["Ledger_Id__c"]["externalId"] is True
    assert fields["Status__c"]["restrictedPicklist"] is True
    assert [v["value"] for v in fields["Status__c"]["picklistValues"]][:2] == [
        "Potential", "Active"]
    assert fields["Account__c"]["referenceTo"] == ["Account"]


def test_limits_header_and_the_daily_limit(emulator: SalesforceEmulator) -> None:
    sf = _sf(emulator)
    sf.query("SELECT Id FROM Account")
    assert sf.api_usage["api-usage"].used == 1
    assert sf.api_usage["api-usage"].total == 50
    for _ in range(49):
        sf.query("SELECT Id FROM Account")

    with pytest.raises(SalesforceRefusedRequest) as refused:
        sf.query("SELECT Id FROM Account")

    assert refused.value.status == 403
    assert refused.value.content[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"


def test_expired_sessions_answer_invalid_session_id(emulator: SalesforceEmulator,
                                                    clock: ManualClock) -> None:
    sf = _sf(emulator)
    sf.query("SELECT Id FROM Account")
    clock.advance(timedelta(hours=3))  # past the two-hour session lifetime

    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM Account")


def test_bulk_2_query_returns_csv_with_parent_columns(emulator: SalesforceEmulator) -> None:
    owner = emulator.add_user("owner@example.com", "pw", name="Olive Owner",
                              email="owner@example.com")
    for n in range(3):
        emulator.insert("Account", {"Name": f"A{n}", "OwnerId": owner})
    http = emulator.requests_session()
    headers = {"Authorization": f"Bearer {emulator.issue_session_token()}"}
    base = f"{emulator.url}/services/data/v62.0/jobs/query"

    job = http.post(base, json={"operation": "query",
                                "query": "SELECT Name, Owner.Name FROM Account ORDER BY Name"},
                    headers=headers, timeout=10).json()
    state = http.get(f"{base}/{job['id']}", headers=headers, timeout=10).json()["state"]
    first = http.get(f"{base}/{job['id']}/results", params={"maxRecords": 2},
                     headers=headers, timeout=10)
    rest = http.get(f"{base}/{job['id']}/results",
                    params={"maxRecords": 2, "locator": first.headers["Sforce-Locator"]},
                    headers=headers, timeout=10)

    assert state == "JobComplete"
    assert first.text.splitlines() == ['Name,Owner.Name', 'A0,Olive Owner', 'A1,Olive Owner']
    assert rest.text.splitlines()[1:] == ["A2,Olive Owner"]
    assert rest.headers["Sforce-Locator"] == "null"


def test_oauth_password_and_client_credentials_grants(emulator: SalesforceEmulator) -> None:
    http = emulator.requests_session()
    token_url = f"{emulator.url}/services/oauth2/token"

    password = http.post(token_url, data={
        "grant_type": "password", "client_id": "client-1", "client_secret": "client-secret",
        "username": USER, "password": "secret-pw"}, timeout=10)
    wrong = http.post(token_url, data={
        "grant_type": "password", "client_id": "client-1", "client_secret": "client-secret",
        "username": USER, "password": "nope"}, timeout=10)
    session = OAuthAuthenticator(emulator.url, "client_credentials", Secrets({
        "SALESFORCE_CLIENT_ID": "client-1", "SALESFORCE_CLIENT_SECRET": "client-secret"}),
        emulator.requests_session()).login()

    assert password.json()["instance_url"] == emulator.url
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    assert session.instance_url == emulator.url
    _sf(emulator, session.access_token.get_secret_value()).query("SELECT Id FROM Account")


def test_oauth_jwt_bearer_grant_verifies_the_signature(emulator: SalesforceEmulator) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    emulator.add_connected_app("jwt-app", "unused", jwt_public_key_pem=public.decode())

    session = OAuthAuthenticator(emulator.url, "jwt", Secrets({
        "SALESFORCE_CLIENT_ID": "jwt-app", "SALESFORCE_USERNAME": USER,
        "SALESFORCE_PRIVATE_KEY": private}), emulator.requests_session()).login()
    forged = jwt.encode({"iss": "jwt-app", "sub": USER, "aud": emulator.url,
                         "exp": int(datetime.now(UTC).timestamp()) + 60},
                        rsa.generate_private_key(public_exponent=65537, key_size=2048),
                        algorithm="RS256")
    refused = emulator.requests_session().post(
        f"{emulator.url}/services/oauth2/token",
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": forged},
        timeout=10)

    assert session.access_token.get_secret_value()
    assert (refused.status_code, refused.json()["error"]) == (400, "invalid_grant")


def test_fault_knobs_fail_requests_then_recover(emulator: SalesforceEmulator) -> None:
    sf = _sf(emulator)
    emulator.faults.fail_next(2, status=503)

    for _ in range(2):
        with pytest.raises(SalesforceGeneralError) as failed:
            sf.query("SELECT Id FROM Account")
        assert failed.value.status == 503
    sf.query("SELECT Id FROM Account")

    assert emulator.request_count(path_prefix="/services/data/v62.0/query") == 3


def test_requests_verify_against_the_throwaway_ca(emulator: SalesforceEmulator) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        requests.Session().get(emulator.url + "/services/data/", verify=True, timeout=10)
