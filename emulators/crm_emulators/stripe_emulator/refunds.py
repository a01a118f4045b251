"""Refunds of charges and credit notes on paid invoices.

A refund gives back part or all of a succeeded charge (``refund.created``, then
``charge.refunded`` with the charge's new ``amount_refunded``). A credit note reduces a
paid invoice (``credit_note.created``, ``invoice.updated``) and allocates its amount as a
refund of the invoice's charge (``refund_amount``), money returned outside Stripe
(``out_of_band_amount``) or, for the rest, credit on the customer's balance. Credit notes
on open invoices (``pre_payment``) are not emulated.
"""

from __future__ import annotations

from dataclasses import dataclass

from crm_emulators.stripe_emulator.backend import Backend
from crm_emulators.stripe_emulator.errors import invalid
from crm_emulators.stripe_emulator.records import (
    Charge,
    CreditNote,
    Customer,
    Invoice,
    InvoicePayment,
    PaymentIntent,
    Refund,
)

REASONS = ("duplicate", "fraudulent", "requested_by_customer", "order_change",
           "product_unsatisfactory")


def refund(backend: Backend, charge: Charge, amount: int | None,
           reason: str | None = None) -> Refund:
    """Refund ``amount`` (all that is left when None) of ``charge``.

    Raises:
        ApiError: the charge did not succeed, or the amount exceeds what is left.
    """
    left = charge.amount - charge.amount_refunded
    if charge.status != "succeeded":
        raise invalid(f"Charge {charge.id} has not succeeded; it cannot be refunded.",
                      code="charge_not_refundable")
    wanted = left if amount is None else amount
    if not 0 < wanted <= left:
        raise invalid(f"Refund amount ({wanted}) is greater than unrefunded amount on "
                      f"charge ({left})", param="amount", code="amount_too_large")
    created = backend.add(Refund(
        id=backend.ids.new("re"), created=backend.now_for(charge), amount=wanted,
        currency=charge.currency, charge=charge.id, payment_intent=charge.payment_intent,
        reason=reason, test_clock=charge.test_clock))
    with backend.changes(charge, "charge.refunded"):
        charge.amount_refunded += wanted
    return created


@dataclass(frozen=True)
class Allocation:
    """How a credit note's amount is given back; the rest goes to the customer's balance."""

    refund_amount: int = 0
    out_of_band_amount: int = 0


def credit_note(backend: Backend, invoice: Invoice, amount: int, allocation: Allocation, *,
                reason: str | None = None, memo: str | None = None) -> CreditNote:
    """Issue a credit note of ``amount`` on paid ``invoice``.

    Raises:
        ApiError: the invoice is not paid, or the amounts do not add up.
    """
    if invoice.status != "paid":
        raise invalid("The emulator issues credit notes on paid invoices only.",
                      param="invoice")
    creditable = invoice.amount_paid - invoice.post_payment_credit_notes_amount
    if not 0 < amount <= creditable:
        raise invalid(f"The credit note amount ({amount}) must be positive and at most the "
                      f"invoice's remaining creditable amount ({creditable}).",
                      param="amount")
    credit = amount - allocation.refund_amount - allocation.out_of_band_amount
    if credit < 0:
        raise invalid("refund_amount and out_of_band_amount exceed the credit note amount.",
                      param="refund_amount")
    made = refund(backend, _charge_of(backend, invoice), allocation.refund_amount,
                  "requested_by_customer") if allocation.refund_amount else None
    if credit:
        _credit_balance(backend, invoice.customer, credit)
    return _issue(backend, invoice, amount, allocation, reason=reason, memo=memo,
                  refunds=[(made.id, made.amount)] if made else [])


def _issue(backend: Backend, invoice: Invoice, amount: int, allocation: Allocation, *,
           reason: str | None, memo: str | None,
           refunds: list[tuple[str, int]]) -> CreditNote:
    now = backend.now_for(invoice)
    with backend.changes(invoice):
        invoice.post_payment_credit_notes_amount += amount
        invoice.credit_notes += 1
    return backend.add(CreditNote(
        id=backend.ids.new("cn"), created=now, invoice=invoice.id, customer=invoice.customer,
        amount=amount, currency=invoice.currency, effective_at=now, type="post_payment",
        number=f"{invoice.number or invoice.id}-CN-{invoice.credit_notes:02d}",
        reason=reason, memo=memo,
        out_of_band_amount=allocation.out_of_band_amount or None, refunds=refunds,
        test_clock=invoice.test_clock))


def _charge_of(backend: Backend, invoice: Invoice) -> Charge:
    for payment_id in reversed(invoice.payments):
        payment = backend.store.get(InvoicePayment, payment_id)
        intent = backend.store.get(PaymentIntent, payment.payment_intent)
        if payment.status == "paid" and intent.latest_charge:
            return backend.store.get(Charge, intent.latest_charge)
    raise invalid("The invoice was not paid with a charge, so nothing can be refunded.",
                  param="refund_amount")


def _credit_balance(backend: Backend, customer_id: str, amount: int) -> None:
    customer = backend.store.get(Customer, customer_id)
    with backend.changes(customer):
        customer.balance -= amount
