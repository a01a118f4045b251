"""Invoices, their line items, and pending invoice items."""

from __future__ import annotations

from crm_emulators.stripe_emulator.records import (
    Customer,
    Invoice,
    InvoiceItem,
    InvoiceLine,
    Json,
    Price,
)
from crm_emulators.stripe_emulator.render.customers import address
from crm_emulators.stripe_emulator.render.dispatch import list_object, render, render_live
from crm_emulators.stripe_emulator.store import Store
from crm_emulators.stripe_emulator.totals import totals

LINES_SHOWN = 10
"""Lines embedded in an invoice; the rest are read from ``/v1/invoices/{id}/lines``."""


def _pricing(price_id: str | None, unit_amount: int | None, store: Store) -> Json | None:
    if price_id is None:
        return None
    price = store.get(Price, price_id)
    return {"price_details": {"price": price.id, "product": price.product},
            "type": "price_details",
            "unit_amount_decimal": str(unit_amount if unit_amount is not None
                                       else price.unit_amount)}


def _line_parent(line: InvoiceLine) -> Json:
    details = {"proration": line.proration,
               "proration_details": {"credited_items": None}, "subscription": line.subscription}
    if line.invoice_item is not None:
        return {"invoice_item_details": {**details, "invoice_item": line.invoice_item},
                "subscription_item_details": None, "type": "invoice_item_details"}
    return {"invoice_item_details": None,
            "subscription_item_details": {**details, "invoice_item": None,
                                          "subscription_item": line.subscription_item},
            "type": "subscription_item_details"}


@render_live.register
def _line(line: InvoiceLine, store: Store) -> Json:
    unit = line.amount // line.quantity if line.quantity else line.amount
    return {
        "id": line.id, "object": "line_item", "amount": line.amount,
        "currency": line.currency, "description": line.description,
        "discount_amounts": [{"amount": d.amount, "discount": d.discount}
                             for d in line.discount_amounts],
        "discountable": line.discountable,
        "discounts": [d.discount for d in line.discount_amounts], "invoice": line.invoice,
        "livemode": False, "metadata": dict(line.metadata), "parent": _line_parent(line),
        "period": {"end": line.period_end, "start": line.period_start},
        "pretax_credit_amounts": [], "pricing": _pricing(line.price, unit, store),
        "quantity": line.quantity, "quantity_decimal": str(line.quantity),
        "subscription": line.subscription, "subtotal": line.amount, "taxes": [],
    }


