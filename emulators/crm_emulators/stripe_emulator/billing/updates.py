"""Changing and canceling a subscription, with prorations per ``proration_behavior``."""

from __future__ import annotations

from dataclasses import dataclass

from crm_emulators.stripe_emulator.backend import Backend
from crm_emulators.stripe_emulator.billing import (
    cards,
    collection,
    discounts,
    invoicing,
    prorations,
    status,
)
from crm_emulators.stripe_emulator.billing.lines import LineSpec, items_of, period_lines
from crm_emulators.stripe_emulator.billing.periods import next_boundary
from crm_emulators.stripe_emulator.billing.prorations import ItemChange, ItemState
from crm_emulators.stripe_emulator.billing.renewal import cadence, period
from crm_emulators.stripe_emulator.billing.requests import (
    Cancellation,
    ItemInput,
    SubscriptionChange,
)
from crm_emulators.stripe_emulator.billing.subscribe import check_cadence, recurring_price
from crm_emulators.stripe_emulator.errors import invalid, missing
from crm_emulators.stripe_emulator.params import Opt, Unset, merge_metadata
from crm_emulators.stripe_emulator.records import (
    Customer,
    Invoice,
    Price,
    Recurring,
    Subscription,
    SubscriptionItem,
)

BILLABLE = ("active", "past_due")


@dataclass
class _Plan:
    """Resolved ``items[n]`` entries: what each entry does, checked before anything moves."""

    entries: list[tuple[ItemInput, SubscriptionItem | None, Price | None]]


@dataclass(frozen=True)
class _Billing:
    """How an update bills: the items before it, the proration moment and behavior."""

    before: list[ItemState]
    at: int
    prorate: bool
    behavior: str


def update(backend: Backend, sub: Subscription, req: SubscriptionChange) -> Subscription:
    """Apply ``req`` to ``sub``; bill prorations or a new cycle; emit the events.

    Everything that can be refused is checked before anything changes.
    """
    if sub.status in status.ENDED and not req.only_bookkeeping():
        raise invalid("A canceled subscription can only update its cancellation_details "
                      "and metadata.")
    now = backend.now_for(sub)
    plan = _plan(backend, sub, req)
    method = _payment_method(backend, sub, req)
    coupons = (None if isinstance(req.coupons, Unset)
               else discounts.redeemable(backend, req.coupons, now))
    billing = _Billing(states(backend, sub), req.proration_date or now,
                       req.proration_behavior != "none" and sub.status in BILLABLE,
                       req.proration_behavior)
    with backend.changes(sub):
        _apply_settings(sub, req, method)
        changes = _apply_items(backend, sub, plan, period(backend, sub))
        resets = _resets_cycle(backend, sub, req, billing.before)
        trial_ended = _apply_trial(sub, req, now)
        _apply_cancellation(backend, sub, req, now)
        if coupons is not None:
            sub.discounts = discounts.attach(backend, sub, coupons)
        invoice = _bill(backend, sub, billing, changes, resets or trial_ended)
    if invoice is not None:
        invoicing.finalize(backend, invoice)
        collection.settle_new(backend, invoice, charge=True)
    return sub


def states(backend: Backend, sub: Subscription) -> list[ItemState]:
    """Every item's price, quantity and period now."""
    return [ItemState(item.id, backend.store.get(Price, item.price), item.quantity,
                      item.current_period_start, item.current_period_end)
            for item in items_of(backend, sub)]


def _plan(backend: Backend, sub: Subscription, req: SubscriptionChange) -> _Plan:
    entries: list[tuple[ItemInput, SubscriptionItem | None, Price | None]] = []
    if isinstance(req.items, Unset):
        return _Plan(entries)
    for index, entry in enumerate(req.items):
        item = _own_item(backend, sub, entry.id, index) if entry.id else None
        if item is None and entry.price is None:
            raise missing(f"items[{index}][price]")
        price = (recurring_price(backend, entry.price, f"items[{index}][price]")
                 if entry.price else None)
        entries.append((entry, item, price))
    _check_result(backend, sub, entries)
    return _Plan(entries)


