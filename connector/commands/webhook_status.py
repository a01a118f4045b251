"""The ``webhooks`` section of ``status``: each outbound endpoint, its state and deliveries.

An endpoint is ``enabled``, ``DISABLED`` (the receiver answered 410 Gone: when, and how to
turn it on again) or ``removed`` (no longer in the config); its deliveries are counted by
status, with the last error and the last success.
"""

from __future__ import annotations

import argparse
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.clock import SystemClock
from connector.commands.output import display
from connector.commands.sync_commands import load
from connector.errors import ConfigError
from connector.ledger.webhook_deliveries import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    enable_endpoint,
)
from connector.sync.wiring import open_ledger


def webhooks(args: argparse.Namespace) -> int:
    """``webhooks enable URL``: turn an endpoint on again after a 410 Gone.

    Raises:
        ConfigError: no endpoint has that URL.
    """
    _, sessions = open_ledger(load(args))
    with sessions() as session, session.begin():
        queued = enable_endpoint(session, args.url, SystemClock().now())
    if queued is None:
        raise ConfigError([f"webhooks enable: no outbound endpoint has the url {args.url} "
                           "(see 'crm-connector status')"])
    print(f"{args.url} enabled; {queued} skipped deliveries queued again for the next sync")
    return 0


def webhook_section(session: Session) -> tuple[list[dict[str, Any]], list[str], list[str]]:
    """The JSON section, the lines ``status`` prints, and what needs an admin's attention."""
    counts: dict[int, dict[str, int]] = {}
    for endpoint_id, status, count in session.execute(
            select(WebhookDelivery.endpoint_id, WebhookDelivery.status, func.count())
            .group_by(WebhookDelivery.endpoint_id, WebhookDelivery.status)):
        counts.setdefault(endpoint_id, {})[status] = count
    endpoints = list(session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))
    section = [_entry(e, counts.get(e.id, {})) for e in endpoints]
    lines = ["webhooks:      " + ("no outbound endpoint configured" if not endpoints
                                  else f"{len(endpoints)} outbound endpoint(s)")]
    attention = []
    for entry in section:
        lines += _lines(entry)
        if entry["state"] == "disabled":
            attention.append(f"outbound webhook endpoint {entry['url']} is disabled "
                             f"({entry['disabled_reason']}): 'crm-connector webhooks enable "
                             f"{entry['url']}' once the receiver is back")
    return section, lines, attention


def _entry(endpoint: WebhookEndpoint, counts: dict[str, int]) -> dict[str, Any]:
    state = ("removed" if not endpoint.configured
             else "enabled" if endpoint.enabled else "disabled")
    return {"url": endpoint.url, "description": endpoint.description, "events": endpoint.events,
            "state": state, "disabled_at": endpoint.disabled_at,
            "disabled_reason": endpoint.disabled_reason,
            "deliveries": {status.value: counts.get(status.value, 0) for status in DeliveryStatus},
            "last_error": endpoint.last_error, "last_attempt_at": endpoint.last_attempt_at,
            "last_success_at": endpoint.last_success_at}


def _lines(entry: dict[str, Any]) -> list[str]:
    counts = ", ".join(f"{status}: {n}" for status, n in entry["deliveries"].items())
    state = entry["state"].upper() if entry["state"] != "enabled" else "enabled"
    lines = [f"  {entry['url']}  {state}  ({counts})"]
    if entry["state"] == "disabled":
        lines.append(f"    disabled:    {entry['disabled_reason']}")
    if entry["last_error"]:
        lines.append(f"    last error:  {entry['last_error']}")
    if entry["last_success_at"]:
        lines.append(f"    last ok:     {display(entry['last_success_at'])}")
    return lines
