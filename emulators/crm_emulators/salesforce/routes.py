"""The emulated org's HTTP surface, assembled: the OAuth token endpoint, the versions list
and the data API under ``/services/data/vXX.X/``, behind the :class:`FrontDoor`.

Unknown paths answer ``404 NOT_FOUND`` and wrong methods ``405 METHOD_NOT_ALLOWED`` in
Salesforce's error-array shape.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp

from crm_emulators.salesforce import (
    bulk,
    bulk_ingest,
    oauth,
    rest_collections,
    rest_composite,
    rest_metadata,
    rest_query,
    rest_records,
    rest_replication,
)
from crm_emulators.salesforce.gateway import Endpoint, FrontDoor, api
from crm_emulators.salesforce.state import Org

DATA = "/services/data/v{version}"

# (path under DATA, endpoint, methods); order matters where paths overlap.
_API: Sequence[tuple[str, Endpoint, list[str]]] = (
    ("/limits", rest_metadata.limits, ["GET"]),
    ("/query", rest_query.query, ["GET"]),
    ("/queryAll", rest_query.query_all, ["GET"]),
    ("/query/{locator}", rest_query.next_page, ["GET"]),
    ("/queryAll/{locator}", rest_query.next_page, ["GET"]),
    ("/sobjects", rest_metadata.global_describe, ["GET"]),
    ("/sobjects/{sobject}/describe", rest_metadata.describe, ["GET"]),
    ("/sobjects/{sobject}/updated", rest_replication.updated, ["GET"]),
    ("/sobjects/{sobject}/deleted", rest_replication.deleted, ["GET"]),
    ("/sobjects/{sobject}", rest_records.create, ["POST"]),
    ("/sobjects/{sobject}/{record_id}", rest_records.row, ["GET", "PATCH", "DELETE"]),
    ("/sobjects/{sobject}/{field}/{value}", rest_records.by_external_id, ["GET", "PATCH"]),
    ("/composite/sobjects", rest_collections.collection, ["POST", "PATCH", "DELETE"]),
    ("/composite/sobjects/{sobject}/{field}", rest_collections.collection_upsert, ["PATCH"]),
    ("/jobs/query", bulk.create_job, ["POST"]),
    ("/jobs/query/{job_id}", bulk.job_status, ["GET"]),
    ("/jobs/query/{job_id}/results", bulk.job_results, ["GET"]),
    ("/jobs/ingest", bulk_ingest.create_job, ["POST"]),
    ("/jobs/ingest/{job_id}", bulk_ingest.job_status, ["GET"]),
    ("/jobs/ingest/{job_id}", bulk_ingest.change_state, ["PATCH"]),
    ("/jobs/ingest/{job_id}/batches", bulk_ingest.upload, ["PUT"]),
    ("/jobs/ingest/{job_id}/successfulResults", bulk_ingest.successful, ["GET"]),
    ("/jobs/ingest/{job_id}/failedResults", bulk_ingest.failed, ["GET"]),
)


def build_app(org: Org) -> ASGIApp:
    """The ASGI app serving ``org``."""

    async def token(request: Request) -> Response:
        return await oauth.token(request, org)

    routes: list[BaseRoute] = [
        Route("/services/oauth2/token", token, methods=["POST"]),
        Route("/services/data", rest_metadata.versions, methods=["GET"]),
        Route("/services/data/", rest_metadata.versions, methods=["GET"]),
    ]
    plain = [Route(DATA + path + tail, endpoint, methods=methods)
             for path, endpoint, methods in _API for tail in ("", "/")]
    api_routes = [*_API, ("/composite", rest_composite.composite(plain), ["POST"])]
    for path, endpoint, methods in api_routes:
        handler = api(org, endpoint)
        routes.append(Route(DATA + path, handler, methods=methods))
        routes.append(Route(DATA + path + "/", handler, methods=methods))
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
    app.router.redirect_slashes = False
    return FrontDoor(app, org)


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 405:
        allowed = exc.headers.get("Allow", "") if isinstance(exc, HTTPException) \
            and exc.headers else ""
        return JSONResponse([{"errorCode": "METHOD_NOT_ALLOWED",
                              "message": f"HTTP Method '{request.method}' not allowed. "
                                         f"Allowed are {allowed.replace(', ', ',')}"}],
                            status_code=405)
    return JSONResponse([{"errorCode": "NOT_FOUND",
                          "message": "The requested resource does not exist"}],
                        status_code=404 if status == 404 else status)