def _own_item(backend: Backend, sub: Subscription, ident: str,
              index: int) -> SubscriptionItem:
    item = backend.store.get(SubscriptionItem, ident, f"items[{index}][id]")
    if item.subscription != sub.id:
        raise invalid(f"Subscription item {ident} does not belong to {sub.id}.",
                      param=f"items[{index}][id]")
    return item


def _check_result(backend: Backend, sub: Subscription,
                  entries: list[tuple[ItemInput, SubscriptionItem | None, Price | None]]) -> None:
    prices = {item.id: backend.store.get(Price, item.price) for item in items_of(backend, sub)}
    added: list[Price] = []
    for entry, item, price in entries:
        if item is not None and entry.deleted:
            prices.pop(item.id, None)
        elif item is not None and price is not None:
            prices[item.id] = price
        elif item is None and price is not None:
            added.append(price)
    remaining = [*prices.values(), *added]
    if not remaining:
        raise invalid("A subscription must have at least one active item.", param="items")
    check_cadence(remaining)


def _apply_items(backend: Backend, sub: Subscription, plan: _Plan,
                 current: tuple[int, int]) -> list[ItemChange]:
    changes = []
    for entry, item, price in plan.entries:
        if item is None:
            assert price is not None  # checked by _plan
            added = _new_item(backend, sub, entry, price, current)
            changes.append(ItemChange(None, _state(backend, added)))
            continue
        old = _state(backend, item)
        _change_item(sub, item, entry, price)
        changes.append(ItemChange(old, None if item.deleted else _state(backend, item)))
    return changes


def _state(backend: Backend, item: SubscriptionItem) -> ItemState:
    return ItemState(item.id, backend.store.get(Price, item.price), item.quantity,
                     item.current_period_start, item.current_period_end)


def _new_item(backend: Backend, sub: Subscription, entry: ItemInput, price: Price,
              current: tuple[int, int]) -> SubscriptionItem:
    item = backend.store.add(SubscriptionItem(
        id=backend.ids.new("si"), created=backend.now_for(sub), subscription=sub.id,
        price=price.id, quantity=entry.quantity if entry.quantity is not None else 1,
        metadata=merge_metadata({}, entry.metadata), current_period_start=current[0],
        current_period_end=current[1], test_clock=sub.test_clock))
    sub.items.append(item.id)
    return item


def _change_item(sub: Subscription, item: SubscriptionItem, entry: ItemInput,
                 price: Price | None) -> None:
    if entry.deleted:
        item.deleted = True
        sub.items.remove(item.id)
        return
    item.price = price.id if price else item.price
    item.quantity = entry.quantity if entry.quantity is not None else item.quantity
    item.metadata = merge_metadata(item.metadata, entry.metadata)


def _payment_method(backend: Backend, sub: Subscription,
                    req: SubscriptionChange) -> Opt[str | None]:
    """The id of the new default payment method (attached first), None to clear it."""
    if isinstance(req.default_payment_method, Unset) or req.default_payment_method is None:
        return req.default_payment_method
    customer = backend.store.get(Customer, sub.customer)
    return cards.resolve(backend, req.default_payment_method, customer,
                         "default_payment_method").id


def _apply_settings(sub: Subscription, req: SubscriptionChange,
                    method: Opt[str | None]) -> None:
    sub.metadata = merge_metadata(sub.metadata, req.metadata)
    for name in ("description", "collection_method", "days_until_due",
                 "cancellation_comment", "cancellation_feedback"):
        value = getattr(req, name)
        if not isinstance(value, Unset):
            setattr(sub, name, value)
    if not isinstance(method, Unset):
        sub.default_payment_method = method


def _resets_cycle(backend: Backend, sub: Subscription, req: SubscriptionChange,
                  before: list[ItemState]) -> bool:
    new = backend.store.get(Price, items_of(backend, sub)[0].price).recurring
    old = before[0].price.recurring if before else None
    return req.billing_cycle_anchor == "now" or _cadence(old) != _cadence(new)


def _cadence(recurring: Recurring | None) -> tuple[str, int] | None:
    return None if recurring is None else (recurring.interval, recurring.interval_count)


