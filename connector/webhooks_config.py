"""``[webhooks]``: the outbound webhook endpoints (Standard Webhooks) and how they are served.

Each ``[[webhooks.endpoints]]`` table names a receiver's ``url`` (``https://``, or ``http://``
on a loopback address only, where nothing crosses a network), the event ``types`` it wants
(``["*"]`` = all of :data:`EVENT_TYPES`), an optional ``description`` and ``timeout``, and
optionally ``secret_name``: the environment variable or credential file holding this
endpoint's own ``whsec_`` secret (default ``OUTBOUND_WEBHOOK_SECRET``). The secret itself is
never in the file.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

EVENT_TYPES = (
    "subscription.potential_created",
    "subscription.activated",
    "subscription.updated",
    "subscription.canceled",
    "invoice.paid",
    "invoice.payment_failed",
    "license.changed",
    "license.discrepancy",
    "offer.status_changed",
    "order.status_changed",
)
"""Every outbound event type (DESIGN, "Outbound webhooks")."""
ALL_EVENTS = "*"
DEFAULT_SECRET = "OUTBOUND_WEBHOOK_SECRET"  # noqa: S105 (a secret's name, not its value)
SECRET_NAME_PATTERN = r"^OUTBOUND_WEBHOOK_SECRET(_[A-Z0-9_]+)?$"  # noqa: S105 (names)


class EndpointConfig(BaseModel):
    """One receiver of outbound webhooks."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    events: Annotated[list[str], Field(min_length=1)]
    description: str | None = None
    secret_name: Annotated[str, Field(pattern=SECRET_NAME_PATTERN)] = DEFAULT_SECRET
    timeout: Annotated[float, Field(gt=0, le=60)] = 10.0
    """Seconds to wait for the receiver's answer (connect and each read)."""

    @field_validator("url")
    @classmethod
    def _receiver_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme == "https" and parts.hostname:
            return value
        if parts.scheme == "http" and parts.hostname and _loopback(parts.hostname):
            return value
        raise ValueError("must be an https:// URL (http:// only on a loopback address such "
                         "as 127.0.0.1 or localhost)")

    @field_validator("events")
    @classmethod
    def _known_events(cls, value: list[str]) -> list[str]:
        unknown = [name for name in value if name not in (*EVENT_TYPES, ALL_EVENTS)]
        if unknown:
            raise ValueError(f"unknown event type(s) {', '.join(map(repr, unknown))}; known: "
                             f"{', '.join(EVENT_TYPES)}, or \"*\" for all")
        if ALL_EVENTS in value and len(value) > 1:
            raise ValueError('"*" already means every event type; list it alone')
        return value

    def wants(self, event_type: str) -> bool:
        """Whether this endpoint receives events of ``event_type``."""
        return ALL_EVENTS in self.events or event_type in self.events


class WebhooksConfig(BaseModel):
    """The outbound webhook endpoints and the dispatcher's limits."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    endpoints: list[EndpointConfig] = Field(default_factory=list)
    concurrency: Annotated[int, Field(ge=1, le=32)] = 4
    """Endpoints delivered to at once; each endpoint's deliveries go in order."""
    batch: Annotated[int, Field(ge=1, le=10_000)] = 100
    """Deliveries attempted per endpoint per cycle."""

    @model_validator(mode="after")
    def _unique_urls(self) -> WebhooksConfig:
        urls = [endpoint.url for endpoint in self.endpoints]
        repeated = sorted({url for url in urls if urls.count(url) > 1})
        if repeated:
            raise ValueError(f"endpoints: each url once (repeated: {', '.join(repeated)}); "
                             "list every event type it wants in one table")
        return self

    @property
    def secret_names(self) -> list[str]:
        """The secrets the endpoints are signed with, each once."""
        return sorted({endpoint.secret_name for endpoint in self.endpoints})


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
