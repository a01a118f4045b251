"""``/v1/webhook_endpoints``: list and retrieve the account's endpoints (newest first).

Endpoints are added by the emulator's own :meth:`Webhooks.add_endpoint`; like Stripe, a
listed endpoint never shows its signing ``secret``.
"""

from __future__ import annotations

from crm_emulators.stripe_emulator.api.lists import ListQuery, paginate
from crm_emulators.stripe_emulator.api.routing import Call, Route
from crm_emulators.stripe_emulator.records import Json, WebhookEndpoint

BASE = "/v1/webhook_endpoints"


def retrieve(call: Call) -> Json:
    """``GET /v1/webhook_endpoints/{id}``."""
    call.params.finish()
    return call.backend.render(call.backend.store.get(WebhookEndpoint, call.path["id"]))


def list_(call: Call) -> Json:
    """``GET /v1/webhook_endpoints``."""
    query = ListQuery.read(call.params)
    call.params.finish()
    return paginate(call.backend.store.newest_first(WebhookEndpoint), query, call.url,
                    call.backend.render)


ROUTES = [
    Route("GET", BASE, list_),
    Route("GET", BASE + "/{id}", retrieve),
]
