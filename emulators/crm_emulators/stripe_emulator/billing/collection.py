"""Collecting invoices: charging cards, recording payments, and dunning after failures."""

from __future__ import annotations

from crm_emulators.stripe_emulator.backend import Backend
from crm_emulators.stripe_emulator.billing import cards, invoicing, status
from crm_emulators.stripe_emulator.billing.periods import DAY
from crm_emulators.stripe_emulator.errors import card_declined, invalid
from crm_emulators.stripe_emulator.records import (
    Charge,
    Customer,
    Invoice,
    InvoicePayment,
    PaymentError,
    PaymentIntent,
    PaymentMethod,
    Subscription,
)


def will_decline(backend: Backend, customer: Customer, method: PaymentMethod | None) -> bool:
    """Whether a charge to ``customer`` on ``method`` would be declined."""
    return customer.id in backend.failing_customers or bool(method and method.declines_charges)


def settle_new(backend: Backend, invoice: Invoice, *, charge: bool) -> None:
    """After finalizing: a zero amount is paid at once; otherwise charge now if asked to."""
    if invoicing.sums(backend, invoice).amount_remaining == 0:
        mark_paid(backend, invoice)
    elif charge and invoice.collection_method == "charge_automatically":
        attempt(backend, invoice)


def attempt(backend: Backend, invoice: Invoice, method: PaymentMethod | None = None) -> bool:
    """Charge what is left of ``invoice``; return whether it got paid.

    A failure records the attempt, schedules the next retry (or gives up per the dunning
    policy) and moves the subscription to ``past_due``.
    """
    amount = invoicing.sums(backend, invoice).amount_remaining
    if amount == 0:
        mark_paid(backend, invoice)
        return True
    method = method or cards.for_invoice(backend, invoice)
    customer = backend.store.get(Customer, invoice.customer)
    intent = _intent(backend, invoice, amount, method)
    ok = not will_decline(backend, customer, method)
    charge = _charge(backend, intent, method, ok)
    _conclude_intent(backend, intent, charge, ok)
    if ok:
        mark_paid(backend, invoice, paid=amount)
    else:
        _failed(backend, invoice)
    return ok


def pay(backend: Backend, invoice: Invoice, method: PaymentMethod | None,
        out_of_band: bool) -> None:
    """``POST /v1/invoices/{id}/pay``: finalize a draft, then charge ``method`` (or the
    invoice's usual card), or record payment made outside Stripe.

    Raises:
        ApiError: the invoice is not payable, or the charge was declined (402, after the
            failed attempt was recorded).
    """
    if invoice.status == "paid":
        raise invalid("Invoice is already paid.", code="invoice_already_paid")
    if invoice.status not in ("draft", "open"):
        raise invalid(f"You can only pay an open invoice; this invoice is {invoice.status}.",
                      code="invoice_not_open")
    if invoice.status == "draft":
        invoicing.finalize(backend, invoice)
    if out_of_band:
        mark_paid(backend, invoice, out_of_band=True)
    elif not attempt(backend, invoice, method):
        raise card_declined("generic_decline", "Your card was declined.")


def _intent(backend: Backend, invoice: Invoice, amount: int,
            method: PaymentMethod | None) -> PaymentIntent:
    for ident in reversed(invoice.payments):
        payment = backend.store.get(InvoicePayment, ident)
        if payment.status == "open":
            intent = backend.store.get(PaymentIntent, payment.payment_intent)
            intent.payment_method = method.id if method else intent.payment_method
            return intent
    now = backend.now_for(invoice)
    intent = backend.add(PaymentIntent(
        id=backend.ids.new("pi"), created=now, amount=amount, currency=invoice.currency,
        customer=invoice.customer, payment_method=method.id if method else None,
        description=_description(invoice), test_clock=invoice.test_clock))
    payment = backend.add(InvoicePayment(
        id=backend.ids.new("inpay"), created=now, invoice=invoice.id, amount_requested=amount,
        currency=invoice.currency, payment_intent=intent.id, test_clock=invoice.test_clock),
        announce=False)
    invoice.payments.append(payment.id)
    return intent


def _description(invoice: Invoice) -> str:
    return "Subscription creation" if invoice.billing_reason == "subscription_create" else (
        "Subscription update" if invoice.subscription else "Payment for Invoice")


