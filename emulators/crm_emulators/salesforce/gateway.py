"""What every request goes through before an endpoint sees it.

* :class:`FrontDoor` (outermost, plain ASGI): logs the request, applies the injected latency
  and faults (an error answer, or a dropped connection).
* :func:`api`: wraps a data endpoint: checks the API version and the bearer token, spends
  one call of the daily allocation, turns :class:`ApiError` and SOQL errors into Salesforce's
  JSON error arrays, and stamps ``Sforce-Limit-Info`` on the answer.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from crm_emulators.salesforce import errors, soql
from crm_emulators.salesforce.errors import ApiError
from crm_emulators.salesforce.faults import Fault
from crm_emulators.salesforce.state import Org

OLDEST_VERSION, NEWEST_VERSION = 50, 66


@dataclass(frozen=True)
class Call:
    """An authenticated API call: the org, the calling user and the URL's API version."""

    org: Org
    user_id: str
    version: str


Endpoint = Callable[[Request, Call], Awaitable[Response]]
Handler = Callable[[Request], Awaitable[Response]]


class FrontDoor:
    """ASGI middleware logging every HTTP request and applying :class:`Faults`."""

    def __init__(self, app: ASGIApp, org: Org) -> None:
        self._app = app
        self._org = org

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one ASGI connection scope."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        self._org.log.record(scope["method"], scope["path"])
        if self._org.faults.delay:
            await asyncio.sleep(self._org.faults.delay)
        fault = self._org.faults.pick()
        if fault is None:
            await self._app(scope, receive, send)
        elif fault.resets:
            await _drop(receive, send)
        else:
            await _fail(fault, self._org, scope, receive, send)


async def _fail(fault: Fault, org: Org, scope: Scope, receive: Receive, send: Send) -> None:
    response = JSONResponse([fault.error()], status_code=fault.status,
                            headers={"Sforce-Limit-Info": org.meter.header()})
    await response(scope, receive, send)


async def _drop(receive: Receive, send: Send) -> None:
    """Close the connection without answering, as a reset or a crashed proxy would.

    ASGI has no "abort" message, so this reaches the server's transport through the
    ``receive`` callable uvicorn hands over (its request cycle); elsewhere it falls back to
    cutting the answer short after its headers, which clients also see as a broken connection.
    """
    transport = getattr(getattr(receive, "__self__", None), "transport", None)
    if transport is not None and hasattr(transport, "abort"):
        transport.abort()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(_until_disconnected(receive), timeout=5)
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", b"100")]})


async def _until_disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def api(org: Org, endpoint: Endpoint) -> Handler:
    """A Starlette handler running ``endpoint`` as an authenticated, metered API call."""

    async def handle(request: Request) -> Response:
        try:
            version = _version(request)
            user_id = org.sessions.user_for(request.headers.get("authorization"))
            org.meter.spend()
            response = await endpoint(request, Call(org, user_id, version))
        except ApiError as error:
            response = error_response(error)
        except soql.SoqlError as error:
            response = JSONResponse([{"message": error.message, "errorCode": error.error_code}],
                                    status_code=400)
        response.headers["Sforce-Limit-Info"] = org.meter.header()
        return response

    return handle


def error_response(error: ApiError) -> Response:
    """Salesforce's error array for ``error``."""
    return JSONResponse([error.body()], status_code=error.status)


def _version(request: Request) -> str:
    text = str(request.path_params.get("version", ""))
    major, dot, minor = text.partition(".")
    if not (major.isdigit() and dot and minor == "0"
            and OLDEST_VERSION <= int(major) <= NEWEST_VERSION):
        raise errors.no_such_resource()
    return text


async def json_body(request: Request) -> Any:
    """The request's JSON body. Raises ApiError JSON_PARSER_ERROR, worded like Salesforce's
    parser, when it is not JSON."""
    raw = await request.body()
    try:
        return json.loads(raw or b"null")
    except json.JSONDecodeError as exc:
        shown = exc.doc[exc.pos] if exc.pos < len(exc.doc) else "EOF"
        raise errors.json_parser_error(
            f"Unexpected character ('{shown}' (code {ord(shown) if len(shown) == 1 else -1})): "
            "expected a valid value (JSON String, Number, Array, Object or token 'null', "
            f"'true' or 'false') at [line:{exc.lineno}, column:{exc.colno}]") from None
    except UnicodeDecodeError:
        raise errors.json_parser_error("Invalid UTF-8 in the request body") from None


async def json_object(request: Request) -> dict[str, Any]:
    """The request's body, which must be a JSON object."""
    body = await json_body(request)
    if not isinstance(body, dict):
        raise errors.json_parser_error(
            "Cannot deserialize instance of the sObject from a value that is not a JSON object")
    return body
