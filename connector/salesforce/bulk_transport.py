"""The raw REST transport Bulk API 2.0 needs (CSV bodies and answers, ``Sforce-Locator``).

simple-salesforce's public :meth:`~simple_salesforce.api.Salesforce.restful` parses every
answer as JSON, which a Bulk CSV result is not. :func:`send` makes the same single request
``restful`` would, through the connection's public parts: its ``requests`` session, its
headers (the bearer token) and its base URL. Like simple-salesforce it raises the
:class:`~simple_salesforce.exceptions.SalesforceError` subclass of an error answer
(``exception_handler``) and keeps ``Sforce-Limit-Info`` in ``api_usage``, so the caller's
error conversion and API metering see what they see for every other call. It never retries
and never logs in again: the caller does both, and counts one call per request.
"""

from __future__ import annotations

from typing import Any

import requests
from simple_salesforce.api import Salesforce
from simple_salesforce.util import exception_handler

LIMIT_INFO = "Sforce-Limit-Info"


def send(sf: Salesforce, method: str, path: str, *, headers: dict[str, str] | None = None,
         **kwargs: Any) -> requests.Response:
    """One request to ``path`` under the connection's ``/services/data/vXX.X/``.

    Args:
        sf: the logged-in connection.
        method: the HTTP method.
        path: relative to ``sf.base_url`` (``jobs/query/<id>/results``).
        headers: extra headers (a CSV ``Content-Type``), over the connection's own.
        **kwargs: what ``requests`` takes (``json``, ``data``, ``params``).

    Raises:
        SalesforceError: an answer of status 300 or more (its subclass by status).
        requests.RequestException: the request did not get an answer.
    """
    answer = sf.session.request(method, sf.base_url + path,
                                headers={**sf.headers, **(headers or {})}, **kwargs)
    if answer.status_code >= 300:
        exception_handler(answer, name=path)
    limit_info = answer.headers.get(LIMIT_INFO)
    if limit_info:
        sf.api_usage = Salesforce.parse_api_usage(limit_info)
    return answer
