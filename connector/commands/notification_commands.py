"""``notifications list`` and ``notifications preview AUDIENCE.EVENT [--html FILE]``.

``list`` shows every event of the catalog: whether the config enables it, its audience, its
lead time and its templates. ``preview`` renders one event's email from the configured
templates folder with sample data (subject and text on stdout; ``--html FILE`` writes the
HTML part), so an admin sees an edit before any customer does; a broken template is
reported as ``file:line: reason`` (exit 2).
"""

from __future__ import annotations

import argparse
import difflib
from pathlib import Path
from typing import Any

from connector.commands.output import print_json
from connector.commands.sync_commands import load
from connector.config import Config
from connector.errors import ConfigError
from connector.notifications_config import TimedEventConfig
from connector.notify import preview
from connector.notify.catalog import CATALOG, EVENTS, Event
from connector.notify.templates import TemplateRenderer


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``list`` and ``preview`` actions."""
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="every event: enabled, audience, lead time")
    listing.add_argument("--format", choices=["text", "json"], default="text")
    shown = actions.add_parser("preview", help="render one event's email with sample data")
    shown.add_argument("event", metavar="AUDIENCE.EVENT",
                       help="for example customer.payment_declined")
    shown.add_argument("--html", metavar="FILE", type=Path,
                       help="write the HTML part to FILE")
    for sub in (listing, shown):
        sub.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS)


def notifications(args: argparse.Namespace) -> int:
    """Run ``notifications list`` or ``notifications preview``."""
    config = load(args)
    if args.action == "list":
        return _list(config, args.format)
    return _preview(config, _event(args.event), args.html)


def rows(config: Config) -> list[dict[str, Any]]:
    """One row per catalog event: ``event``, ``audience``, ``enabled``, ``lead_days``,
    ``template``, ``summary``."""
    found = []
    for event in CATALOG:
        settings = config.notifications.event(event.audience, event.name)
        lead = settings.lead_days if isinstance(settings, TimedEventConfig) else None
        found.append({"event": event.label, "audience": event.audience,
                      "enabled": settings.enabled, "lead_days": lead,
                      "template": f"templates/{event.template}.*.j2",
                      "summary": event.summary})
    return found


def _list(config: Config, output: str) -> int:
    found = rows(config)
    if output == "json":
        print_json(found)
        return 0
    print(f"{'EVENT':<34} {'ENABLED':<8} {'AUDIENCE':<9} {'LEAD TIME':<10} TEMPLATE")
    for row in found:
        lead = f"{row['lead_days']} day{'s' if row['lead_days'] != 1 else ''}" \
            if row["lead_days"] is not None else "-"
        print(f"{row['event']:<34} {'yes' if row['enabled'] else 'no':<8} "
              f"{row['audience']:<9} {lead:<10} {row['template']}")
    recipients = ", ".join(config.notifications.partner_recipients) or "none configured"
    print(f"\npartner recipients: {recipients}")
    return 0


def _preview(config: Config, event: Event, html: Path | None) -> int:
    renderer = TemplateRenderer(config.templates.dir)
    email = preview.preview(renderer, event, config.notifications.branding)
    print(f"Subject: {email.subject}\n")
    print(email.text, end="" if email.text.endswith("\n") else "\n")
    if html is not None:
        if email.html is None:
            raise ConfigError([f"{config.templates.dir / event.template}.html.j2: "
                               "no HTML template for this event"])
        html.write_text(email.html, encoding="utf-8")
        print(f"\n(HTML part written to {html})")
    return 0


def _event(label: str) -> Event:
    if label in EVENTS:
        return EVENTS[label]
    close = difflib.get_close_matches(label, list(EVENTS), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ConfigError([f"notifications preview: unknown event {label!r}{hint}; "
                       "'crm-connector notifications list' shows them all"])
