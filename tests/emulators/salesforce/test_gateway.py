"""What every request goes through: sessions, the daily limit and its header, the request
log, injected faults, unknown paths and API versions."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta

import pytest
import requests
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceRefusedRequest,
)

from crm_emulators.clock import ManualClock
from crm_emulators.salesforce import SalesforceEmulator

MakeClient = Callable[..., Salesforce]
BASE = "/services/data/v62.0"


def _get(emu: SalesforceEmulator, path: str, method: str = "GET") -> requests.Response:
    return emu.requests_session().request(
        method, f"{emu.url}{path}",
        headers={"Authorization": f"Bearer {emu.issue_session_token()}"})


def test_every_answer_carries_the_limit_header(sf: Salesforce) -> None:
    accounts = sf.Account
    accounts.create({"Name": "A"})
    sf.query("SELECT Id FROM Account")

    assert accounts.api_usage["api-usage"].used == 1
    assert sf.api_usage["api-usage"].used == 2
    assert sf.api_usage["api-usage"].total == 1000


def test_past_the_daily_limit_calls_are_refused_with_403(make_client: MakeClient) -> None:
    emu = SalesforceEmulator(daily_api_limit=2).start()
    try:
        emu.add_user("u@example.com", "pw", name="U", email="u@example.com")
        sf = make_client(emu=emu)
        sf.query("SELECT Id FROM Account")
        sf.query("SELECT Id FROM Account")

        with pytest.raises(SalesforceRefusedRequest) as caught:
            sf.query("SELECT Id FROM Account")

        assert caught.value.status == 403
        assert caught.value.content == [{"message": "TotalRequests Limit exceeded.",
                                         "errorCode": "REQUEST_LIMIT_EXCEEDED", "fields": []}]
        assert emu.api_usage == 2
    finally:
        emu.stop()


def test_expired_and_unknown_sessions_answer_401(emulator: SalesforceEmulator,
                                                 make_client: MakeClient,
                                                 clock: ManualClock) -> None:
    sf = make_client()
    sf.query("SELECT Id FROM Account")
    emulator.expire_sessions()
    with pytest.raises(SalesforceExpiredSession) as caught:
        sf.query("SELECT Id FROM Account")
    assert caught.value.content == [{"message": "Session expired or invalid",
                                     "errorCode": "INVALID_SESSION_ID", "fields": []}]

    aged = make_client()
    clock.advance(timedelta(seconds=7200))
    with pytest.raises(SalesforceExpiredSession):
        aged.query("SELECT Id FROM Account")
    with pytest.raises(SalesforceExpiredSession):
        make_client(token="00DHp0000000001!not-a-token").query("SELECT Id FROM Account")


def test_the_request_log_counts_by_method_and_path(sf: Salesforce,
                                                   emulator: SalesforceEmulator) -> None:
    record_id = sf.Account.create({"Name": "A"})["id"]
    sf.Account.update(record_id, {"Name": "B"})
    sf.Account.get(record_id)

    assert emulator.request_count() == 3
    assert emulator.request_count("PATCH") == 1
    assert emulator.request_count(path_prefix=f"{BASE}/sobjects/Account") == 3
    assert emulator.request_log[0] == ("POST", f"{BASE}/sobjects/Account/")
    emulator.reset_counters()
    assert emulator.request_count() == 0
    assert emulator.api_usage == 3


def test_fail_next_answers_errors_then_recovers(sf: Salesforce,
                                                emulator: SalesforceEmulator) -> None:
    emulator.faults.fail_next(2)
    emulator.faults.fail_next(1, status=500)

    for status, code in ((503, "SERVER_UNAVAILABLE"), (503, "SERVER_UNAVAILABLE"),
                         (500, "UNKNOWN_EXCEPTION")):
        with pytest.raises(SalesforceGeneralError) as caught:
            sf.query("SELECT Id FROM Account")
        assert (caught.value.status, caught.value.content[0]["errorCode"]) == (status, code)

    assert sf.query("SELECT Id FROM Account")["totalSize"] == 0
    assert emulator.api_usage == 1
    assert emulator.request_count() == 4


def test_fail_fraction_is_reproducible(emulator: SalesforceEmulator) -> None:
    http = emulator.requests_session()
    http.headers["Authorization"] = f"Bearer {emulator.issue_session_token()}"

    def outcomes() -> list[int]:
        emulator.faults.fail_fraction(0.5, seed=7)
        return [http.get(f"{emulator.url}{BASE}/limits").status_code for _ in range(12)]

    first = outcomes()
    assert first == outcomes()
    assert {200, 503} == set(first)
    emulator.faults.clear()
    assert _get(emulator, f"{BASE}/limits").status_code == 200


def test_reset_next_drops_the_connection(sf: Salesforce, emulator: SalesforceEmulator) -> None:
    emulator.faults.reset_next(1)

    with pytest.raises(requests.ConnectionError):
        sf.query("SELECT Id FROM Account")

    assert sf.query("SELECT Id FROM Account")["done"] is True


def test_latency_delays_answers(emulator: SalesforceEmulator) -> None:
    emulator.faults.latency(0.3)
    started = time.monotonic()
    _get(emulator, f"{BASE}/limits")
    assert time.monotonic() - started >= 0.3
    emulator.faults.latency(0)


@pytest.mark.parametrize(("path", "method", "status", "code"), [
    (f"{BASE}/nothing/here", "GET", 404, "NOT_FOUND"),
    ("/services/data/v49.0/limits", "GET", 404, "NOT_FOUND"),
    ("/services/data/v67.0/limits", "GET", 404, "NOT_FOUND"),
    (f"{BASE}/limits", "POST", 405, "METHOD_NOT_ALLOWED"),
])
def test_unknown_paths_versions_and_methods(emulator: SalesforceEmulator, path: str,
                                            method: str, status: int, code: str) -> None:
    answer = _get(emulator, path, method)

    assert answer.status_code == status
    assert answer.json()[0]["errorCode"] == code


def test_every_supported_version_is_served(emulator: SalesforceEmulator) -> None:
    assert _get(emulator, "/services/data/v50.0/limits").status_code == 200
    assert _get(emulator, "/services/data/v66.0/limits").status_code == 200


def test_the_session_trusts_only_the_emulator_ca(emulator: SalesforceEmulator) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{emulator.url}/services/data/", timeout=5)
    assert emulator.requests_session().get(f"{emulator.url}/services/data/").ok
