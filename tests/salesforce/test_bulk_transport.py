"""The Bulk transport: one request through the connection's public parts, errors and API
usage as simple-salesforce reports them for its own calls."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from connector.salesforce import bulk_transport


class _Recording(requests.Session):
    """A session that answers every request with ``answer`` and keeps what was sent."""

    def __init__(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        super().__init__()
        self.sent: list[tuple[str, str, dict[str, Any]]] = []
        self._answer = (status, body, headers)

    def request(self, method: str | bytes, url: str | bytes, *args: Any,
                **kwargs: Any) -> requests.Response:
        self.sent.append((str(method), str(url), kwargs))
        response = requests.Response()
        response.status_code, response._content, headers = self._answer
        response.headers.update(headers)
        response.url = str(url)
        return response


def _connection(session: requests.Session) -> Salesforce:
    return Salesforce(instance_url="https://org.example.invalid", session_id="token-1",
                      session=session, version="62.0")


def test_a_csv_answer_comes_back_as_sent_with_the_usage_read() -> None:
    session = _Recording(200, b"Id,Name\n001,Acme\n",
                         {"Sforce-Locator": "null", "Sforce-Limit-Info": "api-usage=17/15000"})
    sf = _connection(session)

    answer = bulk_transport.send(sf, "PUT", "jobs/ingest/750/batches", data="Id\n001\n",
                                 headers={"Content-Type": "text/csv"})

    assert answer.text == "Id,Name\n001,Acme\n"
    [(method, url, kwargs)] = session.sent
    assert (method, url) == ("PUT",
                             "https://org.example.invalid/services/data/v62.0/jobs/ingest/750/batches")
    assert kwargs["headers"]["Authorization"] == "Bearer token-1"
    assert kwargs["headers"]["Content-Type"] == "text/csv"
    assert kwargs["data"] == "Id\n001\n"
    usage = sf.api_usage["api-usage"]
    assert (usage.used, usage.total) == (17, 15000)


def test_an_error_answer_raises_simple_salesforces_error_for_its_status() -> None:
    session = _Recording(400, b'[{"errorCode": "INVALIDJOB", "message": "no such job"}]',
                         {"Content-Type": "application/json"})

    with pytest.raises(SalesforceMalformedRequest) as raised:
        bulk_transport.send(_connection(session), "GET", "jobs/query/750")

    assert raised.value.content == [{"errorCode": "INVALIDJOB", "message": "no such job"}]
    assert len(session.sent) == 1
