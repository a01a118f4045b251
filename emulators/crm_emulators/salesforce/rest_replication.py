"""Replication: ``/sobjects/{type}/updated/`` and ``/deleted/`` over a ``start``..``end`` window.

As in Salesforce, seconds are dropped from both ends, a record counts when its
``SystemModstamp`` falls in ``[start, end)``, ``latestDateCovered`` is the (minute) end of the
window and is where the next window should start, and deleted records are remembered for 15
days (``earliestDateAvailable``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from crm_emulators.salesforce.errors import ApiError
from crm_emulators.salesforce.gateway import Call
from crm_emulators.salesforce.values import format_datetime, parse_datetime

DELETE_LOG_DAYS = 15
WINDOW_DAYS = 30


async def updated(request: Request, call: Call) -> Response:
    """Ids of records created or changed in the window (deleted ones excluded)."""
    start, end = _window(request, call)
    found = [r["Id"] for r in call.org.store.records(request.path_params["sobject"])
             if not r["IsDeleted"] and start <= parse_datetime(r["SystemModstamp"]) < end]
    return JSONResponse({"ids": found, "latestDateCovered": format_datetime(end)})


async def deleted(request: Request, call: Call) -> Response:
    """Ids and deletion times of records deleted in the window."""
    start, end = _window(request, call)
    earliest = _minute(call.org.clock.now() - timedelta(days=DELETE_LOG_DAYS))
    gone = [{"id": r["Id"], "deletedDate": r["SystemModstamp"]}
            for r in call.org.store.records(request.path_params["sobject"])
            if r["IsDeleted"] and max(start, earliest) <= parse_datetime(r["SystemModstamp"]) < end]
    return JSONResponse({"deletedRecords": gone, "earliestDateAvailable": format_datetime(earliest),
                         "latestDateCovered": format_datetime(end)})


def _window(request: Request, call: Call) -> tuple[datetime, datetime]:
    call.org.store.spec(request.path_params["sobject"])
    try:
        start = _minute(parse_datetime(request.query_params["start"]))
        end = _minute(parse_datetime(request.query_params["end"]))
    except KeyError as missing:
        raise ApiError(400, "MISSING_ARGUMENT", f"{missing.args[0]} not specified") from None
    except ValueError:
        raise ApiError(400, "INVALID_REPLICATION_DATE",
                       "start and end must be ISO 8601 date-times") from None
    if end <= start:
        raise ApiError(400, "INVALID_REPLICATION_DATE",
                       "startDate must chronologically precede endDate by more than one minute")
    if start < _minute(call.org.clock.now() - timedelta(days=WINDOW_DAYS)):
        raise ApiError(400, "INVALID_REPLICATION_DATE",
                       f"startDate cannot be more than {WINDOW_DAYS} days ago")
    return start, end


def _minute(moment: datetime) -> datetime:
    return moment.replace(second=0, microsecond=0)
