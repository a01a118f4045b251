"""Creating a subscription: items, first period, trial, first invoice and its payment."""

from __future__ import annotations

from collections.abc import Iterable

from crm_emulators.stripe_emulator.backend import Backend
from crm_emulators.stripe_emulator.billing import cards, collection, discounts, invoicing
from crm_emulators.stripe_emulator.billing.lines import LineSpec, period_lines, trial_lines
from crm_emulators.stripe_emulator.billing.periods import DAY, boundary, next_boundary
from crm_emulators.stripe_emulator.billing.renewal import HOUR
from crm_emulators.stripe_emulator.billing.requests import ItemInput, NewSubscription
from crm_emulators.stripe_emulator.errors import card_declined, invalid, missing
from crm_emulators.stripe_emulator.records import (
    Customer,
    Invoice,
    PaymentMethod,
    Price,
    Recurring,
    Subscription,
    SubscriptionItem,
)


def create(backend: Backend, req: NewSubscription) -> Subscription:
    """Create and start a subscription, bill its first period, emit the events."""
    customer = backend.store.get(Customer, req.customer, "customer")
    now = backend.now(customer.test_clock)
    prices = item_prices(backend, req.items)
    method = (cards.resolve(backend, req.default_payment_method, customer,
                            "default_payment_method") if req.default_payment_method else None)
    trial_end = _trial_end(req, prices, now)
    start = req.backdate_start_date or now
    anchor, period_end = _first_period(req, cadence_of(prices), start, now, trial_end)
    declines = collection.will_decline(backend, customer, method or _default_card(
        backend, customer))
    _refuse(req, declines, trial_end)
    coupons = discounts.redeemable(backend, req.coupons, now)
    sub = backend.add(Subscription(
        id=backend.ids.new("sub"), created=now, customer=customer.id,
        status=_initial_status(req, trial_end, declines), currency=prices[0].currency,
        collection_method=req.collection_method, days_until_due=req.days_until_due,
        default_payment_method=method.id if method else None, description=req.description,
        metadata=dict(req.metadata), start_date=start, billing_cycle_anchor=anchor,
        trial_start=now if trial_end else None, trial_end=trial_end,
        test_clock=customer.test_clock), announce=False)
    _schedule_cancel(sub, req, now, period_end)
    _add_items(backend, sub, zip(req.items, prices, strict=True), (start, period_end))
    sub.discounts = discounts.attach(backend, sub, coupons)
    _remember_currency(backend, customer, sub.currency)
    invoice = invoicing.draft(backend, customer, sub=sub, reason="subscription_create",
                              specs=_first_lines(backend, sub, req, start, period_end),
                              period=(now, now), pending=True)
    sub.latest_invoice = invoice.id
    backend.emit("customer.subscription.created", sub)
    _collect_first(backend, sub, invoice.id, req)
    return sub


def item_prices(backend: Backend, items: list[ItemInput]) -> list[Price]:
    """The recurring price of each new item, all on one billing cadence.

    Raises:
        ApiError: no items, a missing or unknown price, a one-time price, mixed intervals,
            or the same price twice.
    """
    if not items:
        raise missing("items")
    prices = []
    for index, item in enumerate(items):
        if item.price is None:
            raise missing(f"items[{index}][price]")
        prices.append(recurring_price(backend, item.price, f"items[{index}][price]"))
    check_cadence(prices)
    return prices


def recurring_price(backend: Backend, price_id: str, param: str) -> Price:
    """The active recurring price ``price_id``."""
    price = backend.store.get(Price, price_id, param)
    if price.recurring is None:
        raise invalid("The price specified is set to `type=one_time` but this field only "
                      "accepts prices with `type=recurring`.", param=param)
    if not price.active:
        raise invalid(f"The price specified is inactive: {price_id}", param=param)
    return price


def check_cadence(prices: list[Price]) -> None:
    """Every price must share interval, interval count and currency, and appear once."""
    if len({(p.recurring, p.currency) for p in prices}) > 1:
        raise invalid("Currency and interval fields must match across all plans on this "
                      "subscription.", param="items")
    if len({p.id for p in prices}) < len(prices):
        raise invalid("Cannot add multiple subscription items with the same price.",
                      param="items")


