"""Subscription status transitions that follow from invoices and from ending."""

from __future__ import annotations

from crm_emulators.stripe_emulator.backend import Backend
from crm_emulators.stripe_emulator.records import Invoice, Subscription

ENDED = ("canceled", "incomplete_expired")


def is_past_due(invoice: Invoice) -> bool:
    """An open invoice whose automatic payment failed, or whose due date passed."""
    failed = invoice.collection_method == "charge_automatically" and invoice.attempt_count > 0
    return invoice.status == "open" and (failed or invoice.overdue)


def settle(backend: Backend, sub: Subscription) -> None:
    """Bring the subscription's status in line with its invoices.

    ``incomplete`` becomes ``active`` (or ``trialing``) once its first invoice is paid;
    ``active`` and ``past_due`` follow whether any invoice is past due; ``unpaid`` recovers
    when nothing is owed any more.
    """
    target = _target_status(backend, sub)
    if target != sub.status:
        with backend.changes(sub):
            sub.status = target
            if target != "incomplete":
                sub.expires_at = None


def _target_status(backend: Backend, sub: Subscription) -> str:
    if sub.status == "incomplete":
        first = backend.store.find(Invoice, sub.latest_invoice or "")
        if first is None or first.status != "paid":
            return sub.status
        trial = sub.trial_end is not None and sub.trial_end > backend.now_for(sub)
        return "trialing" if trial else "active"
    if sub.status not in ("active", "past_due", "unpaid"):
        return sub.status
    owing = any(is_past_due(inv) for inv in backend.store.all(
        Invoice, lambda i: i.subscription == sub.id))
    if not owing:
        return "active"
    return "past_due" if sub.status == "active" else sub.status


def end(backend: Backend, sub: Subscription, at: int, reason: str) -> None:
    """Cancel ``sub`` as of ``at`` and emit ``customer.subscription.deleted``."""
    with backend.changes(sub, "customer.subscription.deleted"):
        sub.status = "canceled"
        sub.ended_at = at
        sub.canceled_at = sub.canceled_at or at
        sub.cancellation_reason = reason
