"""Bulk API 2.0 query jobs: the daemon's way to read more than ``bulk_threshold`` records.

A job is created for the SOQL, polled until ``JobComplete``, and its results are fetched one
CSV page at a time (``maxRecords`` rows, the next page named by ``Sforce-Locator``). Rows are
yielded as they are parsed, so memory holds one page, not the whole result. Every HTTP call
goes through :class:`~connector.salesforce.client.SalesforceClient`, which meters it.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from connector.salesforce.bulk_jobs import JobWaiter
from connector.salesforce.client import SalesforceClient
from connector.salesforce.csv_records import RecordShape
from connector.salesforce.progress import NO_PROGRESS, ReadProgress

JOBS = "jobs/query"
PAGE_ROWS = 50_000


class BulkQueries:
    """Runs Bulk API 2.0 query jobs and streams their rows as REST-shaped records.

    Args:
        client: the Salesforce adapter (meters and retries every call).
        threshold: a read of more records than this goes through Bulk (``bulk_threshold``).
        sleep: waits between job polls (injected so tests do not sleep).
        poll_interval: seconds between polls of a job still running.
        timeout: seconds after which a job that has not finished is given up.
        page_rows: rows per results page.
        describe: where the CSV columns' types are looked up (the engine's cached describes);
            without it each object is described once per instance.
        progress: where large reads report their progress (nothing by default).
    """

    def __init__(self, client: SalesforceClient, threshold: int, *,
                 sleep: Callable[[float], None] = time.sleep, poll_interval: float = 2.0,
                 timeout: float = 1800.0, page_rows: int = PAGE_ROWS,
                 describe: Callable[[str], Mapping[str, Any]] | None = None,
                 progress: ReadProgress = NO_PROGRESS) -> None:
        self.threshold = threshold
        self.progress = progress
        self._client = client
        self._sleep = sleep
        self._poll_interval = poll_interval
        self._timeout = timeout
        self._page_rows = page_rows
        self._describes: dict[str, Mapping[str, Any]] = {}
        self._shared_describe = describe

    def records(self, sobject: str, soql: str,
                include_deleted: bool = False) -> Iterator[dict[str, Any]]:
        """Every record ``soql`` selects, in the query's order, one results page at a time.

        Raises:
            FatalError: Salesforce failed or aborted the job.
            RetriableError: the job did not finish within the timeout.
        """
        job_id = self._create(soql, include_deleted)
        JobWaiter(self._client, JOBS, self._sleep, self._poll_interval,
                  self._timeout).wait(job_id)
        locator: str | None = ""
        while locator is not None:
            text, locator = self._page(job_id, locator)
            yield from self._parse(sobject, text)

    def _create(self, soql: str, include_deleted: bool) -> str:
        operation = "queryAll" if include_deleted else "query"
        answer = self._client.request("bulk_create", "POST", JOBS, json={
            "operation": operation, "query": soql, "contentType": "CSV",
            "columnDelimiter": "COMMA", "lineEnding": "LF"})
        return str(answer.json()["id"])


    def _page(self, job_id: str, locator: str) -> tuple[str, str | None]:
        params: dict[str, str | int] = {"maxRecords": self._page_rows}
        if locator:
            params["locator"] = locator
        answer = self._client.request("bulk_results", "GET", f"{JOBS}/{job_id}/results",
                                      params=params)
        following = answer.headers.get("Sforce-Locator") or "null"
        return answer.text, None if following == "null" else following

    def _parse(self, sobject: str, text: str) -> Iterator[dict[str, Any]]:
        rows = csv.reader(io.StringIO(text))
        header = next(rows, None)
        if header is None:
            return
        shape = RecordShape(sobject, header, self._describe)
        for row in rows:
            yield shape.record(row)

    def _describe(self, sobject: str) -> Mapping[str, Any]:
        if self._shared_describe is not None:
            return self._shared_describe(sobject)
        if sobject not in self._describes:
            self._describes[sobject] = self._client.describe(sobject)
        return self._describes[sobject]
