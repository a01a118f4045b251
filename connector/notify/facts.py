"""The facts workflows hand to notify/: frozen dataclasses, queued as ledger notifications.

A workflow states what happened (:class:`PotentialSubscriptions`: a won opportunity's new
potential subscriptions for its CSM) and announces it
(:func:`~connector.ledger.announcements.announce`); the catalog step queues it as
:func:`notification` would. It never formats an email. notify/ turns the fact into the
row's JSON (display values: money with thousands separators, upper-case currency) here,
and into an email from the admin's templates when the row is sent (:mod:`connector.notify.compose`).

The row's JSON keeps the shape earlier releases queued, so rows already pending in a
ledger are sent the same after an upgrade.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar

from connector.ledger.models import Notification

CSM_POTENTIAL_SUBSCRIPTIONS = "csm_potential_subscriptions"
"""The notification kind of :class:`PotentialSubscriptions` (``<audience>_<event>``)."""


@dataclass(frozen=True)
class SubscriptionLine:
    """One new potential subscription.

    Attributes:
        ledger_id: the ledger subscription (its Salesforce record is linked at sending).
        product: the product's name (the opportunity's without a product).
        quantity: units.
        unit_price: per unit, in major units.
        currency: ISO code.
        start_date: when billing would start, if known.
        term_months: the term, if known.
    """

    ledger_id: str
    product: str | None
    quantity: int
    unit_price: Decimal
    currency: str
    start_date: date | None
    term_months: int | None

    def data(self) -> dict[str, Any]:
        """The line as the notification's JSON holds it (display values)."""
        return {
            "ledger_id": self.ledger_id, "product": self.product, "quantity": self.quantity,
            "unit_price": f"{self.unit_price:,.2f}",
            "amount": f"{self.unit_price * self.quantity:,.2f}",
            "currency": self.currency.upper(),
            "start_date": self.start_date.isoformat() if self.start_date else "",
            "term_months": self.term_months,
        }


@dataclass(frozen=True)
class SalesforceRecord:
    """A record an email links to: its name and Salesforce id (None when unknown)."""

    name: str
    salesforce_id: str | None


@dataclass(frozen=True)
class PotentialSubscriptions:
    """A won (or ticked) opportunity produced potential subscriptions for its CSM to review.

    Attributes:
        opportunity_id: the ledger opportunity.
        opportunity: the opportunity's name and Salesforce id.
        won: whether it is won (else it was ticked, "ready for billing").
        account: the account's name and Salesforce id.
        csm_name: the CSM's name, if known.
        csm_user_id: the CSM's Salesforce user id.
        csm_email: the address the email goes to ("" when the CSM has none).
        lines: the new subscriptions, at least one.
    """

    KIND: ClassVar[str] = CSM_POTENTIAL_SUBSCRIPTIONS
    FACT: ClassVar[str] = "potential_subscriptions"
    """The catalog's fact name (:mod:`connector.notify.catalog`)."""
    account_id: ClassVar[None] = None
    """Not needed: the CSM's address comes with the fact."""
    moment: ClassVar[None] = None
    opportunity_id: str
    opportunity: SalesforceRecord
    won: bool
    account: SalesforceRecord
    csm_name: str | None
    csm_user_id: str | None
    csm_email: str
    lines: tuple[SubscriptionLine, ...]

    @property
    def key(self) -> str:
        """One notification per opportunity's generation: by its first new subscription."""
        return f"{self.KIND}:{self.opportunity_id}:{self.lines[0].ledger_id}"

    @property
    def address(self) -> str:
        """Where it goes: the CSM ("" when the CSM has no email address)."""
        return self.csm_email

    @property
    def label(self) -> str:
        """How the queued row is named until it is sent with its rendered subject."""
        return f"Potential subscriptions for {self.opportunity.name}"

    def data(self) -> dict[str, Any]:
        """The notification's JSON: ``csm``, ``account``, ``opportunity`` and ``lines``."""
        return {
            "csm": {"name": self.csm_name or "there", "id": self.csm_user_id},
            "account": {"name": self.account.name,
                        "salesforce_id": self.account.salesforce_id},
            "opportunity": {"name": self.opportunity.name,
                            "salesforce_id": self.opportunity.salesforce_id, "won": self.won},
            "lines": [line.data() for line in self.lines],
        }


def notification(fact: PotentialSubscriptions, now: datetime) -> Notification:
    """The ledger row that queues ``fact`` for sending (the dispatcher sends it once)."""
    return Notification(key=fact.key, kind=fact.KIND, recipient=fact.csm_email,
                        subject=fact.label, data=fact.data(), created_at=now)