def _apply_trial(sub: Subscription, req: SubscriptionChange, now: int) -> bool:
    """Apply ``trial_end``; return whether the trial ended now (a new cycle starts)."""
    if isinstance(req.trial_end, Unset):
        return False
    if req.trial_end == "now" or (isinstance(req.trial_end, int) and req.trial_end <= now):
        ended = sub.status == "trialing"
        sub.trial_end = now if ended else sub.trial_end
        sub.status = "active" if ended else sub.status
        return ended
    if isinstance(req.trial_end, int) and sub.status in ("active", "trialing"):
        sub.trial_start = sub.trial_start or now
        sub.trial_end = sub.billing_cycle_anchor = req.trial_end
        sub.status = "trialing"
    return False


def _apply_trial_period(backend: Backend, sub: Subscription) -> None:
    if sub.status == "trialing" and sub.trial_end is not None:
        for item in items_of(backend, sub):
            item.current_period_end = sub.trial_end


def _apply_cancellation(backend: Backend, sub: Subscription, req: SubscriptionChange,
                        now: int) -> None:
    _apply_trial_period(backend, sub)
    end = period(backend, sub)[1]
    if req.cancel_at_period_end is True:
        sub.cancel_at_period_end, sub.cancel_at, sub.canceled_at = True, end, now
    elif req.cancel_at_period_end is False:
        sub.cancel_at_period_end, sub.cancel_at, sub.canceled_at = False, None, None
    if not isinstance(req.cancel_at, Unset):
        sub.cancel_at = req.cancel_at
        sub.cancel_at_period_end = req.cancel_at == end
        sub.canceled_at = now if req.cancel_at is not None else None


def _bill(backend: Backend, sub: Subscription, billing: _Billing,
          changes: list[ItemChange], restart: bool) -> Invoice | None:
    customer = backend.store.get(Customer, sub.customer)
    if restart:
        if billing.prorate:
            credits = [prorations.credit(backend, state, billing.at) for state in billing.before]
            prorations.record(backend, sub, [c for c in credits if c is not None])
        start, end = _restart(backend, sub, billing.at)
        return _invoice_now(backend, sub, customer, period_lines(backend, sub, start, end),
                            billing.at)
    if not billing.prorate:
        return None
    specs = prorations.for_changes(backend, changes, billing.at)
    prorations.record(backend, sub, specs)
    if specs and billing.behavior == "always_invoice":
        return _invoice_now(backend, sub, customer, [], billing.at)
    return None


def _restart(backend: Backend, sub: Subscription, at: int) -> tuple[int, int]:
    interval, count = cadence(backend, sub)
    end = next_boundary(at, interval, count, at)
    sub.billing_cycle_anchor = at
    for item in items_of(backend, sub):
        item.current_period_start, item.current_period_end = at, end
    if sub.cancel_at_period_end:
        sub.cancel_at = end
    return at, end


def _invoice_now(backend: Backend, sub: Subscription, customer: Customer,
                 specs: list[LineSpec], at: int) -> Invoice:
    invoice = invoicing.draft(backend, customer, sub=sub, reason="subscription_update",
                              specs=specs, period=(at, at), pending=True)
    sub.latest_invoice = invoice.id
    return invoice


def cancel(backend: Backend, sub: Subscription, req: Cancellation) -> Subscription:
    """Cancel now; optionally credit unused time and invoice what is pending at once."""
    if sub.status in status.ENDED:
        raise invalid(f"The subscription {sub.id} has already been canceled.")
    now = backend.now_for(sub)
    if req.prorate and sub.status in BILLABLE:
        credits = [prorations.credit(backend, state, now) for state in states(backend, sub)]
        prorations.record(backend, sub, [c for c in credits if c is not None])
    sub.cancellation_comment = req.comment or sub.cancellation_comment
    sub.cancellation_feedback = req.feedback or sub.cancellation_feedback
    status.end(backend, sub, now, "cancellation_requested")
    if req.invoice_now:
        customer = backend.store.get(Customer, sub.customer)
        invoice = _invoice_now(backend, sub, customer, [], now)
        invoicing.finalize(backend, invoice)
        collection.settle_new(backend, invoice, charge=True)
    return sub
