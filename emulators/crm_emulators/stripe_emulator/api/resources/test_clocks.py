"""``/v1/test_helpers/test_clocks``: create, read, list and advance."""

from __future__ import annotations

from crm_emulators.stripe_emulator.api.lists import ListQuery, paginate
from crm_emulators.stripe_emulator.api.routing import Call, Route
from crm_emulators.stripe_emulator.billing import test_clocks
from crm_emulators.stripe_emulator.params import or_default
from crm_emulators.stripe_emulator.records import Json, TestClock

BASE = "/v1/test_helpers/test_clocks"


def create(call: Call) -> Json:
    """``POST /v1/test_helpers/test_clocks``."""
    frozen_time = call.params.required_integer("frozen_time")
    name = or_default(call.params.text("name"), None)
    call.params.finish()
    return call.backend.render(test_clocks.create(call.backend, frozen_time, name))


def retrieve(call: Call) -> Json:
    """``GET /v1/test_helpers/test_clocks/{id}``."""
    call.params.finish()
    return call.backend.render(call.backend.store.get(TestClock, call.path["id"]))


def list_(call: Call) -> Json:
    """``GET /v1/test_helpers/test_clocks``."""
    query = ListQuery.read(call.params)
    call.params.finish()
    return paginate(call.backend.store.newest_first(TestClock), query, call.url,
                    call.backend.render)


def advance(call: Call) -> Json:
    """``POST /v1/test_helpers/test_clocks/{id}/advance``: runs the billing that comes due
    before answering, so the clock is already ``ready``."""
    clock = call.backend.store.get(TestClock, call.path["id"])
    frozen_time = call.params.required_integer("frozen_time")
    call.params.finish()
    return call.backend.render(test_clocks.advance(call.backend, clock, frozen_time))


ROUTES = [
    Route("POST", BASE, create),
    Route("GET", BASE, list_),
    Route("GET", BASE + "/{id}", retrieve),
    Route("POST", BASE + "/{id}/advance", advance),
]