def _charge(backend: Backend, intent: PaymentIntent, method: PaymentMethod | None,
            ok: bool) -> Charge:
    charge = backend.add(Charge(
        id=backend.ids.new("ch"), created=backend.now_for(intent), amount=intent.amount,
        currency=intent.currency, customer=intent.customer, payment_intent=intent.id,
        payment_method=method.id if method else None,
        status="succeeded" if ok else "failed",
        failure_code=None if ok else "card_declined",
        failure_message=None if ok else "Your card was declined.",
        decline_code=None if ok else "generic_decline",
        brand=method.brand if method else "visa", last4=method.last4 if method else "4242",
        description=intent.description, test_clock=intent.test_clock), announce=False)
    backend.emit("charge.succeeded" if ok else "charge.failed", charge)
    return charge


def _conclude_intent(backend: Backend, intent: PaymentIntent, charge: Charge,
                     ok: bool) -> None:
    kind = "payment_intent.succeeded" if ok else "payment_intent.payment_failed"
    with backend.changes(intent, kind):
        intent.latest_charge = charge.id
        intent.status = "succeeded" if ok else "requires_payment_method"
        intent.amount_received = intent.amount if ok else 0
        intent.last_error = None if ok else PaymentError(
            "card_declined", "generic_decline", "Your card was declined.", charge.id,
            charge.payment_method)


def mark_paid(backend: Backend, invoice: Invoice, paid: int = 0,
              out_of_band: bool = False) -> None:
    """Record ``invoice`` as paid (by ``paid`` charged now, or what was left paid outside
    Stripe when ``out_of_band``) and settle its subscription."""
    now = backend.now_for(invoice)
    _close_payments(backend, invoice, now, paid)
    outside = invoicing.sums(backend, invoice).amount_remaining if out_of_band else 0
    with backend.changes(invoice, "invoice.paid", "invoice.payment_succeeded"):
        invoice.status = "paid"
        invoice.amount_paid += paid + outside
        invoice.attempted = invoice.attempted or paid > 0
        invoice.attempt_count += 1 if paid > 0 else 0
        invoice.paid_at = now
        invoice.next_payment_attempt = None
    settle_owner(backend, invoice)


def _close_payments(backend: Backend, invoice: Invoice, now: int, paid: int) -> None:
    for ident in invoice.payments:
        payment = backend.store.get(InvoicePayment, ident)
        if payment.status == "open" and paid > 0:
            with backend.changes(payment, "invoice_payment.paid"):
                payment.status, payment.amount_paid, payment.paid_at = "paid", paid, now


def _failed(backend: Backend, invoice: Invoice) -> None:
    with backend.changes(invoice, "invoice.payment_failed", "invoice.updated"):
        invoice.attempted = True
        invoice.attempt_count += 1
        invoice.next_payment_attempt = _next_attempt(backend, invoice)
    settle_owner(backend, invoice)
    if invoice.next_payment_attempt is None and _retried(backend, invoice):
        _give_up(backend, invoice)


def _retried(backend: Backend, invoice: Invoice) -> bool:
    return (invoice.collection_method == "charge_automatically" and not _first_of_incomplete(
        backend, invoice) and invoice.attempt_count > len(backend.dunning.retry_days))


def _first_of_incomplete(backend: Backend, invoice: Invoice) -> bool:
    sub = backend.store.find(Subscription, invoice.subscription or "")
    return sub is not None and sub.status in ("incomplete", "incomplete_expired")


def _next_attempt(backend: Backend, invoice: Invoice) -> int | None:
    waits = backend.dunning.retry_days
    if (invoice.collection_method != "charge_automatically"
            or _first_of_incomplete(backend, invoice)
            or invoice.attempt_count > len(waits)):
        return None
    return backend.now_for(invoice) + waits[invoice.attempt_count - 1] * DAY


def _give_up(backend: Backend, invoice: Invoice) -> None:
    policy = backend.dunning
    if policy.mark_uncollectible and invoice.status == "open":
        invoicing.mark_uncollectible(backend, invoice)
        settle_owner(backend, invoice)
    sub = backend.store.find(Subscription, invoice.subscription or "")
    if sub is None or sub.status in status.ENDED:
        return
    if policy.final_subscription_status == "canceled":
        status.end(backend, sub, backend.now_for(sub), "payment_failed")
    elif policy.final_subscription_status == "unpaid":
        with backend.changes(sub):
            sub.status = "unpaid"


def settle_owner(backend: Backend, invoice: Invoice) -> None:
    """Bring the status of the invoice's subscription (if any) in line with its invoices."""
    sub = backend.store.find(Subscription, invoice.subscription or "")
    if sub is not None:
        status.settle(backend, sub)
