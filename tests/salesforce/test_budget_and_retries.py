"""The API budget read from every answer, the pause and the resume, and bounded retries of
transient failures (never of a refused request)."""

from __future__ import annotations

import pytest
from conftest import MakeClient, secrets

from connector.errors import BudgetExhaustedError, RetriableError, ValidationRejectedError
from connector.retry import RetryPolicy
from connector.salesforce.auth import OAuthAuthenticator
from connector.salesforce.client import ApiMeter, SalesforceClient, TimeoutSession
from crm_emulators.salesforce import SalesforceEmulator

QUERY = "/services/data/v62.0/query"


def test_every_answer_updates_the_usage(client: SalesforceClient,
                                        org: SalesforceEmulator) -> None:
    org.set_api_usage(100, daily_limit=1000)

    client.limits()

    assert (client.meter.used, client.meter.limit) == (101, 1000)
    assert not client.meter.paused


def test_the_share_pauses_calls_and_a_probe_resumes_them(make_client: MakeClient,
                                                         org: SalesforceEmulator) -> None:
    client = make_client(max_share=0.5)
    org.set_api_usage(499, daily_limit=1000)
    client.limits()  # the org now reports 500 of 1,000: our half is spent
    sent = org.request_count()

    with pytest.raises(BudgetExhaustedError, match="500/1000"):
        list(client.query("SELECT Id FROM Account"))
    assert org.request_count() == sent  # refused before sending anything

    org.set_api_usage(10)  # a new day
    client.probe_usage()
    assert not client.meter.paused
    assert list(client.query("SELECT Id FROM Account")) == []


def test_request_limit_exceeded_pauses_without_retrying(client: SalesforceClient,
                                                        org: SalesforceEmulator) -> None:
    client.limits()
    org.set_api_usage(1000, daily_limit=1000)

    with pytest.raises(BudgetExhaustedError, match="allocation exhausted"):
        client.limits()

    assert org.request_count("GET", "/services/data/v62.0/limits") == 2
    assert client.meter.paused


def test_a_503_storm_that_passes_is_ridden_out(make_client: MakeClient,
                                               org: SalesforceEmulator) -> None:
    client = make_client(retry=RetryPolicy(attempts=5, initial=0, maximum=0, deadline=10))
    client.limits()  # logged in
    org.faults.fail_next(4, status=503)

    assert list(client.query("SELECT Id FROM Account")) == []
    assert org.request_count("GET", QUERY) == 5


def test_a_storm_that_lasts_gives_up_after_the_bounded_attempts(
        make_client: MakeClient, org: SalesforceEmulator) -> None:
    client = make_client(retry=RetryPolicy(attempts=3, initial=0, maximum=0, deadline=10))
    client.limits()
    org.faults.fail_next(50, status=503)

    with pytest.raises(RetriableError, match="503"):
        list(client.query("SELECT Id FROM Account"))
    assert org.request_count("GET", QUERY) == 3


def test_dropped_connections_are_retried(client: SalesforceClient,
                                         org: SalesforceEmulator) -> None:
    client.limits()
    org.faults.reset_next(1)

    assert list(client.query("SELECT Id FROM Account")) == []
    assert org.request_count("GET", QUERY) == 2


def test_a_timeout_is_retried_and_then_given_up(org: SalesforceEmulator) -> None:
    http = TimeoutSession(0.3)  # salesforce.request_timeout
    http.verify = org.ca_path
    auth = OAuthAuthenticator(org.url, "client_credentials", secrets(), http)
    client = SalesforceClient(auth, http, "62.0",
                              RetryPolicy(attempts=2, initial=0, maximum=0, deadline=10),
                              ApiMeter())
    client.limits()
    org.faults.latency(0.6)

    with pytest.raises(RetriableError, match="Timeout"):
        list(client.query("SELECT Id FROM Account"))
    assert org.request_count("GET", QUERY) == 2


def test_a_refused_request_is_never_retried(client: SalesforceClient,
                                            org: SalesforceEmulator) -> None:
    client.limits()

    with pytest.raises(ValidationRejectedError, match=r"INVALID_FIELD|MALFORMED_QUERY"):
        list(client.query("SELECT NoSuchField__c FROM Account"))
    assert org.request_count("GET", QUERY) == 1
