"""Bulk API 2.0 ingest jobs: upserts of more records than sObject Collections should carry.

One job per object: create (``upsert`` by the external id field), upload the CSV, close it,
poll until it is done, then read ``successfulResults`` and ``failedResults`` and match them
back to the records by their external id. Five or six API calls for any number of records
(up to Salesforce's 150 MB per upload). Every call goes through the metered client.
"""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from connector.salesforce.bulk_jobs import JobWaiter
from connector.salesforce.client import RecordError, SalesforceClient, WriteResult

JOBS = "jobs/ingest"
NULL = "#N/A"  # what Bulk CSV takes for "set this field to null"; an empty value is ignored


class BulkUpserts:
    """Upserts records through Bulk API 2.0 ingest jobs.

    Args:
        client: the Salesforce adapter.
        threshold: more pending records of one object than this go through Bulk.
        sleep: waits between job polls (injected so tests do not sleep).
        poll_interval: seconds between polls of a running job.
        timeout: seconds after which a job that has not finished is given up.
    """

    def __init__(self, client: SalesforceClient, threshold: int, *,
                 sleep: Callable[[float], None] = time.sleep, poll_interval: float = 2.0,
                 timeout: float = 1800.0) -> None:
        self.threshold = threshold
        self._client = client
        self._sleep = sleep
        self._poll_interval = poll_interval
        self._timeout = timeout

    def upsert(self, sobject: str, external_id_field: str,
               records: Sequence[dict[str, Any]]) -> list[WriteResult]:
        """Upsert ``records`` by ``external_id_field``; results per record, in order.

        Raises:
            FatalError: Salesforce failed or aborted the job.
            RetriableError: the job did not finish within the timeout.
        """
        job_id = self._create(sobject, external_id_field)
        self._client.request("bulk_upload", "PUT", f"{JOBS}/{job_id}/batches",
                             data=to_csv(records).encode("utf-8"),
                             headers={"Content-Type": "text/csv"})
        self._client.request("bulk_close", "PATCH", f"{JOBS}/{job_id}",
                             json={"state": "UploadComplete"})
        JobWaiter(self._client, JOBS, self._sleep, self._poll_interval,
                  self._timeout).wait(job_id)
        outcomes = self._outcomes(job_id, external_id_field)
        missing = WriteResult(None, False, None, (RecordError(
            "UNPROCESSED", "the Bulk API job did not process this record"),))
        return [outcomes.get(str(r[external_id_field]), missing) for r in records]

    def _create(self, sobject: str, external_id_field: str) -> str:
        answer = self._client.request("bulk_create", "POST", JOBS, json={
            "object": sobject, "operation": "upsert", "externalIdFieldName": external_id_field,
            "contentType": "CSV", "columnDelimiter": "COMMA", "lineEnding": "LF"})
        return str(answer.json()["id"])


    def _outcomes(self, job_id: str, key: str) -> dict[str, WriteResult]:
        found: dict[str, WriteResult] = {}
        done = self._client.request("bulk_results", "GET", f"{JOBS}/{job_id}/successfulResults/")
        for row in csv.DictReader(io.StringIO(done.text)):
            found[row[key]] = WriteResult(row["sf__Id"] or None, True,
                                          row.get("sf__Created") == "true")
        refused = self._client.request("bulk_results", "GET", f"{JOBS}/{job_id}/failedResults/")
        for row in csv.DictReader(io.StringIO(refused.text)):
            code, _, message = row["sf__Error"].partition(":")
            found[row[key]] = WriteResult(row["sf__Id"] or None, False, None,
                                          (RecordError(code, message),))
        return found


def to_csv(records: Sequence[dict[str, Any]]) -> str:
    """The records as Bulk API CSV: one column per field any record has, ``#N/A`` for null."""
    columns = list(dict.fromkeys(name for record in records for name in record))
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for record in records:
        writer.writerow([_text(record[c]) if c in record else "" for c in columns])
    return out.getvalue()


def _text(value: Any) -> str:
    if value is None:
        return NULL
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)
