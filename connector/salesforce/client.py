"""The Salesforce REST adapter: every call the daemon makes to Salesforce goes through here.

It logs in through an :class:`~connector.salesforce.auth.Authenticator`, hands the instance
URL and token to simple-salesforce over an injected ``requests.Session``, logs in again once
on 401 ``INVALID_SESSION_ID``, retries transient failures with the injected policy, counts
every call, reads ``Sforce-Limit-Info`` and refuses to spend more than its budget. Vendor
errors become :mod:`connector.errors` types in :func:`_convert`, and nowhere else.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import requests
import structlog
from simple_salesforce.api import Salesforce
from simple_salesforce.exceptions import SalesforceError, SalesforceExpiredSession

from connector.errors import (
    BudgetExhaustedError,
    ConnectorError,
    FatalError,
    RetriableError,
    ValidationRejectedError,
)
from connector.retry import RetryPolicy
from connector.salesforce import bulk_transport
from connector.salesforce.auth import Authenticator
from connector.salesforce.budget import ApiMeter

__all__ = [
    "ApiMeter", "DeletedWindow", "QueryPage", "RecordError", "SalesforceClient", "SubRequest",
    "SubResponse", "TimeoutSession", "WriteResult", "parse_salesforce_time",
]

T = TypeVar("T")
COLLECTION_LIMIT = 200
COMPOSITE_LIMIT = 25
LOCK_RETRY_BATCHES = (25, 5)  # batch sizes of the retries of records refused for a row lock
LOCKED = "UNABLE_TO_LOCK_ROW"
log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class RecordError:
    """One error Salesforce reported for one record."""

    code: str
    message: str
    fields: tuple[str, ...] = ()


@dataclass(frozen=True)
class SubRequest:
    """One GET inside a composite request: a path under ``/services/data/vXX.X/``."""

    reference: str
    path: str


@dataclass(frozen=True)
class SubResponse:
    """One subrequest's answer: its HTTP status and JSON body (an error array on failure)."""

    reference: str
    status: int
    body: Any

    @property
    def ok(self) -> bool:
        """Whether the subrequest succeeded."""
        return 200 <= self.status < 300


@dataclass(frozen=True)
class QueryPage:
    """One page of a REST query result.

    Attributes:
        records: the page's records, as JSON objects.
        total_size: how many records the whole result holds.
        next_url: the ``nextRecordsUrl`` of the next page; None on the last one.
    """

    records: list[dict[str, Any]]
    total_size: int
    next_url: str | None


@dataclass(frozen=True)
class DeletedWindow:
    """What getDeleted answered for one window.

    Attributes:
        ids: the records deleted in the window.
        earliest: the oldest moment Salesforce still remembers deletions from (15 days back).
        latest_covered: where the next window should start.
    """

    ids: tuple[str, ...]
    earliest: datetime
    latest_covered: datetime


@dataclass(frozen=True)
class WriteResult:
    """The outcome of writing one record, in the order the records were sent."""

    id: str | None
    success: bool
    created: bool | None = None
    errors: tuple[RecordError, ...] = ()

    @property
    def error_summary(self) -> str:
        """The errors as ``CODE: message`` lines, for dead letters and ``Sync_Error__c``."""
        return "; ".join(f"{e.code}: {e.message}" for e in self.errors)


class TimeoutSession(requests.Session):
    """A requests session that never waits forever and keeps the CA bundle it was given.

    simple-salesforce sends requests without a timeout; this puts ``timeout`` seconds on each.
    A CA bundle set on the session (``salesforce.ca_bundle``) wins over ``REQUESTS_CA_BUNDLE``
    and ``CURL_CA_BUNDLE``, which plain requests would let override it.
    """

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def request(self, method: str | bytes, url: str | bytes,
                *args: Any, **kwargs: Any) -> requests.Response:
        """Send the request with the session's timeout unless the caller gave one."""
        kwargs.setdefault("timeout", self._timeout)
        return super().request(method, url, *args, **kwargs)

    def merge_environment_settings(self, url: str | bytes | None, proxies: Any, stream: Any,
                                   verify: Any, cert: Any) -> Any:
        """Proxies and the rest from the environment, but our own CA bundle if we have one."""
        settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if verify is None and isinstance(self.verify, str):
            settings["verify"] = self.verify
        return settings


