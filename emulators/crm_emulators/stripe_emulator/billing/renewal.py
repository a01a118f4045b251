"""What happens to a subscription as time passes: period ends, trial ends, trial notices."""

from __future__ import annotations

from crm_emulators.stripe_emulator.backend import Backend
from crm_emulators.stripe_emulator.billing import invoicing, lines
from crm_emulators.stripe_emulator.billing.periods import next_boundary
from crm_emulators.stripe_emulator.records import Customer, Price, Subscription

HOUR = 3600


def period(backend: Backend, sub: Subscription) -> tuple[int, int]:
    """The subscription's current period (from its first item)."""
    first = lines.items_of(backend, sub)[0]
    return first.current_period_start, first.current_period_end


def cadence(backend: Backend, sub: Subscription) -> tuple[str, int]:
    """The subscription's billing interval and interval count."""
    price = backend.store.get(Price, lines.items_of(backend, sub)[0].price)
    assert price.recurring is not None  # subscriptions only hold recurring prices
    return price.recurring.interval, price.recurring.interval_count


def roll(backend: Backend, sub: Subscription) -> None:
    """End the current period (or trial): start the next one and draft its invoice, which
    finalizes and is collected an hour later."""
    old_start, old_end = period(backend, sub)
    interval, count = cadence(backend, sub)
    new_end = next_boundary(sub.billing_cycle_anchor, interval, count, old_end)
    customer = backend.store.get(Customer, sub.customer)
    invoice = invoicing.draft(
        backend, customer, sub=sub, reason="subscription_cycle",
        specs=lines.period_lines(backend, sub, old_end, new_end),
        period=(old_start, old_end), pending=True,
        finalizes_at=old_end + invoicing.DRAFT_HOURS * HOUR,
        auto_advance=sub.status != "unpaid")
    with backend.changes(sub):
        if sub.status == "trialing":
            sub.status = "active"
        for item in lines.items_of(backend, sub):
            item.current_period_start, item.current_period_end = old_end, new_end
        sub.latest_invoice = invoice.id


def notify_trial_ending(backend: Backend, sub: Subscription) -> None:
    """Emit ``customer.subscription.trial_will_end`` (three days ahead, or at once)."""
    sub.trial_will_end_sent = True
    backend.emit("customer.subscription.trial_will_end", sub)
