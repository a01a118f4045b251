"""The customer summary of an account, computed from the ledger alone (no API calls).

Seats bought come from billing: the quantities of the account's live subscriptions
(active, trialing, past due, unpaid, paused), per product and in total. Seats used, active
users, status and expiration come from the account's licences. Utilisation is used / bought
in percent (one decimal); a site licence (seats -1) has none and is never a discrepancy.
Without a live subscription of a seat product (a trial not billed yet) the licence's own
seats stand in for the seats bought.

A discrepancy is one of: more seats used than bought; a licence Active while billing is
past due or canceled; licence seats different from the seats billed (only while billing is
live). The reports call :func:`summarise` too, so the Account page, ``customer`` and
``report customer-summary`` agree.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from connector.ledger.licences import Licence, LicenceStatus
from connector.ledger.models import Product, Subscription, SubscriptionItem, SubscriptionStatus

LIVE = frozenset({SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING,
                  SubscriptionStatus.PAST_DUE, SubscriptionStatus.UNPAID,
                  SubscriptionStatus.PAUSED})
OVERDUE = frozenset({SubscriptionStatus.PAST_DUE, SubscriptionStatus.UNPAID})
ENDED = frozenset({SubscriptionStatus.CANCELED, SubscriptionStatus.EXPIRED,
                   SubscriptionStatus.INCOMPLETE_EXPIRED})
PRECEDENCE = (LicenceStatus.ACTIVE, LicenceStatus.TRIAL, LicenceStatus.SUSPENDED,
              LicenceStatus.EXPIRED)
"""Which status an account with several licences shows: the first any of them has."""
SITE = -1
TENTH = Decimal("0.1")


@dataclass(frozen=True)
class CustomerSummary:
    """One account's licence and billing at a glance.

    Attributes:
        account_id: the ledger account.
        licence_status: Active, Trial, Expired or Suspended; None without a licence.
        expiration: when the licence expires (None: never, or no licence).
        licence_seats: seats the licences grant (-1: a site licence).
        seats: seats bought (billing), else the licence's seats.
        used_seats: seats in use (licence).
        active_users: active users, where the licence object reports them.
        utilisation: ``used_seats / seats`` in percent, one decimal.
        mrr_minor: monthly recurring revenue of the live subscriptions, minor units.
        arr_minor: annual recurring revenue, minor units.
        currency: the currency of the amounts (lowercase ISO code).
        billing: ``active``, ``past_due`` or ``canceled`` (None: never billed).
        seats_by_product: product name → seats bought.
        discrepancies: why the licence and billing disagree, one sentence each.
    """

    account_id: str
    licence_status: str | None = None
    expiration: date | None = None
    licence_seats: int | None = None
    seats: int | None = None
    used_seats: int | None = None
    active_users: int | None = None
    utilisation: Decimal | None = None
    mrr_minor: int | None = None
    arr_minor: int | None = None
    currency: str | None = None
    billing: str | None = None
    seats_by_product: tuple[tuple[str, int], ...] = ()
    discrepancies: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready values (dates ISO, the utilisation as text), for the ledger and diffs."""
        values = asdict(self)
        values["expiration"] = self.expiration.isoformat() if self.expiration else None
        values["utilisation"] = None if self.utilisation is None else str(self.utilisation)
        values["seats_by_product"] = [list(pair) for pair in self.seats_by_product]
        values["discrepancies"] = list(self.discrepancies)
        return values


@dataclass(frozen=True)
class _Billing:
    seats: int = 0
    by_product: tuple[tuple[str, int], ...] = ()
    mrr_minor: int | None = None
    arr_minor: int | None = None
    currency: str | None = None
    state: str | None = None


def summarise(session: Session, account_ids: Iterable[str],
              seat_products: Iterable[str] = ()) -> dict[str, CustomerSummary]:
    """The summary of each of ``account_ids``, by account id.

    ``seat_products``: the ``ProductCode`` of the products sold by the seat; only their
    quantities are seats bought (empty: every product's). MRR and ARR count every product.
    """
    ids = sorted(set(account_ids))
    licences = _licences(session, ids)
    billing = _billing(session, ids, frozenset(seat_products))
    return {i: summary_of(i, licences.get(i, []), billing.get(i, _Billing())) for i in ids}


