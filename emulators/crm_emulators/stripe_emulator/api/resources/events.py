"""``/v1/events``: newest first, by type (``customer.*`` wildcards too) and creation time.

Like Stripe, only the last 30 days of events are kept: older ones are neither listed nor
retrievable (404).
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from crm_emulators.stripe_emulator.api.lists import ListQuery, paginate
from crm_emulators.stripe_emulator.api.routing import Call, Route
from crm_emulators.stripe_emulator.errors import invalid, no_such
from crm_emulators.stripe_emulator.params import IntRange, or_default
from crm_emulators.stripe_emulator.records import Event, Json
from crm_emulators.stripe_emulator.settings import EVENT_RETENTION_SECONDS

MAX_TYPES = 20


def retrieve(call: Call) -> Json:
    """``GET /v1/events/{id}``."""
    call.params.finish()
    event = call.backend.store.get(Event, call.path["id"])
    if event.created < _oldest_kept(call):
        raise no_such("event", event.id)
    return call.backend.render(event)


def _oldest_kept(call: Call) -> int:
    return call.backend.now() - EVENT_RETENTION_SECONDS


def list_(call: Call) -> Json:
    """``GET /v1/events`` by ``type`` or ``types[]`` and ``created``."""
    p = call.params
    single = or_default(p.text("type"), None)
    several = or_default(p.texts("types"), None)
    created = or_default(p.range("created"), IntRange())
    query = ListQuery.read(p)
    p.finish()
    if single is not None and several is not None:
        raise invalid("You cannot specify both `type` and `types`.", param="types")
    if several is not None and len(several) > MAX_TYPES:
        raise invalid(f"You can specify at most {MAX_TYPES} types.", param="types")
    patterns = several if several is not None else [single] if single is not None else None

    oldest = _oldest_kept(call)

    def wanted(event: Event) -> bool:
        return event.created >= oldest and created.contains(event.created) and (
            patterns is None or any(fnmatchcase(event.type, p) for p in patterns))

    rows = call.backend.store.newest_first(Event, wanted)
    return paginate(rows, query, call.url, call.backend.render)


ROUTES = [
    Route("GET", "/v1/events", list_),
    Route("GET", "/v1/events/{id}", retrieve),
]
