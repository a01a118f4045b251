"""The plan as an admin reads it: per system, each record and its fields, old → new.

Example::

    Plan for the next sync, read 2026-11-23 09:00:02 UTC with mappings 3f2a9c1d04be.
    Nothing was written.
    Read: 1 changed opportunities, 1 changed Subscription__c records, 0 Stripe events to apply.

    salesforce: 1 to create, 1 to update
      create Subscription__c Ledger_Id__c=01JD…
          Status__c: (none) → 'Potential'
      update Subscription__c Ledger_Id__c=01JC… (Id a00…)
          Status__c: 'Active' → 'Past Due'
          (6 fields unchanged)
    stripe: nothing to do
    email: 1 to send
      send csm_potential_subscriptions csm_potential_subscriptions:digest:5e0c…
          to: 'dana@example.com'
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping
from typing import Any

from connector.plan.records import SYSTEMS, Change, FieldChange, Plan

NEW_ONLY = ("create", "send", "error", "upsert")
COUNT_LABELS = {"create": "to create", "update": "to update", "leave": "left as they are",
                "send": "to send", "wait": "waiting for a retry", "error": "would fail",
                "dead_letter": "to dead-letter", "upsert": "to upsert"}


def render_text(plan: Plan) -> str:
    """The plan as text, one section per system."""
    when = plan.generated_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    lines = [f"Plan for the next sync, read {when} with mappings {plan.mappings[:12]}.",
             "Nothing was written.", _reads(plan.summary), ""]
    unread = {*(plan.summary.get("paused") or []), *(plan.summary.get("deferred") or [])}
    for system in SYSTEMS:
        lines += _section(system, plan.of(system), system in unread)
    lines += [f"incomplete: {line}" for line in incomplete(plan)]
    return "\n".join(lines)


def incomplete(plan: Plan) -> list[str]:
    """One line per system the plan could not read, with why; empty when it read all."""
    reasons = plan.summary.get("reasons") or {}
    return [f"{system} {how}: {reasons.get(system, 'see the log')}"
            for how, key in (("was paused", "paused"), ("could not be read", "deferred"))
            for system in plan.summary.get(key) or []]


def _reads(summary: Mapping[str, Any]) -> str:
    return (f"Read: {summary.get('opportunities_read', 0)} changed opportunities, "
            f"{summary.get('subscription_edits', 0)} changed Subscription__c records, "
            f"{summary.get('stripe_events_applied', 0)} Stripe events to apply.")


def _section(system: str, changes: list[Change], unread: bool = False) -> list[str]:
    if not changes:
        return [f"{system}: not known (it could not be read; see below)" if unread
                else f"{system}: nothing to do"]
    counts = Counter(change.action for change in changes)
    lines = [f"{system}: " + ", ".join(f"{n} {COUNT_LABELS.get(a, a)}"
                                       for a, n in counts.items())]
    for change in changes:
        lines += _change(change)
    return lines


def _change(change: Change) -> list[str]:
    lines = [f"  {change.action} {change.object} {change.key}".rstrip()]
    if change.note:
        lines.append(f"      ({change.note})")
    if change.action == "leave":
        return lines
    shown = [f for f in change.fields if change.action in NEW_ONLY or f.changed]
    lines += [f"      {_field(f, change.action in NEW_ONLY)}" for f in shown]
    if len(shown) < len(change.fields):
        unchanged = len(change.fields) - len(shown)
        lines.append(f"      ({unchanged} field{'s' if unchanged != 1 else ''} unchanged)")
    return lines


def _field(field: FieldChange, new_only: bool) -> str:
    if new_only and field.old is None:
        return f"{field.name}: {_value(field.new)}"
    return f"{field.name}: {_value(field.old)} → {_value(field.new)}"


def _value(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, str):
        return repr(value)
    return json.dumps(value, default=str, ensure_ascii=False)


def render_json(plan: Plan) -> str:
    """The plan as JSON (see :mod:`connector.plan.records` for the structure)."""
    return json.dumps(plan.as_json(), indent=2, default=str, ensure_ascii=False)
