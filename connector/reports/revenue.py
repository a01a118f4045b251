"""Money collected, from the ledger's money entries: ``revenue-by-month`` and
``coupon-revenue-by-month``.

Revenue is what Stripe collected: each paid invoice's ``amount_paid`` in the month it was
paid (``gross``), less the refunds and credit notes issued that month (``refunds``). Both are
SQL aggregates over ``money_entries`` grouped by kind, currency and month; on SQLite (which
aggregates by sorting) an expression index on ``(kind, currency, month, amount_minor)``
hands the rows over already in that order.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import ColumnElement, Executable, func, select
from sqlalchemy.orm import Session

from connector.ledger.models import Invoice, MoneyEntry, MoneyKind
from connector.reports.period import Month, ReportQuery, money, month_of
from connector.reports.spec import Row

TAKEN_BACK = (MoneyKind.REFUND, MoneyKind.CREDIT_NOTE)
COUNTED = (MoneyKind.PAYMENT, *TAKEN_BACK)
NO_COUPON = "(none recorded)"


def _months_within(query: ReportQuery, month: ColumnElement[str]) -> list[ColumnElement[bool]]:
    """The range as conditions on the month expression itself: SQLite then reads the
    ``(kind, currency, month, amount)`` expression index in order, without sorting."""
    conditions = [month <= str(query.end or Month.of(query.now))]
    if query.start is not None:
        conditions.append(month >= str(query.start))
    return conditions


def revenue_by_month(session: Session, query: ReportQuery) -> list[Row]:
    """Per month and currency: ``revenue`` = ``gross`` - ``refunds``; ``invoices`` paid.

    Every month of the range gets a row for every currency that has money in the range
    (zeros for a month with nothing), so a gap shows as a gap.
    """
    month = month_of(MoneyEntry.occurred_at)
    totals = (select(month, MoneyEntry.currency, MoneyEntry.kind,
                     func.sum(MoneyEntry.amount_minor), func.count())
              .where(MoneyEntry.kind.in_(COUNTED), *_months_within(query, month))
              .group_by(MoneyEntry.kind, MoneyEntry.currency, month))
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
    currencies = sorted({currency for _, currency in cells})
    span = query.span(min((at for at, _ in cells), default=None))
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
                     *_months_within(query, month))
              .group_by(month, Invoice.coupon, Invoice.currency)
              .order_by(month, Invoice.coupon, Invoice.currency))
    if query.currency:
        totals = totals.where(Invoice.currency == query.currency)
    return totals

