"""An invoice's amounts, derived from its lines, discounts and the customer's balance."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from crm_emulators.stripe_emulator.records import Invoice, InvoiceLine


@dataclass(frozen=True)
class Totals:
    """What an invoice adds up to.

    Attributes:
        subtotal: the lines before discounts.
        discounts: amount taken off per discount id, in first-seen order.
        total: subtotal minus discounts (negative for a credit invoice).
        amount_due: what the customer must pay after the customer's balance is applied.
        amount_remaining: what is still unpaid of ``amount_due``.
    """

    subtotal: int
    discounts: dict[str, int]
    total: int
    amount_due: int
    amount_remaining: int


def totals(invoice: Invoice, lines: Sequence[InvoiceLine]) -> Totals:
    """Add up ``invoice`` from its ``lines``."""
    subtotal = sum(line.amount for line in lines)
    discounts: dict[str, int] = {}
    for line in lines:
        for share in line.discount_amounts:
            discounts[share.discount] = discounts.get(share.discount, 0) + share.amount
    total = subtotal - sum(discounts.values())
    due = max(0, total + invoice.applied_balance)
    remaining = 0 if invoice.status in ("paid", "void") else max(0, due - invoice.amount_paid)
    return Totals(subtotal, discounts, total, due, remaining)
