"""Money collected, from the ledger's money entries: ``revenue-by-month`` and
``coupon-revenue-by-month``.

Revenue is what Stripe collected: each paid invoice's ``amount_paid`` in the month it was
paid (``gross``), less the refunds and credit notes issued that month (``refunds``). Both are
SQL aggregates over ``money_entries`` grouped by month, currency and kind, read through the
``(kind, occurred_at, currency, amount_minor)`` index.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import ColumnElement, Executable, func, select
from sqlalchemy.orm import Session

from connector.ledger.models import Invoice, MoneyEntry, MoneyKind
from connector.reports.period import Month, ReportQuery, money, month_of
from connector.reports.spec import Row

TAKEN_BACK = (MoneyKind.REFUND, MoneyKind.CREDIT_NOTE)
COUNTED = (MoneyKind.PAYMENT, *TAKEN_BACK)
NO_COUPON = "(none recorded)"


def _within(query: ReportQuery, column: Any) -> list[ColumnElement[bool]]:
    conditions = [column < query.upper]
    if query.lower is not None:
        conditions.append(column >= query.lower)
    return conditions


def _seen(session: Session, query: ReportQuery) -> tuple[Any, list[str]]:
    """When the first money moved, and every currency it ever moved in (sorted)."""
    seen = (select(MoneyEntry.currency, func.min(MoneyEntry.occurred_at))
            .where(MoneyEntry.kind.in_(COUNTED)).group_by(MoneyEntry.currency))
    if query.currency:
        seen = seen.where(MoneyEntry.currency == query.currency)
    found = {currency: first for currency, first in session.execute(seen)}
    return min(found.values(), default=None), sorted(found)


def revenue_by_month(session: Session, query: ReportQuery) -> list[Row]:
    """Per month and currency: ``revenue`` = ``gross`` - ``refunds``; ``invoices`` paid.

    Every month of the range gets a row for every currency the ledger has money in (zeros
    for a month with nothing), so a gap shows as a gap.
    """
    month = month_of(MoneyEntry.occurred_at)
    totals = (select(month, MoneyEntry.currency, MoneyEntry.kind,
                     func.sum(MoneyEntry.amount_minor), func.count())
              .where(MoneyEntry.kind.in_(COUNTED), *_within(query, MoneyEntry.occurred_at))
              .group_by(month, MoneyEntry.currency, MoneyEntry.kind))
    if query.currency:
        totals = totals.where(MoneyEntry.currency == query.currency)
    cells: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for at, currency, kind, amount, count in session.execute(totals):
        cell = cells[(at, currency)]
        if kind == MoneyKind.PAYMENT:
            cell["gross"] += int(amount)
            cell["invoices"] += int(count)
        else:
            cell["refunds"] += int(amount)
    first_seen, currencies = _seen(session, query)
    span = query.span(first_seen)
    return [_revenue_row(month, currency, cells.get((str(month), currency), {}))
            for month in span for currency in currencies]


def _revenue_row(month: Month, currency: str, cell: dict[str, int]) -> Row:
    gross, refunds = cell.get("gross", 0), cell.get("refunds", 0)
    return {"month": str(month), "currency": currency, "revenue": money(gross - refunds, currency),
            "gross": money(gross, currency), "refunds": money(refunds, currency),
            "invoices": cell.get("invoices", 0)}


def coupon_revenue_by_month(session: Session, query: ReportQuery) -> list[Row]:
    """Per month (of payment), coupon and currency: what the invoices that carried a
    discount collected (``revenue``), the ``discount`` they gave, and how many there were.

    ``coupon`` is the Stripe coupon id (the discount id where Stripe did not expand it).
    """
    found = session.execute(_coupon_totals(query))
    rows: list[Row] = []
    for at, coupon, currency, paid, discount, count in found:
        rows.append({"month": at, "coupon": coupon or NO_COUPON, "currency": currency,
                     "revenue": money(paid, currency), "discount": money(discount, currency),
                     "invoices": int(count)})
    return rows


def _coupon_totals(query: ReportQuery) -> Executable:
    month = month_of(MoneyEntry.occurred_at)
    totals = (select(month, Invoice.coupon, Invoice.currency,
                     func.sum(Invoice.amount_paid_minor), func.sum(Invoice.discount_minor),
                     func.count())
              .join(Invoice, Invoice.id == MoneyEntry.invoice_id)
              .where(MoneyEntry.kind == MoneyKind.PAYMENT, Invoice.discount_minor > 0,
                     *_within(query, MoneyEntry.occurred_at))
              .group_by(month, Invoice.coupon, Invoice.currency)
              .order_by(month, Invoice.coupon, Invoice.currency))
    if query.currency:
        totals = totals.where(Invoice.currency == query.currency)
    return totals

