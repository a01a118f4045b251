"""``POST /composite``: up to 25 subrequests in one call, as Salesforce's Composite resource.

The subrequests run in order as the calling user, each answered on its own
(``{"compositeResponse": [{"body", "httpHeaders", "httpStatusCode", "referenceId"}]}``); the
whole request spends ONE call of the daily allocation. At most five subrequests may be
queries. References between subrequests (``@{ref.id}``) and ``allOrNone`` rollback are not
emulated: a request that uses them is refused, so a client relying on them notices.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match, Route

from crm_emulators.salesforce import soql
from crm_emulators.salesforce.errors import ApiError
from crm_emulators.salesforce.gateway import Call, Endpoint, json_body

MAX_SUBREQUESTS = 25
MAX_QUERIES = 5
QUERY_PATHS = ("/query", "/queryAll")


def composite(routes: Sequence[Route]) -> Endpoint:
    """The composite endpoint, dispatching subrequests to the endpoints of ``routes``."""

    async def handle(request: Request, call: Call) -> Response:
        body = await json_body(request)
        subrequests = _subrequests(body)
        _check_limits(subrequests, call.version)
        answers = [await _run(routes, request, call, sub) for sub in subrequests]
        return JSONResponse({"compositeResponse": answers})

    return handle


def _subrequests(body: Any) -> list[dict[str, Any]]:
    items = body.get("compositeRequest") if isinstance(body, dict) else None
    if not isinstance(items, list) or not items:
        raise ApiError(400, "INVALID_INPUT", "compositeRequest is required")
    if body.get("allOrNone"):
        raise ApiError(400, "INVALID_INPUT", "the emulator does not roll back (allOrNone)")
    for item in items:
        if not isinstance(item, dict) or not {"method", "url", "referenceId"} <= item.keys():
            raise ApiError(400, "INVALID_INPUT",
                           "each subrequest needs method, url and referenceId")
        if "@{" in json.dumps(item):
            raise ApiError(400, "INVALID_INPUT", "the emulator does not resolve references")
    return items


def _check_limits(subrequests: list[dict[str, Any]], version: str) -> None:
    if len(subrequests) > MAX_SUBREQUESTS:
        raise ApiError(400, "INVALID_INPUT",
                       f"Composite requests can contain up to {MAX_SUBREQUESTS} subrequests")
    prefix = f"/services/data/v{version}"
    queries = sum(1 for s in subrequests
                  if urlsplit(str(s["url"])).path.removeprefix(prefix).rstrip("/")
                  in QUERY_PATHS)
    if queries > MAX_QUERIES:
        raise ApiError(400, "INVALID_INPUT",
                       f"Composite requests can contain up to {MAX_QUERIES} query operations")


async def _run(routes: Sequence[Route], parent: Request, call: Call,
               sub: dict[str, Any]) -> dict[str, Any]:
    reference = sub["referenceId"]
    try:
        response = await _dispatch(routes, parent, call, sub)
        status, payload = response.status_code, json.loads(bytes(response.body) or b"null")
    except ApiError as error:
        status, payload = error.status, [error.body()]
    except soql.SoqlError as error:
        status, payload = 400, [{"message": error.message, "errorCode": error.error_code}]
    return {"body": payload, "httpHeaders": {}, "httpStatusCode": status,
            "referenceId": reference}


async def _dispatch(routes: Sequence[Route], parent: Request, call: Call,
                    sub: dict[str, Any]) -> Response:
    url = urlsplit(str(sub["url"]))
    encoded = json.dumps(sub.get("body")).encode() if sub.get("body") is not None else b""
    scope = {**parent.scope, "method": str(sub["method"]).upper(), "path": url.path,
             "raw_path": url.path.encode(), "query_string": url.query.encode()}
    for route in routes:
        match, child = route.matches(scope)
        if match is Match.FULL:
            endpoint: Endpoint = route.endpoint
            sub_scope = {**scope, **child}

            async def receive() -> dict[str, Any]:
                return {"type": "http.request", "body": encoded, "more_body": False}

            return await endpoint(Request(sub_scope, receive), call)
    raise ApiError(404, "NOT_FOUND", "The requested resource does not exist")
