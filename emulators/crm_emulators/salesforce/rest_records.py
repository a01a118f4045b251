"""sObject rows: create, read, update, delete, and read or upsert by external id.

``POST /sobjects/{type}`` answers 201 ``{"id", "success", "errors"}``; ``PATCH`` and
``DELETE`` on ``/sobjects/{type}/{id}`` answer 204. ``PATCH /sobjects/{type}/{field}/{value}``
upserts: 201 with ``"created": true`` or 200 with ``"created": false`` (API 46.0 and later),
300 with the matching records' URLs when the value is not unique.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from crm_emulators.salesforce import errors
from crm_emulators.salesforce.gateway import Call, json_object
from crm_emulators.salesforce.objects import ObjectSpec
from crm_emulators.salesforce.record_store import Record
from crm_emulators.salesforce.upserts import MultipleMatchesError, key_field, matches, upsert


async def create(request: Request, call: Call) -> Response:
    """``POST /sobjects/{type}``."""
    store = call.org.store
    record = store.insert(request.path_params["sobject"], await json_object(request),
                          call.user_id)
    return JSONResponse({"id": record["Id"], "success": True, "errors": []}, status_code=201)


async def row(request: Request, call: Call) -> Response:
    """``GET``, ``PATCH`` or ``DELETE /sobjects/{type}/{id}``."""
    store = call.org.store
    spec = store.spec(request.path_params["sobject"])
    record_id = request.path_params["record_id"]
    if request.method == "GET":
        record = store.locate(spec.name, record_id)
        return JSONResponse(shape(spec, record, _fields(request, spec), call.version))
    if request.method == "DELETE":
        store.delete(spec.name, record_id, call.user_id)
    else:
        store.update(spec.name, record_id, await json_object(request), call.user_id)
    return Response(status_code=204)


async def by_external_id(request: Request, call: Call) -> Response:
    """``GET`` (read) or ``PATCH`` (upsert) ``/sobjects/{type}/{field}/{value}``."""
    store = call.org.store
    spec = store.spec(request.path_params["sobject"])
    field = key_field(spec, request.path_params["field"])
    key = request.path_params["value"]
    try:
        if request.method == "GET":
            found = matches(store, spec, field, key)
            if len(found) > 1:
                raise MultipleMatchesError(field.name, [r["Id"] for r in found])
            if not found:
                raise errors.no_such_resource()
            return JSONResponse(shape(spec, found[0], _fields(request, spec), call.version))
        outcome = upsert(store, spec, field, key, fields=await json_object(request),
                         user_id=call.user_id)
    except MultipleMatchesError as multiple:
        return JSONResponse([record_url(spec.name, i, call.version) for i in multiple.ids],
                            status_code=300)
    return JSONResponse({"id": outcome.id, "success": True, "errors": [],
                         "created": outcome.created},
                        status_code=201 if outcome.created else 200)


def record_url(sobject: str, record_id: str, version: str) -> str:
    """The REST path of one record."""
    return f"/services/data/v{version}/sobjects/{sobject}/{record_id}"


def shape(spec: ObjectSpec, record: Record, names: list[str], version: str) -> dict[str, Any]:
    """``record`` as the REST API returns it: ``attributes`` then the fields."""
    return {"attributes": {"type": spec.name, "url": record_url(spec.name, record["Id"], version)},
            **{name: record.get(name) for name in names}}


def _fields(request: Request, spec: ObjectSpec) -> list[str]:
    wanted = request.query_params.get("fields")
    if not wanted:
        return list(spec.fields)
    names = []
    for text in (part.strip() for part in wanted.split(",") if part.strip()):
        field = spec.field(text)
        if field is None:
            raise errors.invalid_field(spec.name, text)
        names.append(field.name)
    return names