@render_live.register
def _invoice_item(item: InvoiceItem, store: Store) -> Json:
    return {
        "id": item.id, "object": "invoiceitem", "amount": item.amount,
        "currency": item.currency, "customer": item.customer, "customer_account": None,
        "date": item.created, "description": item.description,
        "discountable": item.discountable, "discounts": [], "invoice": item.invoice,
        "livemode": False, "metadata": dict(item.metadata), "net_amount": item.amount,
        "parent": None if item.subscription is None else {
            "subscription_details": {"subscription": item.subscription,
                                     "subscription_item": item.subscription_item},
            "type": "subscription_details"},
        "period": {"end": item.period_end, "start": item.period_start},
        "pricing": _pricing(item.price, item.amount // max(item.quantity, 1), store),
        "proration": item.proration, "quantity": item.quantity,
        "quantity_decimal": str(item.quantity), "tax_rates": [], "test_clock": item.test_clock,
    }


def invoice_lines(invoice: Invoice, store: Store) -> list[InvoiceLine]:
    """The invoice's lines in order."""
    return [store.get(InvoiceLine, ident) for ident in invoice.lines]


@render_live.register
def _invoice(invoice: Invoice, store: Store) -> Json:
    lines = invoice_lines(invoice, store)
    shown = [render(line, store) for line in lines[:LINES_SHOWN]]
    return {
        "id": invoice.id, "object": "invoice", **_amounts(invoice, lines),
        **_customer_details(invoice, store), **_collection(invoice), **_static(),
        "billing_reason": invoice.billing_reason, "created": invoice.created,
        "currency": invoice.currency, "description": invoice.description,
        "discounts": list(invoice.discounts), "effective_at": invoice.finalized_at,
        "lines": list_object(shown, f"/v1/invoices/{invoice.id}/lines",
                             len(lines) > LINES_SHOWN),
        "livemode": False, "metadata": dict(invoice.metadata), "number": invoice.number,
        "parent": _parent(invoice), "period_end": invoice.period_end,
        "period_start": invoice.period_start, "status": invoice.status,
        "subscription": invoice.subscription,
        "status_transitions": {
            "finalized_at": invoice.finalized_at,
            "marked_uncollectible_at": invoice.marked_uncollectible_at,
            "paid_at": invoice.paid_at, "voided_at": invoice.voided_at,
        },
        "test_clock": invoice.test_clock, "webhooks_delivered_at": invoice.finalized_at,
    }


def _amounts(invoice: Invoice, lines: list[InvoiceLine]) -> Json:
    sums = totals(invoice, lines)
    return {
        "amount_due": sums.amount_due, "amount_overpaid": 0,
        "amount_paid": invoice.amount_paid, "amount_remaining": sums.amount_remaining,
        "amount_shipping": 0, "ending_balance": invoice.ending_balance,
        "post_payment_credit_notes_amount": invoice.post_payment_credit_notes_amount,
        "pre_payment_credit_notes_amount": 0,
        "starting_balance": invoice.starting_balance, "subtotal": sums.subtotal,
        "subtotal_excluding_tax": sums.subtotal, "total": sums.total,
        "total_discount_amounts": [{"amount": amount, "discount": ident}
                                   for ident, amount in sums.discounts.items()],
        "total_excluding_tax": sums.total, "total_pretax_credit_amounts": [],
        "total_taxes": [],
    }


def _customer_details(invoice: Invoice, store: Store) -> Json:
    customer = store.find(Customer, invoice.customer)
    return {
        "customer": invoice.customer, "customer_account": None,
        "customer_address": address(customer.address) if customer else None,
        "customer_email": customer.email if customer else None,
        "customer_name": customer.name if customer else None,
        "customer_phone": customer.phone if customer else None, "customer_shipping": None,
        "customer_tax_exempt": "none", "customer_tax_ids": [],
    }


def _collection(invoice: Invoice) -> Json:
    finalized = invoice.status != "draft"
    base = f"https://invoice.stripe.com/i/acct_emulator/test_{invoice.id}"
    return {
        "attempt_count": invoice.attempt_count, "attempted": invoice.attempted,
        "auto_advance": invoice.auto_advance,
        "automatically_finalizes_at": invoice.automatically_finalizes_at,
        "collection_method": invoice.collection_method,
        "default_payment_method": None, "due_date": invoice.due_date,
        "hosted_invoice_url": base if finalized else None,
        "invoice_pdf": f"{base}/pdf" if finalized else None,
        "next_payment_attempt": invoice.next_payment_attempt,
    }


def _parent(invoice: Invoice) -> Json | None:
    if invoice.subscription is None:
        return None
    return {"quote_details": None,
            "subscription_details": {"metadata": invoice.subscription_metadata,
                                     "subscription": invoice.subscription},
            "type": "subscription_details"}


def _static() -> Json:
    return {
        "account_country": "US", "account_name": "crm-connector sandbox",
        "account_tax_ids": None, "application": None,
        "automatic_tax": {"disabled_reason": None, "enabled": False, "liability": None,
                          "provider": None, "status": None},
        "custom_fields": None, "default_source": None, "default_tax_rates": [],
        "footer": None, "from_invoice": None, "issuer": {"type": "self"},
        "last_finalization_error": None, "latest_revision": None, "on_behalf_of": None,
        "payment_settings": {"default_mandate": None, "payment_method_options": None,
                             "payment_method_types": None},
        "receipt_number": None, "rendering": None, "shipping_cost": None,
        "shipping_details": None, "statement_descriptor": None,
    }
