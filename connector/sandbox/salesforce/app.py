"""The REST API of the emulated org, as a Starlette app.

Covers what the connector and simple-salesforce use: OAuth token grants, query/queryAll with
``nextRecordsUrl`` pages, sObject CRUD and upsert by external id, sObject Collections,
getUpdated/getDeleted, describe, ``/limits`` and Bulk API 2.0 query jobs. Every API response
carries ``Sforce-Limit-Info``; errors are Salesforce's JSON error arrays.
"""

from __future__ import annotations

import csv
import functools
import io
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

import jwt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from connector.sandbox.salesforce import soql
from connector.sandbox.salesforce.org import Org
from connector.sandbox.salesforce.schema import as_object_infos
from connector.sandbox.salesforce.store import ApiError, Record, format_datetime

COLLECTION_LIMIT = 200
DATA = "/services/data/v{version}"
Endpoint = Callable[[Request, Org, str], Awaitable[Response]]


def build_app(org: Org) -> Starlette:
    """The ASGI app serving ``org``."""
    infos = as_object_infos(org.store.schema)

    def api(endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
        async def handle(request: Request) -> Response:
            org.request_log.append((request.method, request.url.path))
            try:
                failure = org.faults.pick()
                if failure is not None:
                    raise ApiError(failure, "SERVER_UNAVAILABLE", "Service temporarily "
                                   "unavailable (emulated fault)")
                user = org.authenticate(request.headers.get("authorization"))
                org.spend()
                response = await endpoint(request, org, user)
            except ApiError as error:
                response = JSONResponse([error.body()], status_code=error.status)
            except soql.SoqlError as error:
                response = JSONResponse([{"message": error.message,
                                          "errorCode": error.error_code}], status_code=400)
            response.headers["Sforce-Limit-Info"] = (
                f"api-usage={org.api_usage}/{org.daily_api_limit}")
            return response
        return handle

    async def query(request: Request, org: Org, user: str) -> Response:
        return _first_page(request, org, infos, include_deleted=False)

    async def query_all(request: Request, org: Org, user: str) -> Response:
        return _first_page(request, org, infos, include_deleted=True)

    async def bulk_create(request: Request, org: Org, user: str) -> Response:
        body = await request.json()
        parsed = soql.parse(str(body.get("query", "")), infos)
        records = soql.execute(parsed, org.store, include_deleted=body.get("operation")
                               == "queryAll", clock=org.clock)
        job_id = org.new_id("750")
        org.jobs[job_id] = {"records": records, "fields": [p for p in _columns(records)],
                            "object": parsed.sobject, "operation": body.get("operation")}
        return JSONResponse(_job(org, job_id, "UploadComplete"))

    async def token(request: Request) -> Response:
        return await _token(request, org)

    async def versions(request: Request) -> Response:
        return await _versions(request, org)

    routes = [
        Route("/services/oauth2/token", token, methods=["POST"]),
        Route("/services/data/", versions, methods=["GET"]),
        Route(DATA + "/limits/", api(_limits), methods=["GET"]),
        Route(DATA + "/limits", api(_limits), methods=["GET"]),
        Route(DATA + "/query/", api(query), methods=["GET"]),
        Route(DATA + "/query", api(query), methods=["GET"]),
        Route(DATA + "/queryAll/", api(query_all), methods=["GET"]),
        Route(DATA + "/queryAll", api(query_all), methods=["GET"]),
        Route(DATA + "/query/{locator}", api(_next_page), methods=["GET"]),
        Route(DATA + "/queryAll/{locator}", api(_next_page), methods=["GET"]),
        Route(DATA + "/sobjects/", api(_global_describe), methods=["GET"]),
        Route(DATA + "/sobjects", api(_global_describe), methods=["GET"]),
        Route(DATA + "/sobjects/{sobject}/describe/", api(_describe), methods=["GET"]),
        Route(DATA + "/sobjects/{sobject}/describe", api(_describe), methods=["GET"]),
        Route(DATA + "/sobjects/{sobject}/updated/", api(_updated), methods=["GET"]),
        Route(DATA + "/sobjects/{sobject}/deleted/", api(_deleted), methods=["GET"]),
        Route(DATA + "/sobjects/{sobject}/", api(_create), methods=["POST"]),
        Route(DATA + "/sobjects/{sobject}", api(_create), methods=["POST"]),
        Route(DATA + "/sobjects/{sobject}/{record_id}", api(_record),
              methods=["GET", "PATCH", "DELETE"]),
        Route(DATA + "/sobjects/{sobject}/{field}/{value}", api(_upsert_one),
              methods=["PATCH"]),
        Route(DATA + "/composite/sobjects", api(_collection), methods=["POST", "PATCH", "DELETE"]),
        Route(DATA + "/composite/sobjects/{sobject}/{field}", api(_collection_upsert),
              methods=["PATCH"]),
        Route(DATA + "/jobs/query", api(bulk_create), methods=["POST"]),
        Route(DATA + "/jobs/query/{job_id}", api(_bulk_status), methods=["GET"]),
        Route(DATA + "/jobs/query/{job_id}/results", api(_bulk_results), methods=["GET"]),
    ]
    return Starlette(routes=routes)


# -- OAuth -----------------------------------------------------------------------------------

async def _token(request: Request, org: Org) -> Response:
    org.request_log.append((request.method, request.url.path))
    form = dict(parse_qsl((await request.body()).decode()))
    grant = form.get("grant_type", "")
    app = org.apps.get(form.get("client_id", ""))
    try:
        if grant == "password":
            user_id = _password_grant(org, app, form)
        elif grant == "client_credentials":
            user_id = _client_credentials_grant(org, app, form)
        elif grant == "urn:ietf:params:oauth:grant-type:jwt-bearer":
            user_id = _jwt_grant(org, form.get("assertion", ""))
        else:
            return _oauth_error("unsupported_grant_type", "grant type not supported")
    except PermissionError as refused:
        error, description = refused.args
        return _oauth_error(error, description)
    issued = str(int(org.clock.now().timestamp() * 1000))
    return JSONResponse({
        "access_token": org.issue(user_id), "instance_url": org.url,
        "id": f"{org.url}/id/00D000000000001AAA/{user_id}", "token_type": "Bearer",
        "issued_at": issued, "signature": "emulated", "scope": "api",
    })


def _password_grant(org: Org, app: Any, form: dict[str, str]) -> str:
    if app is None or app.client_secret != form.get("client_secret"):
        raise PermissionError("invalid_client", "invalid client credentials")
    known = org.users.get(form.get("username", ""))
    if known is None or known[0] != form.get("password"):
        raise PermissionError("invalid_grant", "authentication failure")
    return known[1]


def _client_credentials_grant(org: Org, app: Any, form: dict[str, str]) -> str:
    if app is None or app.client_secret != form.get("client_secret"):
        raise PermissionError("invalid_client", "invalid client credentials")
    if app.run_as_username not in org.users:
        raise PermissionError("invalid_grant", "no client credentials user enabled")
    return org.users[app.run_as_username][1]


def _jwt_grant(org: Org, assertion: str) -> str:
    try:
        unverified = jwt.decode(assertion, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise PermissionError("invalid_grant", "invalid assertion") from None
    app = org.apps.get(str(unverified.get("iss", "")))
    if app is None or app.jwt_public_key_pem is None:
        raise PermissionError("invalid_client_id", "client identifier invalid")
    audiences = [org.url, "https://login.salesforce.com", "https://test.salesforce.com"]
    try:
        claims = jwt.decode(assertion, app.jwt_public_key_pem, algorithms=["RS256"],
                            audience=audiences)
    except jwt.PyJWTError as exc:
        raise PermissionError("invalid_grant", f"invalid assertion: {exc}") from None
    known = org.users.get(str(claims.get("sub", "")))
    if known is None:
        raise PermissionError("invalid_grant", "user hasn't approved this consumer")
    return known[1]


def _oauth_error(error: str, description: str) -> Response:
    return JSONResponse({"error": error, "error_description": description}, status_code=400)


async def _versions(request: Request, org: Org) -> Response:
    return JSONResponse([{"label": f"v{v}", "url": f"/services/data/v{v}.0", "version": f"{v}.0"}
                         for v in range(50, 67)])


# -- queries ---------------------------------------------------------------------------------

def _first_page(request: Request, org: Org, infos: Any, include_deleted: bool) -> Response:
    text = request.query_params.get("q")
    if not text:
        raise ApiError(400, "MALFORMED_QUERY", "A query string has to be specified")
    parsed = soql.parse(text, infos)
    version = request.path_params["version"]
    if parsed.is_count:
        total = soql.count(parsed, org.store, include_deleted=include_deleted, clock=org.clock)
        return JSONResponse({"totalSize": total, "done": True, "records": []})
    with org.store.lock:
        records = soql.execute(parsed, org.store, include_deleted=include_deleted,
                               api_version=version, clock=org.clock)
    return JSONResponse(_page(org, records, 0, version, len(records)))


async def _next_page(request: Request, org: Org, user: str) -> Response:
    locator, _, offset = request.path_params["locator"].partition("-")
    records = org.cursors.get(locator)
    if records is None or not offset.isdigit():
        raise ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    return JSONResponse(_page(org, records, int(offset), request.path_params["version"],
                              len(records), locator=locator))


def _page(org: Org, records: list[dict[str, Any]], offset: int, version: str, total: int, *,
          locator: str | None = None) -> dict[str, Any]:
    end = offset + org.page_size
    page: dict[str, Any] = {"totalSize": total, "done": end >= total,
                            "records": records[offset:end]}
    if end < total:
        locator = locator or org.new_id("01g")
        org.cursors[locator] = records
        page["nextRecordsUrl"] = f"/services/data/v{version}/query/{locator}-{end}"
    return page


# -- records ---------------------------------------------------------------------------------

async def _create(request: Request, org: Org, user: str) -> Response:
    record = org.store.insert(request.path_params["sobject"], await _json(request), user)
    return JSONResponse({"id": record["Id"], "success": True, "errors": []}, status_code=201)


async def _record(request: Request, org: Org, user: str) -> Response:
    sobject, record_id = request.path_params["sobject"], request.path_params["record_id"]
    spec = org.store.spec(sobject)
    if request.method == "GET":
        record = org.store.live(sobject, record_id)
        wanted = request.query_params.get("fields")
        names = [n.strip() for n in wanted.split(",")] if wanted else list(spec.fields)
        return JSONResponse(_shape(spec.name, record, names, request.path_params["version"]))
    if request.method == "DELETE":
        org.store.delete(sobject, record_id)
        return Response(status_code=204)
    org.store.update(sobject, record_id, await _json(request), user)
    return Response(status_code=204)


async def _upsert_one(request: Request, org: Org, user: str) -> Response:
    sobject = request.path_params["sobject"]
    field, value = request.path_params["field"], request.path_params["value"]
    outcome = _upsert(org, sobject, field, {**await _json(request), field: value}, user)
    status = 201 if outcome["created"] else 200
    return JSONResponse({"id": outcome["id"], "success": True, "errors": [],
                         "created": outcome["created"]}, status_code=status)


def _upsert(org: Org, sobject: str, field_name: str, values: dict[str, Any],
            user: str) -> dict[str, Any]:
    spec = org.store.spec(sobject)
    field = spec.field(field_name)
    if field is None or not (field.external_id or field.name == "Id"):
        raise ApiError(400, "NOT_FOUND", f"Provided external ID field does not exist or is not "
                       f"accessible: {field_name}")
    key = values.get(field.name)
    if key in (None, ""):
        raise ApiError(400, "MISSING_ARGUMENT", f"{field.name} not specified", (field.name,))
    with org.store.lock:
        matches = org.store.find_by(spec.name, field.name, key)
        if len(matches) > 1:
            raise ApiError(300, "MULTIPLE_CHOICES", f"more than one record found for "
                           f"external id field {field.name}")
        if matches:
            changes = {k: v for k, v in values.items() if k not in (field.name, "attributes")}
            org.store.update(spec.name, matches[0]["Id"], changes, user)
            return {"id": matches[0]["Id"], "created": False}
        return {"id": org.store.insert(spec.name, values, user)["Id"], "created": True}


async def _collection(request: Request, org: Org, user: str) -> Response:
    if request.method == "DELETE":
        ids = [i for i in request.query_params.get("ids", "").split(",") if i]
        _limit(ids)
        results = [_each(functools.partial(_delete_any, org, i)) for i in ids]
        return JSONResponse(results)
    body = await _json(request)
    records = body.get("records") or []
    _limit(records)
    if request.method == "POST":
        def write(r: dict[str, Any]) -> dict[str, Any]:
            return {"id": org.store.insert(_type_of(r), r, user)["Id"]}
    else:
        def write(r: dict[str, Any]) -> dict[str, Any]:
            fields = {k: v for k, v in r.items() if k != "Id"}
            return {"id": org.store.update(_type_of(r), str(r.get("Id")), fields, user)["Id"]}
    return JSONResponse(_all_or_none(org, records, write, bool(body.get("allOrNone"))))


async def _collection_upsert(request: Request, org: Org, user: str) -> Response:
    body = await _json(request)
    records = body.get("records") or []
    _limit(records)
    sobject, field = request.path_params["sobject"], request.path_params["field"]
    return JSONResponse(_all_or_none(
        org, records, lambda r: _upsert(org, sobject, field, r, user),
        bool(body.get("allOrNone"))))


def _all_or_none(org: Org, records: list[dict[str, Any]],
                 write: Callable[[dict[str, Any]], dict[str, Any]],
                 all_or_none: bool) -> list[dict[str, Any]]:
    with org.store.lock:
        snapshot = _snapshot(org) if all_or_none else None
        results = [_each(functools.partial(write, r)) for r in records]
        if snapshot is not None and not all(r["success"] for r in results):
            _restore(org, snapshot)
            return [r if not r["success"] else {
                "id": None, "success": False, "errors": [{
                    "statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
                    "message": "Record rolled back because not all records were valid and the "
                               "request was using AllOrNone header", "fields": []}]}
                    for r in results]
        return results


def _each(write: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    try:
        done = write()
    except ApiError as error:
        return {"success": False, "errors": [{"statusCode": error.code,
                                              "message": error.message,
                                              "fields": list(error.fields)}]}
    return {**done, "success": True, "errors": []}


def _delete_any(org: Org, record_id: str) -> dict[str, Any]:
    for name, spec in org.store.schema.items():
        if record_id.startswith(spec.key_prefix):
            org.store.delete(name, record_id)
            return {"id": record_id}
    raise ApiError(404, "MALFORMED_ID", f"malformed id {record_id}")


def _type_of(record: dict[str, Any]) -> str:
    kind = (record.get("attributes") or {}).get("type")
    if not kind:
        raise ApiError(400, "INVALID_TYPE", "Must send a concrete entity type.")
    return str(kind)


def _limit(items: list[Any]) -> None:
    if len(items) > COLLECTION_LIMIT:
        raise ApiError(400, "EXCEEDED_ID_LIMIT", f"record count exceeds {COLLECTION_LIMIT}")


def _snapshot(org: Org) -> dict[str, dict[str, Record]]:
    return {name: {i: dict(r) for i, r in table.items()}
            for name, table in org.store._records.items()}


def _restore(org: Org, snapshot: dict[str, dict[str, Record]]) -> None:
    org.store._records = snapshot


# -- describe, limits, replication ----------------------------------------------------------

async def _global_describe(request: Request, org: Org, user: str) -> Response:
    return JSONResponse({"encoding": "UTF-8", "maxBatchSize": COLLECTION_LIMIT, "sobjects": [
        {"name": s.name, "label": s.name.removesuffix("__c").replace("_", " "),
         "keyPrefix": s.key_prefix, "custom": s.custom, "queryable": True,
         "createable": True, "updateable": True, "deletable": True,
         "urls": {"sobject": f"/services/data/v{request.path_params['version']}/sobjects/"
                             f"{s.name}"}}
        for s in org.store.schema.values()]})


async def _describe(request: Request, org: Org, user: str) -> Response:
    spec = org.store.spec(request.path_params["sobject"])
    fields = []
    for field in spec.fields.values():
        info = field.info
        fields.append({
            "name": info.name, "label": info.name.removesuffix("__c").replace("_", " "),
            "type": info.type, "length": field.length or 0,
            "nillable": not field.required and info.type != "boolean",
            "createable": info.createable, "updateable": info.updateable,
            "externalId": field.external_id, "unique": field.unique,
            "custom": info.name.endswith("__c"), "calculated": False,
            "defaultedOnCreate": field.default is not None,
            "referenceTo": list(info.reference_to), "relationshipName": info.relationship_name,
            "restrictedPicklist": field.restricted,
            "picklistValues": [{"value": v, "label": v, "active": True,
                                "defaultValue": v == field.default}
                               for v in info.picklist_values],
        })
    return JSONResponse({"name": spec.name, "label": spec.name.removesuffix("__c"),
                         "keyPrefix": spec.key_prefix, "custom": spec.custom,
                         "queryable": True, "fields": fields})


async def _limits(request: Request, org: Org, user: str) -> Response:
    return JSONResponse({"DailyApiRequests": {"Max": org.daily_api_limit,
                                              "Remaining": org.daily_api_limit - org.api_usage}})


async def _updated(request: Request, org: Org, user: str) -> Response:
    start, end = _window(request)
    ids = [r["Id"] for r in org.store.records(request.path_params["sobject"])
           if not r["IsDeleted"] and start <= _stamp(r) < end]
    return JSONResponse({"ids": ids, "latestDateCovered": format_datetime(end)})


async def _deleted(request: Request, org: Org, user: str) -> Response:
    start, end = _window(request)
    gone = [{"id": r["Id"], "deletedDate": r["SystemModstamp"]}
            for r in org.store.records(request.path_params["sobject"])
            if r["IsDeleted"] and start <= _stamp(r) < end]
    return JSONResponse({"deletedRecords": gone, "latestDateCovered": format_datetime(end),
                         "earliestDateAvailable": format_datetime(
                             org.clock.now() - timedelta(days=15))})


def _window(request: Request) -> tuple[datetime, datetime]:
    try:
        start = _parse(request.query_params["start"])
        end = _parse(request.query_params["end"]).replace(second=0, microsecond=0)
    except (KeyError, ValueError):
        raise ApiError(400, "INVALID_REPLICATION_DATE", "start and end must be datetimes") \
            from None
    return start, end


def _parse(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("+0000", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _stamp(record: Record) -> datetime:
    return _parse(str(record["SystemModstamp"]))


# -- Bulk API 2.0 ----------------------------------------------------------------------------

def _job(org: Org, job_id: str, state: str) -> dict[str, Any]:
    job = org.jobs[job_id]
    return {"id": job_id, "operation": job["operation"], "object": job["object"],
            "state": state, "contentType": "CSV", "apiVersion": 62.0,
            "numberRecordsProcessed": len(job["records"])}


async def _bulk_status(request: Request, org: Org, user: str) -> Response:
    if request.path_params["job_id"] not in org.jobs:
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
    return JSONResponse(_job(org, request.path_params["job_id"], "JobComplete"))


async def _bulk_results(request: Request, org: Org, user: str) -> Response:
    job = org.jobs.get(request.path_params["job_id"])
    if job is None:
        raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
    start = int(request.query_params.get("locator") or 0)
    size = int(request.query_params.get("maxRecords") or 50_000)
    chunk = job["records"][start:start + size]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(job["fields"])
    for record in chunk:
        writer.writerow([_csv(_flat(record).get(column)) for column in job["fields"]])
    more = start + size < len(job["records"])
    return Response(out.getvalue(), media_type="text/csv", headers={
        "Sforce-Locator": str(start + size) if more else "null",
        "Sforce-NumberOfRecords": str(len(chunk)),
    })


def _columns(records: list[dict[str, Any]]) -> list[str]:
    return list(_flat(records[0])) if records else []


def _flat(record: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in record.items():
        if key == "attributes":
            continue
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _csv(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# -- helpers ---------------------------------------------------------------------------------

async def _json(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except json.JSONDecodeError as exc:
        raise ApiError(400, "JSON_PARSER_ERROR", f"Unexpected character: {exc.msg}") from None
    if not isinstance(body, dict):
        raise ApiError(400, "JSON_PARSER_ERROR", "Cannot deserialize instance of sObject")
    return body


def _shape(sobject: str, record: Record, names: list[str], version: str) -> dict[str, Any]:
    return {"attributes": {"type": sobject,
                           "url": f"/services/data/v{version}/sobjects/{sobject}/{record['Id']}"},
            **{n: record.get(n) for n in names}}
