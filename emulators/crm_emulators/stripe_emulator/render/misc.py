"""Events, test clocks and webhook endpoints."""

from __future__ import annotations

from crm_emulators.stripe_emulator.records import Event, Json, TestClock, WebhookEndpoint
from crm_emulators.stripe_emulator.render.dispatch import render_live
from crm_emulators.stripe_emulator.store import Store


@render_live.register
def _event(event: Event, store: Store) -> Json:
    data: Json = {"object": event.data_object}
    if event.previous_attributes is not None:
        data["previous_attributes"] = event.previous_attributes
    return {
        "id": event.id, "object": "event", "api_version": event.api_version,
        "created": event.created, "data": data, "livemode": False,
        "pending_webhooks": event.pending_webhooks,
        "request": {"id": event.request_id, "idempotency_key": event.idempotency_key},
        "type": event.type,
    }


@render_live.register
def _test_clock(clock: TestClock, store: Store) -> Json:
    return {
        "id": clock.id, "object": "test_helpers.test_clock", "created": clock.created,
        "deletes_after": clock.deletes_after, "frozen_time": clock.frozen_time,
        "livemode": False, "name": clock.name, "status": clock.status,
        "status_details": {},
    }


@render_live.register
def _webhook_endpoint(endpoint: WebhookEndpoint, store: Store) -> Json:
    return {
        "id": endpoint.id, "object": "webhook_endpoint", "api_version": endpoint.api_version,
        "application": None, "created": endpoint.created, "description": endpoint.description,
        "enabled_events": list(endpoint.enabled_events), "livemode": False,
        "metadata": dict(endpoint.metadata), "status": endpoint.status, "url": endpoint.url,
    }
