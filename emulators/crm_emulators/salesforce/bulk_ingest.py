"""Bulk API 2.0 ingest jobs: create, upload CSV, close, poll, fetch the results.

``POST /jobs/ingest`` opens a job (``insert``, ``update``, ``upsert`` with
``externalIdFieldName``, or ``delete``); ``PUT /jobs/ingest/{id}/batches`` uploads CSV;
``PATCH /jobs/ingest/{id}`` with ``{"state": "UploadComplete"}`` closes it, and the emulator
processes it at once, so the next ``GET /jobs/ingest/{id}`` says ``JobComplete``.
``successfulResults/`` answers CSV rows ``sf__Id, sf__Created, <uploaded columns>`` and
``failedResults/`` ``sf__Id, sf__Error, <uploaded columns>`` with ``sf__Error`` as
``CODE:message``. In the CSV an empty value leaves a field as it is and ``#N/A`` empties it,
as in Salesforce. Rows fail one by one (validation, picklists, duplicates,
:meth:`~crm_emulators.salesforce.faults.Faults.reject_record`); the others are written.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from crm_emulators.salesforce.errors import ApiError, duplicate_external_id
from crm_emulators.salesforce.gateway import Call, json_object
from crm_emulators.salesforce.state import BulkIngestJob
from crm_emulators.salesforce.upserts import (
    MultipleMatchesError,
    key_field,
    repeated_keys,
    upsert,
)
from crm_emulators.salesforce.values import format_datetime

JOB_PREFIX = "750"
OPERATIONS = ("insert", "update", "upsert", "delete")
NULL = "#N/A"


async def create_job(request: Request, call: Call) -> Response:
    """Open an ingest job."""
    body = await json_object(request)
    operation = str(body.get("operation", ""))
    if operation not in OPERATIONS:
        raise ApiError(400, "INVALIDJOB", f"Invalid operation: {operation}")
    spec = call.org.store.spec(str(body.get("object", "")))
    external = body.get("externalIdFieldName")
    if operation == "upsert":
        external = key_field(spec, str(external or "")).name
    job = BulkIngestJob(call.org.ids.next(JOB_PREFIX), operation, spec.name,
                        str(external) if external else None, call.user_id,
                        format_datetime(call.org.clock.now().replace(microsecond=0)),
                        call.version)
    call.org.ingest_jobs[job.id] = job
    return JSONResponse(_describe(job))


async def upload(request: Request, call: Call) -> Response:
    """Add CSV data to an open job."""
    job = _job(request, call)
    if job.state != "Open":
        raise ApiError(409, "INVALIDJOBSTATE", f"Job {job.id} is {job.state}; uploads need Open")
    job.uploads.append((await request.body()).decode("utf-8"))
    return Response(status_code=201)


async def change_state(request: Request, call: Call) -> Response:
    """Close (``UploadComplete``, then processed at once) or abort a job."""
    job = _job(request, call)
    wanted = str((await json_object(request)).get("state", ""))
    if wanted == "Aborted":
        job.state = "Aborted"
    elif wanted == "UploadComplete" and job.state == "Open":
        _process(job, call)
        job.state = "JobComplete"
    else:
        raise ApiError(400, "INVALIDJOBSTATE", f"Cannot change job {job.id} from {job.state} "
                       f"to {wanted}")
    return JSONResponse(_describe(job))


async def job_status(request: Request, call: Call) -> Response:
    """The job's state and counts."""
    return JSONResponse(_describe(_job(request, call)))


async def successful(request: Request, call: Call) -> Response:
    """CSV of the rows written."""
    job = _job(request, call)
    rows = [[i, "true" if created else "false", *row] for i, created, row in job.succeeded]
    return _csv(["sf__Id", "sf__Created", *job.columns], rows)


async def failed(request: Request, call: Call) -> Response:
    """CSV of the rows refused, each with its error."""
    job = _job(request, call)
    return _csv(["sf__Id", "sf__Error", *job.columns],
                [[i, error, *row] for i, error, row in job.failed])


def _process(job: BulkIngestJob, call: Call) -> None:
    for text in job.uploads:
        rows = list(csv.reader(io.StringIO(text)))
        header, rows = (rows[0], rows[1:]) if rows else ([], [])
        job.columns = job.columns or header
        repeated = _repeated(job, header, rows)
        for row in rows:
            values = dict(zip(header, row, strict=True))
            key = values.get(job.external_id_field or "")
            if key is not None and key.lower() in repeated:
                error = duplicate_external_id(str(job.external_id_field), key)
                job.failed.append(("", f"{error.code}:{error.message}", row))
                continue
            _write_row(job, call, values, row)


def _repeated(job: BulkIngestJob, header: list[str], rows: list[list[str]]) -> set[str]:
    """External ids named twice in one upload: Salesforce refuses every row carrying one."""
    if job.operation != "upsert" or job.external_id_field not in header:
        return set()
    column = header.index(str(job.external_id_field))
    return repeated_keys(row[column] for row in rows)


def _write_row(job: BulkIngestJob, call: Call, values: dict[str, str], row: list[str]) -> None:
    fields: dict[str, Any] = {k: None if v == NULL else v for k, v in values.items() if v != ""}
    rejection = call.org.faults.rejection(fields)
    if rejection is not None:
        job.failed.append(("", f"{rejection['statusCode']}:{rejection['message']}", row))
        return
    try:
        record_id, created = _write(job, call, fields)
    except ApiError as error:
        job.failed.append((str(fields.get("Id") or ""), f"{error.code}:{error.message}", row))
    except MultipleMatchesError as multiple:
        detail = multiple.record_error()
        job.failed.append(("", f"{detail['statusCode']}:{detail['message']}", row))
    else:
        job.succeeded.append((record_id, created, row))


def _write(job: BulkIngestJob, call: Call, fields: dict[str, Any]) -> tuple[str, bool]:
    store = call.org.store
    if job.operation == "insert":
        return str(store.insert(job.sobject, fields, call.user_id)["Id"]), True
    if job.operation == "delete":
        return str(store.delete(job.sobject, str(fields.get("Id")), call.user_id)["Id"]), False
    if job.operation == "update":
        changes = {k: v for k, v in fields.items() if k != "Id"}
        return str(store.update(job.sobject, str(fields.get("Id")), changes,
                                call.user_id)["Id"]), False
    spec = store.spec(job.sobject)
    field = key_field(spec, job.external_id_field or "Id")
    store.deserialize(spec.name, fields)
    outcome = upsert(store, spec, field, fields.get(field.name), fields=fields,
                     user_id=call.user_id)
    return outcome.id, outcome.created


def _describe(job: BulkIngestJob) -> dict[str, Any]:
    return {"id": job.id, "operation": job.operation, "object": job.sobject,
            "externalIdFieldName": job.external_id_field, "createdById": job.created_by,
            "createdDate": job.created_date, "systemModstamp": job.created_date,
            "state": job.state, "concurrencyMode": "Parallel", "contentType": "CSV",
            "apiVersion": float(job.api_version), "lineEnding": "LF",
            "columnDelimiter": "COMMA", "jobType": "V2Ingest",
            "numberRecordsProcessed": len(job.succeeded) + len(job.failed),
            "numberRecordsFailed": len(job.failed)}


def _job(request: Request, call: Call) -> BulkIngestJob:
    job = call.org.ingest_jobs.get(request.path_params["job_id"])
    if job is None:
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
    return job


def _csv(header: list[str], rows: list[list[Any]]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(header)
    writer.writerows(rows)
    return Response(out.getvalue(), media_type="text/csv")
