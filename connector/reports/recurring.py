"""Recurring revenue: ``mrr-by-month`` (MRR, ARR and their movements) and ``acv``.

A subscription's MRR is the ledger's ``mrr_minor``: its items normalised to a month (yearly
prices ÷ 12, times the quantity, less repeating discounts; see
:func:`connector.mapping.money.monthly_amount`). Its history is read from the journal, which
records every change of ``mrr_minor`` and ``status``: at a month's end a subscription counts
with the MRR it had then, if it was active or past due then.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.ledger.models import JournalEntry, Subscription
from connector.ledger.names import RecordNames
from connector.reports.period import Month, ReportQuery, money
from connector.reports.spec import Row
from connector.reports.subscribers import ACTIVE, changed_at

BILLING = frozenset(str(s) for s in ACTIVE)
MOVEMENTS = ("new", "expansion", "contraction", "churned")
TOTAL = "(total)"


@dataclass
class _Timeline:
    """One subscription's (moment, status, MRR) after each change, in order."""

    currency: str
    changes: list[tuple[datetime, str | None, int]] = field(default_factory=list)

    def mrr_before(self, moment: datetime) -> int:
        """The MRR it contributed just before ``moment`` (0 when not billing then)."""
        status, mrr = None, 0
        for at, now_status, now_mrr in self.changes:
            if at >= moment:
                break
            status, mrr = now_status, now_mrr
        return mrr if status in BILLING else 0


def mrr_by_month(session: Session, query: ReportQuery) -> list[Row]:
    """Per month and currency at the month's end: ``mrr``, ``arr`` (12 x MRR), how many
    ``subscriptions`` bring it, and the month's movements: ``new`` (from nothing),
    ``expansion``, ``contraction`` and ``churned`` (to nothing) MRR."""
    timelines = _timelines(session, query.currency)
    starts = [at for t in timelines.values() for at, _, mrr in t.changes if mrr]
    span = query.span(min(starts, default=None))
    rows: list[Row] = []
    if not span:
        return rows
    previous = {key: t.mrr_before(span[0].start) for key, t in timelines.items()}
    for month in span:
        current = {key: t.mrr_before(month.end) for key, t in timelines.items()}
        rows.extend(_mrr_rows(month, timelines, previous, current))
        previous = current
    return rows


def _mrr_rows(month: Month, timelines: dict[str, _Timeline], previous: dict[str, int],
              current: dict[str, int]) -> list[Row]:
    sums: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for key, timeline in timelines.items():
        cell, before, after = sums[timeline.currency], previous[key], current[key]
        cell["mrr"] += after
        cell["subscriptions"] += 1 if after else 0
        if not before and after:
            cell["new"] += after
        elif before and not after:
            cell["churned"] += before
        elif after > before:
            cell["expansion"] += after - before
        elif after < before:
            cell["contraction"] += before - after
    return [{"month": str(month), "currency": currency, "mrr": money(cell["mrr"], currency),
             "arr": money(cell["mrr"] * 12, currency),
             **{name: money(cell[name], currency) for name in MOVEMENTS},
             "subscriptions": cell["subscriptions"]}
            for currency, cell in sorted(sums.items())]


def _timelines(session: Session, currency: str | None) -> dict[str, _Timeline]:
    currencies = select(Subscription.id, Subscription.currency).where(
        Subscription.currency.is_not(None))
    if currency:
        currencies = currencies.where(Subscription.currency == currency)
    timelines = {sid: _Timeline(str(cur)) for sid, cur in session.execute(currencies)}
    entries = session.execute(
        select(JournalEntry.entity_id, changed_at(), JournalEntry.diff)
        .where(JournalEntry.entity_type == "subscription")
        .order_by(JournalEntry.entity_id, changed_at(), JournalEntry.id))
    _replay(timelines, entries)
    return {key: t for key, t in timelines.items() if t.changes}


def _replay(timelines: dict[str, _Timeline],
            entries: Iterable[tuple[str, Any, dict[str, list[Any]]]]) -> None:
    state: dict[str, tuple[str | None, int]] = {}
    for entity_id, at, changes in entries:
        timeline = timelines.get(entity_id)
        if timeline is None or not ({"status", "mrr_minor"} & changes.keys()):
            continue
        status, mrr = state.get(entity_id, (None, 0))
        if "status" in changes:
            status = changes["status"][1]
        if "mrr_minor" in changes:
            mrr = int(changes["mrr_minor"][1] or 0)
        state[entity_id] = (status, mrr)
        timeline.changes.append((_aware(at), status, mrr))


def _aware(value: Any) -> datetime:
    # SQLite hands the coalesced column back as text, without the column's type.
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def acv(session: Session, query: ReportQuery) -> list[Row]:
    """Annual contract value of the active (or past due) subscriptions, per account and
    currency, then a ``(total)`` row per currency.

    A contract's value is its MRR times its term (12 months when none is recorded); its
    ACV is that value per year of the term, so a 12-month term's ACV is its yearly value
    and a term shorter than a year counts whole.
    """
    found = select(Subscription.account_id, Subscription.currency, Subscription.mrr_minor,
                   Subscription.term_months).where(
        Subscription.status.in_(BILLING), Subscription.deleted_at.is_(None),
        Subscription.currency.is_not(None))
    if query.currency:
        found = found.where(Subscription.currency == query.currency)
    if query.account:
        found = found.where(Subscription.account_id == query.account)
    sums: dict[tuple[str | None, str], list[Decimal]] = defaultdict(
        lambda: [Decimal(0), Decimal(0)])
    for account_id, currency, mrr, term in session.execute(found):
        months = term or 12
        cell = sums[(account_id, str(currency))]
        cell[0] += 1
        cell[1] += Decimal(mrr or 0) * months * 12 / max(months, 12)
    return _acv_rows(RecordNames(session), sums)


def _acv_rows(names: RecordNames, sums: dict[tuple[str | None, str], list[Decimal]]
              ) -> list[Row]:
    rows: list[Row] = []
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for (account_id, currency), (count, value) in sums.items():
        name = names.of("account", account_id) if account_id else None
        rows.append({"account": (name.salesforce_id if name else None) or account_id,
                     "name": name.name if name else None, "currency": currency,
                     "subscriptions": int(count), "acv": money(value, currency)})
        totals[currency][0] += count
        totals[currency][1] += value
    rows.sort(key=lambda row: (row["currency"], -row["acv"], str(row["account"])))
    for currency, (count, value) in sorted(totals.items()):
        rows.append({"account": TOTAL, "name": None, "currency": currency,
                     "subscriptions": int(count), "acv": money(value, currency)})
    return rows
