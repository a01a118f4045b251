"""SOQL over REST: ``GET /query?q=`` and ``/queryAll?q=`` (deleted rows too), in pages.

A page holds up to ``page_size`` records (2,000 like Salesforce, or fewer when the client
asks with ``Sforce-Query-Options: batchSize=N``); while ``done`` is false, ``nextRecordsUrl``
(``/services/data/vXX.X/query/01g…-2000``) fetches the next one. The result is fixed when the
query runs, as a Salesforce query cursor is.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from crm_emulators.salesforce import soql
from crm_emulators.salesforce.errors import ApiError
from crm_emulators.salesforce.gateway import Call

LOCATOR_PREFIX = "01g"
_BATCH = re.compile(r"batchSize\s*=\s*(\d+)", re.IGNORECASE)


async def query(request: Request, call: Call) -> Response:
    """``GET /query?q=``."""
    return _first_page(request, call, include_deleted=False)


async def query_all(request: Request, call: Call) -> Response:
    """``GET /queryAll?q=``."""
    return _first_page(request, call, include_deleted=True)


async def next_page(request: Request, call: Call) -> Response:
    """``GET /query/{locator}-{offset}``: a later page of an earlier query."""
    locator, _, offset = request.path_params["locator"].partition("-")
    records = call.org.cursors.get(locator)
    if records is None or not offset.isdigit():
        raise ApiError(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    return JSONResponse(_page(call, records, int(offset), _size(request, call), locator))


def _first_page(request: Request, call: Call, *, include_deleted: bool) -> Response:
    text = request.query_params.get("q")
    if not text:
        raise ApiError(400, "MALFORMED_QUERY", "A query string has to be specified")
    store = call.org.store
    parsed = soql.parse(text, store.schema.infos())
    with store.lock:
        if parsed.is_count:
            total = soql.count(parsed, store, include_deleted=include_deleted,
                               clock=call.org.clock)
            return JSONResponse({"totalSize": total, "done": True, "records": []})
        records = soql.execute(parsed, store, include_deleted=include_deleted,
                               api_version=call.version, clock=call.org.clock)
    return JSONResponse(_page(call, records, 0, _size(request, call), None))


def _page(call: Call, records: list[dict[str, Any]], offset: int, size: int,
          locator: str | None) -> dict[str, Any]:
    end = offset + size
    page: dict[str, Any] = {"totalSize": len(records), "done": end >= len(records)}
    if end < len(records):
        if locator is None:
            locator = call.org.ids.next(LOCATOR_PREFIX)
            call.org.cursors.keep(locator, records)
        page["nextRecordsUrl"] = f"/services/data/v{call.version}/query/{locator}-{end}"
    page["records"] = records[offset:end]
    return page


def _size(request: Request, call: Call) -> int:
    match = _BATCH.search(request.headers.get("sforce-query-options", ""))
    wanted = int(match.group(1)) if match else call.org.page_size
    return min(max(200, wanted), call.org.page_size)
