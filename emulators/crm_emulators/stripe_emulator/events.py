"""Events: what changed, as a snapshot of the object and the previous values of what moved."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeGuard

from crm_emulators.stripe_emulator.ids import IdFactory
from crm_emulators.stripe_emulator.records import Event, Json, WebhookEndpoint
from crm_emulators.stripe_emulator.store import Store


@dataclass(frozen=True)
class RequestRef:
    """The API request that caused an event; both None for automatic (billing) changes."""

    id: str | None = None
    idempotency_key: str | None = None


AUTOMATIC = RequestRef()


class EventLog:
    """Creates events, tagged with the API request that caused them (if any).

    Args:
        store: where events are kept.
        ids: id source.
        api_version: rendered into every event.
    """

    def __init__(self, store: Store, ids: IdFactory, api_version: str) -> None:
        self._store = store
        self._ids = ids
        self._api_version = api_version
        self.request: RequestRef = AUTOMATIC

    def emit(self, event_type: str, obj: Json, created: int,
             previous: Json | None = None) -> Event:
        """Record an event of ``event_type`` about ``obj``; ``pending_webhooks`` counts the
        enabled endpoints that subscribed to it."""
        endpoints = self._store.all(WebhookEndpoint, lambda e: e.status == "enabled"
                                    and e.wants(event_type))
        return self._store.add(Event(
            id=self._ids.new("evt"), created=created, type=event_type, data_object=obj,
            previous_attributes=previous, request_id=self.request.id,
            idempotency_key=self.request.idempotency_key, pending_webhooks=len(endpoints),
            api_version=self._api_version))


def previous_attributes(before: Json, after: Json) -> Json:
    """The old values of every key that changed; nested hashes give only their changed keys
    (a key that did not exist before maps to None), lists and list objects are given whole."""
    changed: Json = {}
    for key in before.keys() | after.keys():
        old, new = before.get(key), after.get(key)
        if old == new:
            continue
        if _is_hash(old) and _is_hash(new):
            changed[key] = previous_attributes(old, new)
        else:
            changed[key] = old
    return changed


def _is_hash(value: Any) -> TypeGuard[Json]:
    return isinstance(value, dict) and value.get("object") != "list"
