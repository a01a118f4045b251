"""A subscription's history, reconstructed from the journal alone.

Every lifecycle change is a journal entry (``status``, ``quantity``,
``cancel_at_period_end``, ``product_id``, ``end_date`` in its diff), so the history needs no
other table: :func:`subscription_history` replays the entries in order. A change counts at
its source timestamp (Salesforce's ``SystemModstamp``, Stripe's event time) when it has one,
else when it was recorded.

Status is the *billing* status: a cancellation scheduled for the period end (the CSM's
``Canceled``, shown in Salesforce at once) leaves the subscription active until Stripe
reports it canceled; the scheduling itself is listed as an event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.ledger.models import JournalEntry

CANCELED = "canceled"


@dataclass(frozen=True)
class LifecycleEvent:
    """One change of a subscription's lifecycle.

    Attributes:
        at: when it happened (source timestamp, else recorded time).
        kind: ``created``, ``status``, ``upsell``, ``downgrade``, ``price``,
            ``cancel_scheduled``, ``reactivated`` or ``term``.
        source: who made it (``salesforce``, ``stripe``, ``ledger``, ``admin``).
        old: the value before (status, quantity, product id, end date; None for a creation).
        new: the value after.
    """

    at: datetime
    kind: str
    source: str
    old: Any
    new: Any


@dataclass(frozen=True)
class SubscriptionHistory:
    """What the journal says happened to one subscription.

    Attributes:
        events: every lifecycle change, oldest first.
        status_by_month: ``(YYYY-MM, status)`` from the first change's month to ``until``'s;
            each month shows the status at its end.
    """

    subscription_id: str
    events: list[LifecycleEvent]
    status_by_month: list[tuple[str, str]]

    @property
    def quantity_changes(self) -> list[LifecycleEvent]:
        """The upsells and downgrades (and the initial quantity), oldest first."""
        return [e for e in self.events
                if e.kind in ("upsell", "downgrade") or (e.kind == "created" and
                isinstance(e.new, int))]


def subscription_history(session: Session, subscription_id: str, *,
                         until: date) -> SubscriptionHistory:
    """Reconstruct ``subscription_id``'s history from its journal entries, up to ``until``."""
    query = select(JournalEntry).where(JournalEntry.entity_type == "subscription",
                                       JournalEntry.entity_id == subscription_id)
    entries = list(session.scalars(query.order_by(JournalEntry.id)))
    events = [event for entry in entries for event in _events(entry)]
    events.sort(key=lambda e: e.at)
    return SubscriptionHistory(subscription_id, events, _by_month(events, until))


def _events(entry: JournalEntry) -> list[LifecycleEvent]:
    at = entry.source_ts or entry.recorded_at
    changes = entry.diff

    def event(kind: str, field: str) -> LifecycleEvent:
        old, new = changes[field]
        return LifecycleEvent(at, kind, entry.source, old, new)

    found: list[LifecycleEvent] = []
    if entry.kind == "create":
        found += [event("created", f) for f in ("status", "quantity") if f in changes]
        return found
    scheduled = _schedules_cancel(changes)
    if "status" in changes and scheduled is None:
        found.append(event("status", "status"))
    if scheduled is not None:
        found.append(event("cancel_scheduled" if scheduled else "reactivated",
                           "cancel_at_period_end"))
    if "quantity" in changes:
        old, new = changes["quantity"]
        found.append(event("upsell" if new > (old or 0) else "downgrade", "quantity"))
    if "product_id" in changes:
        found.append(event("price", "product_id"))
    if "end_date" in changes and scheduled is None and entry.source == "salesforce":
        found.append(event("term", "end_date"))
    return found


def _schedules_cancel(changes: dict[str, list[Any]]) -> bool | None:
    """True: the entry schedules a cancellation; False: it withdraws one; None: neither.

    Salesforce shows a scheduled cancellation as status ``canceled``; that status change is
    the scheduling, not the end of billing.
    """
    flag = changes.get("cancel_at_period_end")
    if flag is None or flag[0] == flag[1]:
        return None
    status = changes.get("status")
    if status is None or CANCELED not in status:
        return bool(flag[1])
    return bool(flag[1]) if (status[1] == CANCELED) == bool(flag[1]) else None


def _by_month(events: list[LifecycleEvent], until: date) -> list[tuple[str, str]]:
    statuses = [e for e in events if e.kind in ("created", "status") and isinstance(e.new, str)]
    if not statuses:
        return []
    month = statuses[0].at.date().replace(day=1)
    months: list[tuple[str, str]] = []
    current, index = statuses[0].new, 0
    while (month.year, month.month) <= (until.year, until.month):
        while index < len(statuses) and (statuses[index].at.year, statuses[index].at.month) \
                <= (month.year, month.month):
            current, index = statuses[index].new, index + 1
        months.append((f"{month.year:04d}-{month.month:02d}", current))
        month += relativedelta(months=1)
    return months
