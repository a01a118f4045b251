"""What one sync cycle did: the counts each step adds, logged as the run's canonical line."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from connector.dispatch.notifications import Sent
from connector.dispatch.salesforce_writes import Written
from connector.dispatch.stripe_activation import Activated
from connector.dispatch.stripe_lifecycle import Updated
from connector.inbound.salesforce.licences import LicencesApplied
from connector.inbound.salesforce.opportunities import Generated
from connector.inbound.stripe.backstop import EventsApplied
from connector.workflows.licence_summary import SummariesApplied
from connector.workflows.subscription_edits import Applied


@dataclass
class CycleReport:
    """What one cycle did; logged as the run's canonical line."""

    run_id: str
    generated: Generated = field(default_factory=Generated)
    edits: Applied = field(default_factory=Applied)
    events: EventsApplied = field(default_factory=EventsApplied)
    activated: Activated = field(default_factory=Activated)
    updated: Updated = field(default_factory=Updated)
    written: Written = field(default_factory=Written)
    sent: Sent = field(default_factory=Sent)
    licences: LicencesApplied = field(default_factory=LicencesApplied)
    summaries: SummariesApplied = field(default_factory=SummariesApplied)
    deleted: int = 0
    paused: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    reasons: dict[str, str] = field(default_factory=dict)
    """Why each paused or deferred system stopped, by system."""

    def summary(self) -> dict[str, Any]:
        """Flat counts for the log line."""
        return {
            "run_id": self.run_id,
            "opportunities_read": self.generated.opportunities_read,
            "line_items_read": self.generated.line_items_read,
            "history_imported": self.generated.history,
            "potential_subscriptions": len(self.generated.subscriptions),
            "subscription_edits": self.edits.changed,
            "activations_queued": self.edits.activations,
            "stripe_events_read": self.events.read,
            "stripe_events_applied": self.events.applied,
            "stripe_objects_reconciled": self.events.reconciled,
            "stripe_customers": len(self.activated.customers),
            "stripe_subscriptions": len(self.activated.subscriptions),
            "stripe_updates": self.updated.delivered,
            "conflicts": self.edits.conflicts,
            "licences_read": self.licences.read,
            "account_summaries_changed": self.summaries.changed,
            "licence_facts": self.summaries.facts,
            "salesforce_records_written": self.written.records,
            "salesforce_records_deleted": self.deleted,
            "emails_sent": len(self.sent.sent),
            "dead_letters": (self.generated.dead_letters + self.edits.dead_letters
                             + self.events.dead_letters + self.activated.dead_letters
                             + self.updated.dead_letters + self.licences.dead_letters
                             + self.written.dead_letters + self.sent.failed),
            "paused": self.paused, "deferred": self.deferred, "refused": len(self.refused),
            **({"reasons": self.reasons} if self.reasons else {}),
        }


def combined(first: Any, second: Any) -> Any:
    """Two step results (dataclasses of counts and lists) added field by field."""
    for item in dataclasses.fields(first):
        setattr(first, item.name, getattr(first, item.name) + getattr(second, item.name))
    return first
