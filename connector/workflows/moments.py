"""The daily job's facts: trials ending, trials expired, renewals coming, from the ledger.

Run once a day by the daemon (and by ``sync --once``), over the ledger only (no API call):

* :class:`TrialEnding`: a trialing subscription whose trial ends within the largest
  ``lead_days`` of the enabled ``trial_expiring`` events;
* :class:`TrialExpired`: a subscription whose trial has ended and that is not live (not
  active, trialing or past due) and never paid: the trial ended without a subscription;
* :class:`RenewalDue`: an active subscription that renews (its period ends, and it is not
  set to cancel) within the largest ``lead_days`` of the enabled ``renewal_reminder`` events.

Each fact is keyed by its subscription and its moment (a trial extended to a new end is a
new fact), so running the job ten times, or after a restart, announces each once; the
catalog step (:mod:`connector.workflows.notices`) decides per event whether it is due yet,
or past.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from sqlalchemy import select

from connector.inbound.stripe.notices import plan_data
from connector.ledger.announcements import announce
from connector.ledger.models import MoneyEntry, MoneyKind, Subscription, SubscriptionStatus
from connector.ledger.unit_of_work import Ledger, UnitOfWork
from connector.notifications_config import NotificationsConfig, TimedEventConfig
from connector.notify.catalog import events_for

NOT_EXPIRED = frozenset({SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING,
                         SubscriptionStatus.PAST_DUE, SubscriptionStatus.POTENTIAL})
EXPIRED_WINDOW = timedelta(days=30)
"""How long after a trial's end its expiry is still news (older ones are history)."""


@dataclass(frozen=True)
class _MomentFact:
    subscription_id: str
    account_id: str | None
    moment: datetime
    details: dict[str, Any]
    address: None = None

    @property
    def key(self) -> str:
        """The subscription and the moment (a new trial end or period is a new fact)."""
        return f"{self.subscription_id}:{self.moment.date().isoformat()}"

    def data(self) -> dict[str, Any]:
        """The template data."""
        return dict(self.details)


class TrialEnding(_MomentFact):
    """A free trial ends at ``moment`` (``trial_expiring``)."""

    FACT: ClassVar[str] = "trial_ending"


class TrialExpired(_MomentFact):
    """A free trial ended at ``moment`` without a subscription (``trial_expired``)."""

    FACT: ClassVar[str] = "trial_expired"


class RenewalDue(_MomentFact):
    """A subscription renews at ``moment`` (``renewal_reminder``)."""

    FACT: ClassVar[str] = "renewal_due"


class Moments:
    """The daily job (see the module docstring).

    Args:
        settings: ``[notifications]`` (the enabled time-based events and their lead days).
    """

    def __init__(self, settings: NotificationsConfig) -> None:
        self._settings = settings

    def run(self, ledger: Ledger) -> int:
        """Announce the facts whose moment is near (or, for an expiry, just past); return
        how many were new."""
        with ledger.unit() as uow:
            return (self._trials_ending(uow) + _trials_expired(uow)
                    + self._renewals(uow))

    def _lead(self, fact: str) -> timedelta | None:
        """The largest lead time of the enabled events of ``fact`` (None: none enabled)."""
        days = [settings.lead_days for event in events_for(fact)
                if isinstance(settings := self._settings.event(event.audience, event.name),
                              TimedEventConfig) and settings.enabled]
        return timedelta(days=max(days)) if days else None

    def _trials_ending(self, uow: UnitOfWork) -> int:
        lead = self._lead(TrialEnding.FACT)
        if lead is None:
            return 0
        rows = uow.session.scalars(select(Subscription).where(
            Subscription.status == SubscriptionStatus.TRIALING,
            Subscription.trial_end > uow.now, Subscription.trial_end <= uow.now + lead))
        return sum(announce(uow, TrialEnding(row.id, row.account_id, row.trial_end,
                                             _details(uow, row, "trial_end", row.trial_end)),
                            uow.now) for row in rows if row.trial_end is not None)

    def _renewals(self, uow: UnitOfWork) -> int:
        lead = self._lead(RenewalDue.FACT)
        if lead is None:
            return 0
        rows = uow.session.scalars(select(Subscription).where(
            Subscription.status == SubscriptionStatus.ACTIVE,
            Subscription.cancel_at_period_end.is_(False),
            Subscription.current_period_end > uow.now,
            Subscription.current_period_end <= uow.now + lead))
        return sum(announce(uow, RenewalDue(
            row.id, row.account_id, row.current_period_end,
            _details(uow, row, "renews_on", row.current_period_end)), uow.now)
            for row in rows if row.current_period_end is not None)


def _trials_expired(uow: UnitOfWork) -> int:
    rows = uow.session.scalars(select(Subscription).where(
        Subscription.status.not_in(list(NOT_EXPIRED)),
        Subscription.trial_end <= uow.now, Subscription.trial_end > uow.now - EXPIRED_WINDOW))
    count = 0
    for row in rows:
        paid = uow.session.scalar(select(MoneyEntry.id).where(
            MoneyEntry.subscription_id == row.id, MoneyEntry.kind == MoneyKind.PAYMENT).limit(1))
        if paid is None and row.trial_end is not None:
            details = {**_details(uow, row, "trial_end", row.trial_end), "status": row.status}
            count += announce(uow, TrialExpired(row.id, row.account_id, row.trial_end,
                                                details), uow.now)
    return count


def _details(uow: UnitOfWork, row: Subscription, name: str, moment: datetime) -> dict[str, Any]:
    return {**plan_data(uow, row), name: moment.date().isoformat()}
