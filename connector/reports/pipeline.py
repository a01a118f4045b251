"""``pipeline``: open opportunities by stage and expected close month, weighted by probability.

Read from the ledger's mirror of Salesforce opportunities (stage, close date, amount,
currency, probability as last read). An opportunity without a probability weighs nothing.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.ledger.models import Opportunity
from connector.reports.period import ReportQuery, date_month_of, money
from connector.reports.spec import Row

NO_DATE = "(none)"


def pipeline(session: Session, query: ReportQuery) -> list[Row]:
    """Per expected close month, stage and currency: how many open opportunities, their
    ``amount`` and ``weighted`` amount (amount x probability / 100).

    ``--from``/``--to`` select close months; without them every open opportunity counts.
    """
    month = date_month_of(Opportunity.close_date)
    weighted = func.sum(Opportunity.amount_minor * func.coalesce(Opportunity.probability, 0))
    found = (select(month, Opportunity.stage, Opportunity.currency, func.count(),
                    func.sum(Opportunity.amount_minor), weighted)
             .where(Opportunity.is_closed.is_(False), Opportunity.deleted_at.is_(None))
             .group_by(month, Opportunity.stage, Opportunity.currency)
             .order_by(month, Opportunity.stage, Opportunity.currency))
    if query.start is not None:
        found = found.where(Opportunity.close_date >= query.start.start.date())
    if query.end is not None:
        found = found.where(Opportunity.close_date < query.end.end.date())
    if query.currency:
        found = found.where(Opportunity.currency == query.currency)
    if query.account:
        found = found.where(Opportunity.account_id == query.account)
    return [_row(*found_row) for found_row in session.execute(found)]


def _row(*found: Any) -> Row:
    month, stage, currency, count, amount, weight = found
    currency = currency or "usd"
    return {"close_month": month or NO_DATE, "stage": stage, "currency": currency,
            "opportunities": int(count), "amount": money(amount, currency),
            "weighted": money(Decimal(str(weight or 0)) / 100, currency)}