class SalesforceClient:
    """Typed access to the Salesforce REST API.

    Args:
        authenticator: obtains sessions; called on first use and after a session expires.
        http: the requests session (CA bundle, timeouts); shared with the authenticator.
        api_version: e.g. ``"62.0"``.
        retry: policy for transient failures.
        meter: counts calls and enforces the API budget.
    """

    def __init__(self, authenticator: Authenticator, http: requests.Session, api_version: str,
                 retry: RetryPolicy, meter: ApiMeter) -> None:
        self._authenticator = authenticator
        self._http = http
        self._version = api_version
        self._retry = retry
        self.meter = meter
        self._sf: Salesforce | None = None
        self._lock = threading.Lock()

    @property
    def instance_url(self) -> str:
        """The org's base URL (logs in if needed)."""
        return f"https://{self._connection().sf_instance}"

    def query(self, soql: str, include_deleted: bool = False) -> Iterator[dict[str, Any]]:
        """Yield every record ``soql`` selects, following ``nextRecordsUrl`` page by page."""
        page = self.first_page(soql, include_deleted)
        yield from page.records
        yield from self.rest_of(page)

    def first_page(self, soql: str, include_deleted: bool = False) -> QueryPage:
        """The first page of ``soql``'s result, with the result's total size."""
        raw = self._call("query", lambda sf: sf.query(soql, include_deleted=include_deleted))
        return _page(raw)

    def rest_of(self, page: QueryPage) -> Iterator[dict[str, Any]]:
        """The records of the pages after ``page``, fetched one page at a time."""
        while page.next_url is not None:
            page = _page(self._call("query", functools.partial(_query_more, url=page.next_url)))
            yield from page.records

    def count(self, soql: str) -> int:
        """The ``totalSize`` of a ``SELECT COUNT() ...`` query."""
        return self.first_page(soql).total_size

    def get_deleted(self, sobject: str, start: datetime, end: datetime) -> DeletedWindow:
        """Records of ``sobject`` deleted in ``[start, end)`` (minutes; seconds are dropped)."""
        params = {"start": _replication_time(start), "end": _replication_time(end)}
        raw: dict[str, Any] = self._call("deleted", lambda sf: _rest(
            sf, f"sobjects/{sobject}/deleted/", params=params))
        return DeletedWindow(
            ids=tuple(str(r["id"]) for r in raw.get("deletedRecords", ())),
            earliest=parse_salesforce_time(raw["earliestDateAvailable"]),
            latest_covered=parse_salesforce_time(raw["latestDateCovered"]),
        )

    def request(self, kind: str, method: str, path: str, **kwargs: Any) -> requests.Response:
        """A raw REST call under ``/services/data/vXX.X/`` (Bulk API 2.0 needs CSV bodies)."""
        return self._call(kind, functools.partial(bulk_transport.send, method=method,
                                                  path=path, **kwargs))

    def probe_usage(self) -> None:
        """Read ``/limits`` even when the budget is spent, to learn whether usage has fallen."""
        self._retry.call(lambda: self._attempt("limits", lambda sf: _rest(sf, "limits/"),
                                               checked=False))

    def upsert(self, sobject: str, external_id_field: str,
               records: Sequence[dict[str, Any]]) -> list[WriteResult]:
        """Upsert ``records`` by ``external_id_field`` with sObject Collections, 200 per call.

        Each record must carry its external id value. Results come back per record, in order;
        a failed record does not stop the others (``allOrNone`` is false). Records refused with
        ``UNABLE_TO_LOCK_ROW`` are sent again in smaller batches (up to ``LOCK_RETRIES``
        times) before their failure is reported.
        """
        results = self._upsert_chunks(sobject, external_id_field, records, COLLECTION_LIMIT)
        for size in LOCK_RETRY_BATCHES:
            locked = [i for i, r in enumerate(results) if _only_locked(r)]
            if not locked:
                break
            log.info("retrying locked records in smaller batches", sobject=sobject,
                     records=len(locked), batch=size)
            again = self._upsert_chunks(sobject, external_id_field,
                                        [records[i] for i in locked], size)
            for index, result in zip(locked, again, strict=True):
                results[index] = result
        return results

    def _upsert_chunks(self, sobject: str, external_id_field: str,
                       records: Sequence[dict[str, Any]], size: int) -> list[WriteResult]:
        results: list[WriteResult] = []
        path = f"composite/sobjects/{sobject}/{external_id_field}"
        for start in range(0, len(records), size):
            chunk = [{"attributes": {"type": sobject}, **r} for r in records[start:start + size]]
            body = {"allOrNone": False, "records": chunk}
            raw: list[dict[str, Any]] = self._call("upsert", functools.partial(
                _rest, path=path, method="PATCH", json=body))
            results += [_write_result(item) for item in raw]
        return results

    def describe(self, sobject: str) -> dict[str, Any]:
        """The describe of ``sobject`` (fields, types, picklist values)."""
        result: dict[str, Any] = self._call(
            "describe", lambda sf: _rest(sf, f"sobjects/{sobject}/describe/")
        )
        return result

    def composite(self, requests_: Sequence[SubRequest]) -> list[SubResponse]:
        """Run up to 25 independent GET subrequests (describes, queries) as ONE API call.

        Uses the Composite resource with ``allOrNone`` false, so each subrequest answers on
        its own; at most five may be queries (Salesforce's limit).
        """
        if len(requests_) > COMPOSITE_LIMIT:
            raise ValueError(f"a composite request takes at most {COMPOSITE_LIMIT} subrequests")
        prefix = f"/services/data/v{self._version}/"
        body = {"allOrNone": False, "compositeRequest": [
            {"method": "GET", "url": prefix + r.path, "referenceId": r.reference}
            for r in requests_]}
        raw: dict[str, Any] = self._call("composite", functools.partial(
            _rest, path="composite", method="POST", json=body))
        return [SubResponse(str(item.get("referenceId")), int(item.get("httpStatusCode", 0)),
                            item.get("body")) for item in raw.get("compositeResponse", ())]

    def limits(self) -> dict[str, Any]:
        """The org's ``/limits`` resource."""
        result: dict[str, Any] = self._call("limits", lambda sf: _rest(sf, "limits/"))
        return result

    def _call(self, kind: str, fn: Callable[[Salesforce], T]) -> T:
        return self._retry.call(lambda: self._attempt(kind, fn))

    def _attempt(self, kind: str, fn: Callable[[Salesforce], T], checked: bool = True) -> T:
        if checked:
            self.meter.check()
        sf = self._connection()
        try:
            try:
                return self._metered(kind, sf, fn)
            except SalesforceExpiredSession:
                log.info("salesforce session expired; logging in again")
                return self._metered(kind, self._connection(renew=True), fn)
        except (SalesforceError, requests.RequestException) as exc:
            error = _convert(exc)
            if isinstance(error, BudgetExhaustedError):
                self.meter.mark_exhausted()
            raise error from None

    def _metered(self, kind: str, sf: Salesforce, fn: Callable[[Salesforce], T]) -> T:
        try:
            return fn(sf)
        finally:
            self.meter.record(kind, _usage(sf))

    def _connection(self, renew: bool = False) -> Salesforce:
        with self._lock:
            if self._sf is None or renew:
                session = self._authenticator.login()
                self._sf = Salesforce(
                    instance_url=session.instance_url,
                    session_id=session.access_token.get_secret_value(),
                    session=self._http, version=self._version,
                )
            return self._sf


