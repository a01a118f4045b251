"""Coupons applied to subscriptions, and their effect on invoice lines."""

from __future__ import annotations

from crm_emulators.stripe_emulator.backend import Backend
from crm_emulators.stripe_emulator.billing.periods import boundary
from crm_emulators.stripe_emulator.errors import invalid
from crm_emulators.stripe_emulator.records import (
    Coupon,
    Discount,
    DiscountAmount,
    Invoice,
    InvoiceLine,
    Subscription,
)
from crm_emulators.stripe_emulator.render.catalog import coupon_valid


def redeemable(backend: Backend, coupon_ids: list[str], at: int) -> list[Coupon]:
    """The coupons ``coupon_ids`` names, checked before anything is changed.

    Raises:
        ApiError: unknown or no longer valid coupon.
    """
    coupons = []
    for index, coupon_id in enumerate(coupon_ids):
        coupon = backend.store.get(Coupon, coupon_id, f"discounts[{index}][coupon]")
        if not coupon_valid(coupon, at):
            raise invalid(f"Coupon {coupon_id} is no longer valid.",
                          param=f"discounts[{index}][coupon]")
        coupons.append(coupon)
    return coupons


def attach(backend: Backend, sub: Subscription, coupons: list[Coupon]) -> list[str]:
    """Redeem each coupon as a discount on ``sub``; return the discount ids."""
    now = backend.now_for(sub)
    made = []
    for coupon in coupons:
        coupon.times_redeemed += 1
        made.append(backend.store.add(Discount(
            id=backend.ids.new("di"), created=now, coupon=coupon.id, customer=sub.customer,
            subscription=sub.id, start=now, end=_end(coupon, now),
            test_clock=sub.test_clock)).id)
    return made


def _end(coupon: Coupon, start: int) -> int | None:
    if coupon.duration == "repeating" and coupon.duration_in_months:
        return boundary(start, "month", coupon.duration_in_months, 1)
    return None


def current(backend: Backend, sub: Subscription, at: int) -> list[str]:
    """The subscription's discounts still in force at ``at``."""
    live = []
    for ident in sub.discounts:
        discount = backend.store.get(Discount, ident)
        if discount.end is None or discount.end > at:
            live.append(ident)
    return live


def apply(backend: Backend, invoice: Invoice) -> None:
    """Recompute every line's discount amounts from the invoice's discounts."""
    lines = [backend.store.get(InvoiceLine, ident) for ident in invoice.lines]
    for line in lines:
        line.discount_amounts = []
    for ident in invoice.discounts:
        coupon = backend.store.find(Coupon, backend.store.get(Discount, ident).coupon)
        if coupon is not None:
            _take(coupon, ident, [line for line in lines if line.discountable])


def _take(coupon: Coupon, discount: str, lines: list[InvoiceLine]) -> None:
    budget = coupon.amount_off
    for line in lines:
        left = line.amount - sum(share.amount for share in line.discount_amounts)
        if left <= 0:
            continue
        if coupon.percent_off is not None:
            amount = min(left, round(line.amount * coupon.percent_off / 100))
        else:
            amount = min(left, budget or 0)
            budget = (budget or 0) - amount
        if amount:
            line.discount_amounts.append(DiscountAmount(discount, amount))


def spend_once(backend: Backend, sub: Subscription, invoice: Invoice) -> None:
    """Drop ``once`` discounts from ``sub`` after ``invoice`` used them."""
    spent = [ident for ident in invoice.discounts
             if _coupon_of(backend, ident).duration == "once"]
    if spent:
        with backend.changes(sub):
            sub.discounts = [ident for ident in sub.discounts if ident not in spent]


def _coupon_of(backend: Backend, discount_id: str) -> Coupon:
    discount = backend.store.get(Discount, discount_id)
    coupon = backend.store.find(Coupon, discount.coupon)
    return coupon if coupon is not None else Coupon(id=discount.coupon, created=0)
