"""Bulk API 2.0 query jobs: ``POST /jobs/query``, ``GET /jobs/query/{id}`` and
``GET /jobs/query/{id}/results`` (CSV pages with ``Sforce-Locator``).

The emulator runs the query when the job is created, so the job is ``UploadComplete`` in the
creation answer and ``JobComplete`` afterwards. Results are CSV with every value quoted, one
column per selected path (``Account.Name`` for a parent field), pages of ``maxRecords`` rows;
``Sforce-Locator`` names the next page or is ``null`` on the last one.
"""

from __future__ import annotations

import base64
import csv
import io
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from crm_emulators.salesforce import soql
from crm_emulators.salesforce.errors import ApiError
from crm_emulators.salesforce.gateway import Call, json_object
from crm_emulators.salesforce.state import BulkQueryJob
from crm_emulators.salesforce.values import format_datetime

JOB_PREFIX = "750"
DEFAULT_PAGE = 50_000  # rows per results page when the client does not say


async def create_job(request: Request, call: Call) -> Response:
    """Create (and run) a query job."""
    body = await json_object(request)
    operation = str(body.get("operation", ""))
    if operation not in ("query", "queryAll"):
        raise ApiError(400, "INVALIDJOB", f"Invalid operation: {operation}")
    store = call.org.store
    parsed = soql.parse(str(body.get("query", "")), store.schema.infos())
    with store.lock:
        rows = soql.execute(parsed, store, include_deleted=operation == "queryAll",
                            api_version=call.version, clock=call.org.clock)
    columns = [".".join([*(hop.name for hop in path.hops), path.field.name])
               for path in parsed.fields]
    job = BulkQueryJob(call.org.ids.next(JOB_PREFIX), operation, parsed.sobject, call.user_id,
                       format_datetime(call.org.clock.now().replace(microsecond=0)),
                       call.version, columns, rows)
    call.org.jobs[job.id] = job
    return JSONResponse(_describe(job, "UploadComplete"))


async def job_status(request: Request, call: Call) -> Response:
    """The job's state (always ``JobComplete`` once created)."""
    job = _job(request, call)
    return JSONResponse({**_describe(job, "JobComplete"), "numberRecordsProcessed": len(job.rows),
                         "retries": 0, "totalProcessingTime": 0})


async def job_results(request: Request, call: Call) -> Response:
    """One CSV page of the job's rows."""
    job = _job(request, call)
    start = _offset(request.query_params.get("locator") or "")
    size = int(request.query_params.get("maxRecords") or DEFAULT_PAGE)
    chunk = job.rows[start:start + size]
    more = start + size < len(job.rows)
    return Response(_csv(job.columns, chunk), media_type="text/csv", headers={
        "Sforce-Locator": _locator(start + size) if more else "null",
        "Sforce-NumberOfRecords": str(len(chunk)),
    })


def _describe(job: BulkQueryJob, state: str) -> dict[str, Any]:
    return {"id": job.id, "operation": job.operation, "object": job.sobject,
            "createdById": job.created_by, "createdDate": job.created_date,
            "systemModstamp": job.created_date, "state": state,
            "concurrencyMode": "Parallel", "contentType": "CSV",
            "apiVersion": float(job.api_version), "lineEnding": "LF", "columnDelimiter": "COMMA"}


def _job(request: Request, call: Call) -> BulkQueryJob:
    job = call.org.jobs.get(request.path_params["job_id"])
    if job is None:
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
    return job


def _locator(offset: int) -> str:
    """Real locators are opaque; these encode the next row's offset."""
    return base64.b64encode(str(offset).encode()).decode().rstrip("=")


def _offset(locator: str) -> int:
    if not locator:
        return 0
    try:
        return int(base64.b64decode(locator + "=" * (-len(locator) % 4)).decode())
    except ValueError:
        raise ApiError(400, "INVALID_LOCATOR", f"Invalid locator: {locator}") from None


def _csv(columns: list[str], rows: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_text(_value(row, column)) for column in columns])
    return out.getvalue()


def _value(row: dict[str, Any], column: str) -> Any:
    value: Any = row
    for part in column.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
