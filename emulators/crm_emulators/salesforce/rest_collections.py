"""sObject Collections, ``/composite/sobjects``: up to 200 records in one API call.

``POST`` creates, ``PATCH`` updates, ``DELETE ?ids=`` deletes and
``PATCH /composite/sobjects/{type}/{field}`` upserts by external id. Results come back per
record, in order, as ``{"id", "success", "errors": [{"statusCode", "message", "fields"}]}``
(upserts add ``created``). With ``allOrNone`` a single failure rolls the whole batch back and
every other record reports ``ALL_OR_NONE_OPERATION_ROLLED_BACK``. Bodies are read (types,
unknown fields) before anything is written, so an unreadable record fails the whole request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from crm_emulators.salesforce import errors, ids
from crm_emulators.salesforce.errors import ApiError, duplicate_external_id
from crm_emulators.salesforce.faults import Faults
from crm_emulators.salesforce.gateway import Call, json_object
from crm_emulators.salesforce.record_store import Store
from crm_emulators.salesforce.upserts import (
    MultipleMatchesError,
    key_field,
    repeated_keys,
    upsert,
)

LIMIT = 200
Result = dict[str, Any]
Write = Callable[[dict[str, Any]], Result]
ROLLED_BACK = {"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
               "message": "Record rolled back because not all records were valid and the "
                          "request was using AllOrNone header", "fields": []}


async def collection(request: Request, call: Call) -> Response:
    """``POST`` (create), ``PATCH`` (update) or ``DELETE`` (delete) ``/composite/sobjects``."""
    store = call.org.store
    if request.method == "DELETE":
        targets = [i for i in request.query_params.get("ids", "").split(",") if i]
        _check_size(targets)
        all_or_none = request.query_params.get("allOrNone", "false").lower() == "true"
        return _run(store, [{"Id": i} for i in targets], lambda r: _delete(store, r, call),
                    all_or_none, call.org.faults)
    body = await json_object(request)
    records = _records(body)
    _read_ahead(store, records)
    write = (lambda r: _create(store, r, call)) if request.method == "POST" \
        else (lambda r: _update(store, r, call))
    return _run(store, records, write, bool(body.get("allOrNone")), call.org.faults)


async def collection_upsert(request: Request, call: Call) -> Response:
    """``PATCH /composite/sobjects/{type}/{field}``: upsert by external id."""
    store = call.org.store
    spec = store.spec(request.path_params["sobject"])
    field = key_field(spec, request.path_params["field"])
    body = await json_object(request)
    records = _records(body)
    for record in records:
        store.deserialize(spec.name, record)

    def key_of(record: dict[str, Any]) -> Any:
        return next((v for k, v in record.items() if k.lower() == field.name.lower()), None)

    repeated = repeated_keys(key_of(r) for r in records)

    def write(record: dict[str, Any]) -> Result:
        key = key_of(record)
        if key is not None and str(key).lower() in repeated:
            raise duplicate_external_id(field.name, key)
        outcome = upsert(store, spec, field, key, fields=record, user_id=call.user_id)
        return {"id": outcome.id, "success": True, "errors": [], "created": outcome.created}

    return _run(store, records, write, bool(body.get("allOrNone")), call.org.faults)


def _run(store: Store, records: list[dict[str, Any]], write: Write, all_or_none: bool,
         faults: Faults) -> Response:
    with store.lock:
        before = store.snapshot() if all_or_none else None
        results = [_attempt(_rejecting(faults, write), record) for record in records]
        if before is not None and not all(r["success"] for r in results):
            store.restore(before)
            results = [_rolled_back(r, record) for r, record in zip(results, records, strict=True)]
    return JSONResponse(results)


def _rejecting(faults: Faults, write: Write) -> Write:
    """``write``, unless :meth:`Faults.reject_record` says the record fails."""
    def attempt(record: dict[str, Any]) -> Result:
        error = faults.rejection(record)
        if error is None:
            return write(record)
        return {"success": False, "errors": [error]}
    return attempt


def _attempt(write: Write, record: dict[str, Any]) -> Result:
    try:
        return write(record)
    except ApiError as error:
        failed: Result = {"success": False, "errors": [error.record_error()]}
    except MultipleMatchesError as multiple:
        failed = {"success": False, "errors": [multiple.record_error()]}
    if record.get("Id"):
        failed = {"id": record["Id"], **failed}
    return failed


def _rolled_back(result: Result, record: dict[str, Any]) -> Result:
    """A succeeded record's result once the batch is undone (ids only for records that
    existed before)."""
    if not result["success"]:
        return result
    kept = {"id": record["Id"]} if record.get("Id") else {}
    return {**kept, "success": False, "errors": [ROLLED_BACK]}


def _create(store: Store, record: dict[str, Any], call: Call) -> Result:
    if record.get("Id"):
        raise ApiError(400, "INVALID_FIELD", "cannot specify Id in an insert call", ("Id",))
    created = store.insert(_type_of(record), record, call.user_id)
    return {"id": created["Id"], "success": True, "errors": []}


def _update(store: Store, record: dict[str, Any], call: Call) -> Result:
    record_id = record.get("Id")
    if not record_id:
        raise ApiError(400, "MISSING_ARGUMENT", "Id not specified in an update call", ("Id",))
    fields = {k: v for k, v in record.items() if k != "Id"}
    updated = store.update(_type_of(record), str(record_id), fields, call.user_id)
    return {"id": updated["Id"], "success": True, "errors": []}


def _delete(store: Store, record: dict[str, Any], call: Call) -> Result:
    record_id = str(record["Id"])
    canonical = ids.canonical(record_id)
    spec = store.schema.by_prefix(ids.key_prefix(canonical)) if canonical else None
    if canonical is None or spec is None:
        raise ApiError(400, "MALFORMED_ID", f"malformed id {record_id}")
    found = store.get(spec.name, canonical)
    if found is None:
        raise errors.dangling_reference("Id")
    deleted = store.delete(spec.name, canonical, call.user_id)
    return {"id": deleted["Id"], "success": True, "errors": []}


def _type_of(record: dict[str, Any]) -> str:
    kind = (record.get("attributes") or {}).get("type")
    if not kind:
        raise ApiError(400, "INVALID_TYPE", "Must send a concrete entity type.")
    return str(kind)


def _records(body: dict[str, Any]) -> list[dict[str, Any]]:
    records = body.get("records")
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise errors.json_parser_error("records must be a JSON array of sObjects")
    _check_size(records)
    return records


def _read_ahead(store: Store, records: list[dict[str, Any]]) -> None:
    """Read every record as the deserializer would before writing any (unknown objects are
    left for the per-record result)."""
    for record in records:
        kind = (record.get("attributes") or {}).get("type")
        if kind and store.schema.find(str(kind)) is not None:
            store.deserialize(str(kind), {k: v for k, v in record.items() if k != "Id"})


def _check_size(items: list[Any]) -> None:
    if len(items) > LIMIT:
        raise ApiError(400, "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more "
                       f"than {LIMIT} records into this call")
