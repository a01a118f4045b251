"""Subscriptions over time, from the journal: ``new-subscribers-by-month``,
``status-by-month``; and the plan mix now: ``plan-by-unit``.

History comes from the journal, not from the subscriptions' current rows, so a month keeps
its numbers after later changes. A change counts at its source timestamp (Salesforce's
``SystemModstamp``, Stripe's event time) when it has one, else when it was recorded.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import ColumnElement, Subquery, func, or_, select
from sqlalchemy.orm import Session

from connector.ledger.models import (
    ChangeKind,
    JournalEntry,
    Price,
    Product,
    Subscription,
    SubscriptionItem,
    SubscriptionStatus,
)
from connector.reports.period import Month, ReportQuery, month_of
from connector.reports.spec import Row

STATUS_COLUMNS = ("trialing", "active", "past_due", "canceled", "expired")
STARTED = (SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING)
ACTIVE = (SubscriptionStatus.ACTIVE, SubscriptionStatus.PAST_DUE)
"""Subscriptions that count as active in the plan mix: billing, paid up or not."""


def changed_at() -> ColumnElement[Any]:
    """SQL: when a journal entry's change happened (source time, else recorded time)."""
    return func.coalesce(JournalEntry.source_ts, JournalEntry.recorded_at)


def new_status() -> ColumnElement[str]:
    """SQL: the status a journal entry set (NULL when it did not change the status)."""
    status: ColumnElement[str] = JournalEntry.diff[("status", 1)].as_string()
    return status


def new_subscribers_by_month(session: Session, query: ReportQuery) -> list[Row]:
    """Per month: customers whose first subscription became active or trialing then.

    A customer is the subscription's account (the customer organisation; one Stripe
    customer per account), else its Stripe customer, else the subscription itself.
    """
    firsts = _first_starts()
    month = month_of(firsts.c.at)
    counts = {at: count for at, count in session.execute(
        select(month, func.count()).group_by(month))}
    first_seen = session.scalar(select(func.min(firsts.c.at)))
    return [{"month": str(m), "new_subscribers": int(counts.get(str(m), 0))}
            for m in query.span(first_seen)]


def _first_starts() -> Subquery:
    who = func.coalesce(Subscription.account_id, Subscription.customer_id, Subscription.id)
    return (select(who.label("who"), func.min(changed_at()).label("at"))
            .join(Subscription, Subscription.id == JournalEntry.entity_id)
            .where(JournalEntry.entity_type == "subscription",
                   new_status().in_([str(s) for s in STARTED]))
            .group_by(who).subquery())


def status_by_month(session: Session, query: ReportQuery) -> list[Row]:
    """Per month: how many subscriptions were in each status at the month's end.

    Each status change opens an interval that the subscription's next change (or its
    deletion) closes; a month counts the intervals open at its end. The intervals are
    counted in SQL by (month opened, month closed, status), so the work in Python is per
    month, not per subscription.
    """
    spans = _status_spans()
    opened, closed = month_of(spans.c.at), month_of(spans.c.until)
    grouped = session.execute(select(opened, closed, spans.c.status, func.count())
                              .where(spans.c.status.in_(STATUS_COLUMNS))
                              .group_by(opened, closed, spans.c.status))
    delta: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for start, end, status, count in grouped:
        delta[start][status] += int(count)
        if end is not None:
            delta[end][status] -= int(count)
    first_seen = min(delta, default=None)
    return _running_counts(query.span(first_seen), delta)


def _running_counts(span: list[Month], delta: dict[str, dict[str, int]]) -> list[Row]:
    rows: list[Row] = []
    running: dict[str, int] = defaultdict(int)
    before = [key for key in delta if span and key < str(span[0])]
    for key in sorted(before):
        for status, change in delta[key].items():
            running[status] += change
    for month in span:
        for status, change in delta.get(str(month), {}).items():
            running[status] += change
        rows.append({"month": str(month), **{s: running[s] for s in STATUS_COLUMNS}})
    return rows


def _status_spans() -> Subquery:
    at = changed_at()
    return (select(JournalEntry.entity_id, at.label("at"), new_status().label("status"),
                   func.lead(at).over(partition_by=JournalEntry.entity_id,
                                      order_by=(at, JournalEntry.id)).label("until"))
            .where(JournalEntry.entity_type == "subscription",
                   or_(new_status().is_not(None), JournalEntry.kind == ChangeKind.DELETE))
            .subquery())


def plan_by_unit(session: Session, query: ReportQuery) -> list[Row]:
    """Per product and price: active subscriptions (active or past due, now) and their units
    (the items' quantities)."""
    product = func.coalesce(SubscriptionItem.product_id, Price.product_id)
    found = session.execute(
        select(func.coalesce(Product.name, "(no product)"), Price.lookup_key,
               func.count(func.distinct(Subscription.id)), func.sum(SubscriptionItem.quantity))
        .select_from(SubscriptionItem)
        .join(Subscription, Subscription.id == SubscriptionItem.subscription_id)
        .outerjoin(Price, Price.id == SubscriptionItem.price_id)
        .outerjoin(Product, Product.id == product)
        .where(Subscription.status.in_([str(s) for s in ACTIVE]),
               Subscription.deleted_at.is_(None), SubscriptionItem.deleted_at.is_(None))
        .group_by(Product.name, Price.lookup_key)
        .order_by(Product.name, Price.lookup_key))
    return [{"product": name, "lookup_key": key, "subscriptions": int(subs), "units": int(units)}
            for name, key, subs, units in found]
