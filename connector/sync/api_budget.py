"""The Salesforce API budget kept in the ledger: calls per UTC day and the org's usage.

Each cycle adds the calls it made to the day's ``api_usage`` row and stores the usage and
allocation Salesforce last reported, so ``status`` can show them without calling Salesforce.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.ledger.models import ApiUsage
from connector.ledger.unit_of_work import UnitOfWork
from connector.salesforce.budget import ApiMeter

SYSTEM = "salesforce"


@dataclass(frozen=True)
class BudgetState:
    """The budget as ``status`` shows it.

    Attributes:
        calls_today: our calls on the newest day recorded.
        org_used: the org's usage as last reported; None before any call.
        limit: the org's daily allocation as last reported.
        share: ``max_api_share``.
    """

    calls_today: int
    org_used: int | None
    limit: int | None
    share: float

    @property
    def paused(self) -> bool:
        """Whether polling and writes are paused for the budget."""
        return bool(self.limit) and self.org_used is not None \
            and self.org_used >= int((self.limit or 0) * self.share)


def save_usage(uow: UnitOfWork, meter: ApiMeter) -> None:
    """Add the meter's unsaved calls to today's row and store the last reported usage."""
    calls = meter.take_unsaved()
    if not calls and meter.used is None:
        return
    day = uow.now.date()
    row = uow.session.get(ApiUsage, (SYSTEM, day))
    if row is None:
        row = ApiUsage(system=SYSTEM, day=day, calls=0)
        uow.session.add(row)
    row.calls = (row.calls or 0) + calls
    if meter.used is not None:
        row.org_used, row.call_limit = meter.used, meter.limit
    row.updated_at = uow.now


def latest_usage(session: Session, share: float) -> BudgetState | None:
    """The newest day's usage, or None when nothing was recorded yet."""
    query = select(ApiUsage).where(ApiUsage.system == SYSTEM).order_by(ApiUsage.day.desc())
    row = session.scalars(query.limit(1)).first()
    if row is None:
        return None
    return BudgetState(row.calls, row.org_used, row.call_limit, share)