def cadence_of(prices: list[Price]) -> Recurring:
    """The shared billing cadence of ``prices``."""
    recurring = prices[0].recurring
    assert recurring is not None  # checked by recurring_price
    return recurring


def _default_card(backend: Backend, customer: Customer) -> PaymentMethod | None:
    return backend.store.find(PaymentMethod, customer.default_payment_method or "")


def _trial_end(req: NewSubscription, prices: list[Price], now: int) -> int | None:
    if req.trial_end is not None:
        return req.trial_end if req.trial_end > now else None
    days = req.trial_period_days
    if days is None and req.trial_from_plan:
        days = cadence_of(prices).trial_period_days
    return now + days * DAY if days else None


def _first_period(req: NewSubscription, cadence: Recurring, start: int, now: int,
                  trial_end: int | None) -> tuple[int, int]:
    if trial_end is not None:
        return req.billing_cycle_anchor or trial_end, trial_end
    anchor = req.billing_cycle_anchor or start
    return anchor, next_boundary(anchor, cadence.interval, cadence.interval_count,
                                 max(now, start))


def _initial_status(req: NewSubscription, trial_end: int | None, declines: bool) -> str:
    if trial_end is not None:
        return "trialing"
    if req.collection_method == "send_invoice":
        return "active"
    waits = req.payment_behavior == "default_incomplete" or declines
    return "incomplete" if waits else "active"


def _refuse(req: NewSubscription, declines: bool, trial_end: int | None) -> None:
    if (declines and trial_end is None and req.payment_behavior == "error_if_incomplete"
            and req.collection_method == "charge_automatically"):
        raise card_declined("generic_decline", "Your card was declined.")


def _schedule_cancel(sub: Subscription, req: NewSubscription, now: int,
                     period_end: int) -> None:
    if req.cancel_at_period_end or req.cancel_at is not None:
        sub.cancel_at_period_end = req.cancel_at_period_end
        sub.cancel_at = period_end if req.cancel_at_period_end else req.cancel_at
        sub.canceled_at = now


def _add_items(backend: Backend, sub: Subscription,
               items: Iterable[tuple[ItemInput, Price]], period: tuple[int, int]) -> None:
    start, end = period
    for item, price in items:
        sub.items.append(backend.store.add(SubscriptionItem(
            id=backend.ids.new("si"), created=sub.created, subscription=sub.id,
            price=price.id, quantity=item.quantity if item.quantity is not None else 1,
            metadata={k: v for k, v in (item.metadata or {}).items() if v is not None}
            if isinstance(item.metadata, dict) else {},
            current_period_start=start, current_period_end=end,
            test_clock=sub.test_clock)).id)


def _remember_currency(backend: Backend, customer: Customer, currency: str) -> None:
    if customer.currency is None:
        with backend.changes(customer):
            customer.currency = currency


def _first_lines(backend: Backend, sub: Subscription, req: NewSubscription, start: int,
                 end: int) -> list[LineSpec]:
    if sub.trial_end is not None:
        return trial_lines(backend, sub, start, end)
    price = backend.store.get(Price, backend.store.get(SubscriptionItem, sub.items[0]).price)
    cadence = cadence_of([price])
    full = end - boundary(end, cadence.interval, cadence.interval_count, -1)
    if end - start == full:
        return period_lines(backend, sub, start, end)
    part = 0 if req.proration_behavior == "none" else end - start
    return period_lines(backend, sub, start, end, share=(part, full))


def _collect_first(backend: Backend, sub: Subscription, invoice_id: str,
                   req: NewSubscription) -> None:
    invoice = backend.store.get(Invoice, invoice_id)
    invoicing.finalize(backend, invoice)
    collection.settle_new(backend, invoice,
                          charge=req.payment_behavior != "default_incomplete")
    if sub.status == "incomplete":
        sub.expires_at = sub.created + backend.dunning.incomplete_expiry_hours * HOUR