def _query_more(sf: Salesforce, url: str) -> Any:
    return sf.query_more(url, identifier_is_url=True)


def _rest(sf: Salesforce, path: str, **kwargs: Any) -> Any:
    return sf.restful(path, **kwargs)


def _page(raw: dict[str, Any]) -> QueryPage:
    next_url = None if raw.get("done", True) else str(raw["nextRecordsUrl"])
    return QueryPage(list(raw.get("records", ())), int(raw.get("totalSize", 0)), next_url)


def _replication_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def parse_salesforce_time(value: str) -> datetime:
    """Parse a Salesforce datetime (``2026-11-22T10:00:00.000+0000`` or ``...Z``) as aware UTC.

    Raises:
        ValueError: not such a datetime, or one without a time zone.
    """
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError(f"Salesforce datetime without a time zone: {value!r}")
    return moment.astimezone(UTC)


def _usage(sf: Salesforce) -> tuple[int, int] | None:
    usage = sf.api_usage.get("api-usage")
    return None if usage is None else (int(usage.used), int(usage.total))


def _convert(exc: Exception) -> ConnectorError:
    """Turn a simple-salesforce or requests exception into a connector error."""
    if isinstance(exc, requests.RequestException):
        return RetriableError(f"Salesforce unreachable: {type(exc).__name__}")
    assert isinstance(exc, SalesforceError)
    code, message = _first_error(exc.content)
    status = exc.status
    if status == 403 and code == "REQUEST_LIMIT_EXCEEDED":
        return BudgetExhaustedError(f"Salesforce daily API allocation exhausted: {message}")
    if status >= 500 or code in {"SERVER_UNAVAILABLE", "UNABLE_TO_LOCK_ROW"}:
        return RetriableError(f"Salesforce {status} {code}: {message}")
    if status in (400, 404):
        return ValidationRejectedError(f"Salesforce {status} {code}: {message}", code=code)
    return FatalError(f"Salesforce {status} {code}: {message}")


def _first_error(content: Any) -> tuple[str, str]:
    if isinstance(content, list) and content and isinstance(content[0], dict):
        first = content[0]
        return str(first.get("errorCode", "UNKNOWN")), str(first.get("message", ""))
    return "UNKNOWN", str(content)[:500]


def _only_locked(result: WriteResult) -> bool:
    return not result.success and bool(result.errors) \
        and all(e.code == LOCKED for e in result.errors)


def _write_result(item: dict[str, Any]) -> WriteResult:
    errors = tuple(
        RecordError(e.get("statusCode", "UNKNOWN"), e.get("message", ""),
                    tuple(e.get("fields", ())))
        for e in item.get("errors", ())
    )
    return WriteResult(item.get("id"), bool(item.get("success")), item.get("created"), errors)
