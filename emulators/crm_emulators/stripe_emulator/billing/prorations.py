"""Prorations: credit for the unused time of what changed, charge for the rest of the period."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from crm_emulators.stripe_emulator.backend import Backend
from crm_emulators.stripe_emulator.billing.lines import LineSpec, product_name
from crm_emulators.stripe_emulator.billing.periods import format_date, fraction_left, prorate
from crm_emulators.stripe_emulator.records import InvoiceItem, Price, Subscription


@dataclass(frozen=True)
class ItemState:
    """A subscription item's price, quantity and period at one moment."""

    item: str
    price: Price
    quantity: int
    period_start: int
    period_end: int


@dataclass(frozen=True)
class ItemChange:
    """An item before and after an update; ``before`` None for a new item, ``after`` None
    for a removed one."""

    before: ItemState | None
    after: ItemState | None

    @property
    def changed(self) -> bool:
        """Whether price or quantity moved."""
        if self.before is None or self.after is None:
            return self.before is not self.after
        return (self.before.price.id, self.before.quantity) != (
            self.after.price.id, self.after.quantity)


def credit(backend: Backend, state: ItemState, at: int) -> LineSpec | None:
    """The credit for ``state``'s time left after ``at`` (None when nothing is left)."""
    return _spec(backend, state, at, -1, "Unused time on")


def charge(backend: Backend, state: ItemState, at: int) -> LineSpec | None:
    """The charge for ``state`` from ``at`` to its period end."""
    return _spec(backend, state, at, 1, "Remaining time on")


def _spec(backend: Backend, state: ItemState, at: int, sign: int,
          verb: str) -> LineSpec | None:
    left, length = fraction_left(state.period_start, state.period_end, at)
    if left == 0:
        return None
    amount = sign * prorate(state.price.unit_amount * state.quantity, left, length)
    text = (f"{verb} {state.quantity} × {product_name(backend, state.price)} "  # noqa: RUF001
            f"after {format_date(at)}")
    return LineSpec(amount, text, at, state.period_end, state.quantity, state.price.id,
                    state.item, proration=True)


def for_changes(backend: Backend, changes: Sequence[ItemChange], at: int) -> list[LineSpec]:
    """Credit and charge lines for every item whose price or quantity changed."""
    specs = []
    for change in changes:
        if not change.changed:
            continue
        if change.before is not None:
            specs.append(credit(backend, change.before, at))
        if change.after is not None:
            specs.append(charge(backend, change.after, at))
    return [spec for spec in specs if spec is not None]


def record(backend: Backend, sub: Subscription, specs: Sequence[LineSpec]) -> None:
    """Create a pending invoice item for each proration line (``invoiceitem.created``)."""
    now = backend.now_for(sub)
    for spec in specs:
        backend.add(InvoiceItem(
            id=backend.ids.new("ii"), created=now, customer=sub.customer, amount=spec.amount,
            currency=sub.currency, description=spec.description,
            period_start=spec.period_start, period_end=spec.period_end, price=spec.price,
            quantity=spec.quantity, proration=True, subscription=sub.id,
            subscription_item=spec.subscription_item, test_clock=sub.test_clock))
