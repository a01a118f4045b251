"""Invoices: drafting from lines and pending items, finalizing, voiding, giving up."""

from __future__ import annotations

from collections.abc import Sequence

from crm_emulators.stripe_emulator.backend import Backend
from crm_emulators.stripe_emulator.billing import discounts
from crm_emulators.stripe_emulator.billing.lines import LineSpec
from crm_emulators.stripe_emulator.billing.periods import DAY
from crm_emulators.stripe_emulator.errors import invalid
from crm_emulators.stripe_emulator.records import (
    Customer,
    Invoice,
    InvoiceItem,
    InvoiceLine,
    Subscription,
)
from crm_emulators.stripe_emulator.totals import Totals, totals

DRAFT_HOURS = 1
"""Stripe leaves automatic invoices in draft about an hour before finalizing them."""


def draft(backend: Backend, customer: Customer, *, sub: Subscription | None, reason: str,
          specs: Sequence[LineSpec], period: tuple[int, int], pending: bool,
          finalizes_at: int | None = None, auto_advance: bool = True) -> Invoice:
    """Create a draft invoice with ``specs`` (and pending invoice items when ``pending``),
    apply the subscription's discounts, and emit ``invoice.created``.

    ``finalizes_at`` schedules automatic finalization (with ``auto_advance``)."""
    now = backend.now(customer.test_clock)
    invoice = backend.add(Invoice(
        id=backend.ids.new("in"), created=now, customer=customer.id,
        currency=sub.currency if sub else customer.currency or "usd",
        subscription=sub.id if sub else None,
        subscription_metadata=dict(sub.metadata) if sub else None, billing_reason=reason,
        collection_method=sub.collection_method if sub else "charge_automatically",
        days_until_due=sub.days_until_due if sub else None,
        discounts=discounts.current(backend, sub, now) if sub else [],
        period_start=period[0], period_end=period[1], test_clock=customer.test_clock,
        automatically_finalizes_at=finalizes_at, auto_advance=auto_advance,
    ), announce=False)
    add_lines(backend, invoice, specs)
    if pending:
        pull_pending(backend, invoice)
    discounts.apply(backend, invoice)
    backend.emit("invoice.created", invoice)
    if sub is not None:
        discounts.spend_once(backend, sub, invoice)
    return invoice


def add_lines(backend: Backend, invoice: Invoice, specs: Sequence[LineSpec],
              item: InvoiceItem | None = None) -> None:
    """Append a line to ``invoice`` for each spec."""
    for spec in specs:
        line = backend.store.add(InvoiceLine(
            id=backend.ids.new("il"), created=invoice.created, invoice=invoice.id,
            amount=spec.amount, currency=invoice.currency, description=spec.description,
            period_start=spec.period_start, period_end=spec.period_end,
            quantity=spec.quantity, price=spec.price, subscription=invoice.subscription,
            subscription_item=spec.subscription_item, proration=spec.proration,
            invoice_item=item.id if item else None,
            discountable=item.discountable if item else True,
            metadata=dict(item.metadata) if item else {}, test_clock=invoice.test_clock))
        invoice.lines.append(line.id)


def pull_pending(backend: Backend, invoice: Invoice) -> None:
    """Move the customer's pending invoice items onto ``invoice`` (for a subscription
    invoice: that subscription's items and those tied to no subscription)."""
    for item in backend.store.all(InvoiceItem, lambda i: _belongs(i, invoice)):
        attach_item(backend, invoice, item)


def _belongs(item: InvoiceItem, invoice: Invoice) -> bool:
    return (item.invoice is None and item.customer == invoice.customer
            and item.subscription in (None, invoice.subscription))


def attach_item(backend: Backend, invoice: Invoice, item: InvoiceItem) -> None:
    """Put a pending invoice item on ``invoice`` as a line."""
    item.invoice = invoice.id
    spec = LineSpec(item.amount, item.description or "", item.period_start, item.period_end,
                    item.quantity, item.price, item.subscription_item, item.proration)
    add_lines(backend, invoice, [spec], item)


def sums(backend: Backend, invoice: Invoice) -> Totals:
    """The invoice's totals."""
    return totals(invoice, [backend.store.get(InvoiceLine, i) for i in invoice.lines])


def finalize(backend: Backend, invoice: Invoice) -> None:
    """Draft → open: number it, apply the customer's balance, set the due date, emit
    ``invoice.finalized``. Settling a zero amount is the caller's next step."""
    if invoice.status != "draft":
        raise invalid(f"This invoice is already finalized (status {invoice.status}).")
    customer = backend.store.get(Customer, invoice.customer)
    now = backend.now_for(invoice)
    _apply_balance(backend, invoice, customer)
    with backend.changes(invoice, "invoice.finalized"):
        invoice.number = f"{customer.invoice_prefix}-{customer.next_invoice_sequence:04d}"
        customer.next_invoice_sequence += 1
        invoice.status = "open"
        invoice.finalized_at = now
        invoice.automatically_finalizes_at = None
        if invoice.collection_method == "send_invoice" and invoice.due_date is None:
            invoice.due_date = now + (invoice.days_until_due or 30) * DAY


def _apply_balance(backend: Backend, invoice: Invoice, customer: Customer) -> None:
    total = sums(backend, invoice).total
    raw = total + customer.balance
    invoice.starting_balance = customer.balance
    invoice.applied_balance = max(raw, 0) - total
    invoice.ending_balance = min(raw, 0)
    if customer.balance != invoice.ending_balance:
        with backend.changes(customer):
            customer.balance = invoice.ending_balance


def void(backend: Backend, invoice: Invoice) -> None:
    """Open → void; emits ``invoice.voided``."""
    _require_open(invoice, "void")
    with backend.changes(invoice, "invoice.voided"):
        invoice.status = "void"
        invoice.voided_at = backend.now_for(invoice)
        invoice.next_payment_attempt = None


def mark_uncollectible(backend: Backend, invoice: Invoice) -> None:
    """Open → uncollectible; emits ``invoice.marked_uncollectible``."""
    _require_open(invoice, "mark as uncollectible")
    with backend.changes(invoice, "invoice.marked_uncollectible"):
        invoice.status = "uncollectible"
        invoice.marked_uncollectible_at = backend.now_for(invoice)
        invoice.next_payment_attempt = None


def _require_open(invoice: Invoice, action: str) -> None:
    if invoice.status != "open" and not (invoice.status == "uncollectible"
                                         and action == "void"):
        raise invalid(f"You can only {action} an open invoice; this invoice is "
                      f"{invoice.status}.", code="invoice_not_open")
