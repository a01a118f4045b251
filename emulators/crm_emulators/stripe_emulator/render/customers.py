"""Customers."""

from __future__ import annotations

from dataclasses import asdict

from crm_emulators.stripe_emulator.records import Address, Customer, Invoice, Json
from crm_emulators.stripe_emulator.render.dispatch import render_live
from crm_emulators.stripe_emulator.store import Store

EMPTY_ADDRESS = Address()


def address(value: Address | None) -> Json | None:
    """An address object, or None."""
    return asdict(value) if value is not None else None


def is_delinquent(customer: Customer, store: Store) -> bool:
    """Whether the customer has an open invoice whose payment failed or is overdue."""
    return any(inv.status == "open" and ((inv.attempt_count > 0 and inv.amount_paid == 0)
                                         or inv.overdue)
               for inv in store.all(Invoice, lambda i: i.customer == customer.id))


@render_live.register
def _customer(customer: Customer, store: Store) -> Json:
    return {
        "id": customer.id, "object": "customer", "address": address(customer.address),
        "balance": customer.balance, "created": customer.created,
        "currency": customer.currency, "default_source": None,
        "delinquent": is_delinquent(customer, store), "description": customer.description,
        "discount": None, "email": customer.email, "invoice_prefix": customer.invoice_prefix,
        "invoice_settings": {
            "custom_fields": None, "default_payment_method": customer.default_payment_method,
            "footer": None, "rendering_options": None,
        },
        "livemode": False, "metadata": dict(customer.metadata), "name": customer.name,
        "next_invoice_sequence": customer.next_invoice_sequence, "phone": customer.phone,
        "preferred_locales": list(customer.preferred_locales), "shipping": None,
        "tax_exempt": "none", "test_clock": customer.test_clock,
    }