def summary_of(account_id: str, licences: list[Licence], billing: _Billing) -> CustomerSummary:
    """The summary from an account's live licences and its billing."""
    status = next((s.value for s in PRECEDENCE if any(lic.status == s for lic in licences)),
                  None)
    site = any(lic.seats == SITE for lic in licences)
    licence_seats = SITE if site else sum(lic.seats for lic in licences) if licences else None
    used = sum(lic.used_seats for lic in licences) if licences else None
    live = billing.state in ("active", "past_due") and billing.seats > 0
    seats = billing.seats if live else (
        licence_seats if licence_seats not in (None, SITE) else None)
    summary = CustomerSummary(
        account_id, status, _expiration(licences), licence_seats, seats or None, used,
        _active_users(licences), _utilisation(used, seats, site), billing.mrr_minor,
        billing.arr_minor, billing.currency, billing.state, billing.by_product)
    return CustomerSummary(**{**summary.__dict__,
                              "discrepancies": discrepancies_of(summary, site)})


def discrepancies_of(summary: CustomerSummary, site: bool) -> tuple[str, ...]:
    """Why the licence and billing of ``summary`` disagree (empty: they agree)."""
    if summary.licence_status is None:
        return ()
    found = []
    used, seats = summary.used_seats or 0, summary.seats
    if not site and seats and used > seats:
        found.append(f"{used} seats used of {seats} bought")
    if summary.licence_status == LicenceStatus.ACTIVE and summary.billing in (
            "past_due", "canceled"):
        found.append(f"licence Active while billing is {summary.billing.replace('_', ' ')}")
    billed = summary.billing in ("active", "past_due") and bool(summary.seats_by_product)
    if not site and billed and summary.licence_seats != summary.seats:
        found.append(f"licence grants {summary.licence_seats} seats, billing "
                     f"{summary.seats or 0}")
    return tuple(found)


def _utilisation(used: int | None, seats: int | None, site: bool) -> Decimal | None:
    if site or used is None or not seats:
        return None
    return (Decimal(used) * 100 / Decimal(seats)).quantize(TENTH, rounding=ROUND_HALF_UP)


def _expiration(licences: list[Licence]) -> date | None:
    dates = [lic.expiration for lic in licences]
    if not dates or any(d is None for d in dates):
        return None
    return max(d for d in dates if d is not None)


def _active_users(licences: list[Licence]) -> int | None:
    counts = [lic.active_users for lic in licences if lic.active_users is not None]
    return sum(counts) if counts else None


def _licences(session: Session, ids: list[str]) -> dict[str, list[Licence]]:
    found: dict[str, list[Licence]] = defaultdict(list)
    for licence in session.scalars(select(Licence).where(
            Licence.account_id.in_(ids), Licence.deleted_at.is_(None)).order_by(Licence.id)):
        found[licence.account_id].append(licence)
    return found


def _billing(session: Session, ids: list[str],
             seat_products: frozenset[str]) -> dict[str, _Billing]:
    rows = session.execute(
        select(Subscription, SubscriptionItem.quantity, Product.name, Product.product_code)
        .outerjoin(SubscriptionItem, SubscriptionItem.subscription_id == Subscription.id)
        .outerjoin(Product, Product.id == SubscriptionItem.product_id)
        .where(Subscription.account_id.in_(ids), Subscription.deleted_at.is_(None))
        .order_by(Subscription.created_at, Subscription.id))
    by_account: dict[str, list[tuple[Subscription, int, str]]] = defaultdict(list)
    for subscription, quantity, product, code in rows:
        seats = int(quantity or 0) if not seat_products or code in seat_products else 0
        by_account[str(subscription.account_id)].append(
            (subscription, seats, product or "(no product)"))
    return {account: _billing_of(items) for account, items in by_account.items()}


def _billing_of(items: list[tuple[Subscription, int, str]]) -> _Billing:
    live = [(s, q, p) for s, q, p in items if s.status in LIVE]
    state = "past_due" if any(s.status in OVERDUE for s, _, _ in live) else \
        "active" if live else "canceled" if any(s.status in ENDED for s, _, _ in items) \
        else None
    products: Counter[str] = Counter()
    for _, quantity, product in live:
        if quantity:
            products[product] += quantity
    currencies = Counter(s.currency for s, _, _ in live if s.currency)
    currency = currencies.most_common(1)[0][0] if currencies else None
    billed = {s.id: s for s, _, _ in live if s.currency == currency}.values()
    mrr = [s.mrr_minor for s in billed if s.mrr_minor is not None]
    arr = [s.arr_minor for s in billed if s.arr_minor is not None]
    return _Billing(sum(products.values()), tuple(sorted(products.items())),
                    sum(mrr) if mrr else None, sum(arr) if arr else None, currency, state)
