"""What goes on an invoice for a subscription's period, and how lines are described."""

from __future__ import annotations

from dataclasses import dataclass

from crm_emulators.stripe_emulator.backend import Backend
from crm_emulators.stripe_emulator.records import Price, Product, Subscription, SubscriptionItem

SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "cad": "CA$", "aud": "A$"}


@dataclass(frozen=True)
class LineSpec:
    """A line to put on an invoice (or a pending invoice item to create)."""

    amount: int
    description: str
    period_start: int
    period_end: int
    quantity: int = 1
    price: str | None = None
    subscription_item: str | None = None
    proration: bool = False


def money(amount: int, currency: str) -> str:
    """``$499.00`` (two-decimal currencies only; enough for descriptions)."""
    symbol = SYMBOLS.get(currency)
    text = f"{abs(amount) / 100:,.2f}"
    sign = "-" if amount < 0 else ""
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency.upper()}"


def product_name(backend: Backend, price: Price) -> str:
    """The name of the price's product."""
    product = backend.store.find(Product, price.product)
    return product.name if product else price.product


def items_of(backend: Backend, sub: Subscription) -> list[SubscriptionItem]:
    """The subscription's live items, in order."""
    return [backend.store.get(SubscriptionItem, ident) for ident in sub.items]


def describe(backend: Backend, price: Price, quantity: int) -> str:
    """Stripe's line text, e.g. ``1 × Platform (at $499.00 / month)``."""  # noqa: RUF002
    recurring = price.recurring
    every = ""
    if recurring is not None:
        count = recurring.interval_count
        every = f" / {recurring.interval}" if count == 1 else (
            f" / every {count} {recurring.interval}s")
    return (f"{quantity} × {product_name(backend, price)} "  # noqa: RUF001 (Stripe's sign)
            f"(at {money(price.unit_amount, price.currency)}{every})")


def period_lines(backend: Backend, sub: Subscription, start: int, end: int,
                 share: tuple[int, int] | None = None) -> list[LineSpec]:
    """One line per item for ``[start, end)``; ``share`` = (part, whole) scales amounts."""
    specs = []
    for item in items_of(backend, sub):
        price = backend.store.get(Price, item.price)
        amount = price.unit_amount * item.quantity
        if share is not None:
            amount = amount * share[0] // max(share[1], 1)
        specs.append(LineSpec(amount, describe(backend, price, item.quantity), start, end,
                              item.quantity, price.id, item.id))
    return specs


def trial_lines(backend: Backend, sub: Subscription, start: int, end: int) -> list[LineSpec]:
    """Zero-amount "Trial period for …" lines."""
    return [LineSpec(0, f"Trial period for {product_name(backend, price)}", start, end,
                     item.quantity, price.id, item.id)
            for item in items_of(backend, sub)
            for price in [backend.store.get(Price, item.price)]]
