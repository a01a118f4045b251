"""Running what time brings: renewals, trial ends, finalizations, retries, cancellations.

Each subscription and invoice knows when it next needs attention. :func:`run_due` takes the
earliest due action, runs it with time pinned to the moment it was due (so the invoices and
events it makes carry that time), and repeats until nothing is due, so one long jump of the
clock bills month after month in order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from crm_emulators.stripe_emulator.backend import Backend
from crm_emulators.stripe_emulator.billing import collection, invoicing, renewal, status
from crm_emulators.stripe_emulator.billing.periods import DAY
from crm_emulators.stripe_emulator.records import Invoice, Subscription

TRIAL_NOTICE = 3 * DAY
"""``customer.subscription.trial_will_end`` goes out this long before a trial ends."""
RENEWING = ("active", "past_due", "trialing", "unpaid")

# Tie-breaks for actions due at the same moment: a cancellation at period end wins over the
# renewal it prevents; invoices already due are settled before new ones are drafted.
_CANCEL, _EXPIRE, _NOTICE, _INVOICE, _ROLL = range(5)


@dataclass(frozen=True, order=True)
class _Due:
    at: int
    rank: int
    seq: int
    run: Callable[[], object] = field(compare=False)


def run_due(backend: Backend, test_clock: str | None = None) -> None:
    """Run every action due by now on ``test_clock``'s objects (None: global time), in order.

    The caller holds :attr:`Backend.lock`.
    """
    now = backend.now(test_clock)
    while True:
        due = min((d for d in _pending(backend, test_clock) if d.at <= now), default=None)
        if due is None:
            return
        with backend.pinned(due.at):
            due.run()


def _pending(backend: Backend, test_clock: str | None) -> Iterator[_Due]:
    for sub in backend.store.all(Subscription, lambda s: s.test_clock == test_clock):
        yield from _subscription_actions(backend, sub)
    for invoice in backend.store.all(Invoice, lambda i: i.test_clock == test_clock
                                     and i.status in ("draft", "open")):
        yield from _invoice_actions(backend, invoice)


def _subscription_actions(backend: Backend, sub: Subscription) -> Iterator[_Due]:
    if sub.status == "incomplete" and sub.expires_at is not None:
        yield _Due(sub.expires_at, _EXPIRE, sub.seq, lambda: _expire(backend, sub))
    if sub.status not in RENEWING:
        return
    if sub.cancel_at is not None:
        yield _Due(sub.cancel_at, _CANCEL, sub.seq, lambda: status.end(
            backend, sub, backend.now_for(sub), "cancellation_requested"))
    if sub.status == "trialing" and sub.trial_end is not None and not sub.trial_will_end_sent:
        notice = max(sub.created, sub.trial_end - TRIAL_NOTICE)
        yield _Due(notice, _NOTICE, sub.seq, lambda: renewal.notify_trial_ending(backend, sub))
    yield _Due(renewal.period(backend, sub)[1], _ROLL, sub.seq,
               lambda: renewal.roll(backend, sub))


def _invoice_actions(backend: Backend, invoice: Invoice) -> Iterator[_Due]:
    if not invoice.auto_advance:
        return
    if invoice.status == "draft" and invoice.automatically_finalizes_at is not None:
        yield _Due(invoice.automatically_finalizes_at, _INVOICE, invoice.seq,
                   lambda: _finalize(backend, invoice))
    if invoice.status == "open" and invoice.next_payment_attempt is not None:
        yield _Due(invoice.next_payment_attempt, _INVOICE, invoice.seq,
                   lambda: collection.attempt(backend, invoice))
    if invoice.status == "open" and invoice.due_date is not None and not invoice.overdue:
        yield _Due(invoice.due_date, _INVOICE, invoice.seq,
                   lambda: _overdue(backend, invoice))


def _finalize(backend: Backend, invoice: Invoice) -> None:
    invoicing.finalize(backend, invoice)
    collection.settle_new(backend, invoice, charge=True)


def _overdue(backend: Backend, invoice: Invoice) -> None:
    with backend.changes(invoice, "invoice.overdue"):
        invoice.overdue = True
    collection.settle_owner(backend, invoice)


def _expire(backend: Backend, sub: Subscription) -> None:
    """An ``incomplete`` subscription whose first invoice stayed unpaid gives up: the
    invoice is voided and the subscription ends as ``incomplete_expired``."""
    first = backend.store.find(Invoice, sub.latest_invoice or "")
    if first is not None and first.status == "open":
        invoicing.void(backend, first)
    with backend.changes(sub):
        sub.status = "incomplete_expired"
        sub.ended_at = backend.now_for(sub)
        sub.expires_at = None
