"""One-off invoices made through the API: ``POST /v1/invoices`` and ``POST /v1/invoiceitems``."""

from __future__ import annotations

import pytest
import stripe

from crm_emulators.stripe_emulator import StripeEmulator


def test_an_api_invoice_is_a_draft_without_a_parent_until_finalized_and_paid(
        emulator: StripeEmulator, client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"name": "Walk-in"})
    pending = client.v1.invoice_items.create({"customer": customer.id, "amount": 700,
                                              "currency": "usd"})
    invoice = client.v1.invoices.create({"customer": customer.id})
    # documented defaults: no automatic advancement, pending items excluded
    assert (invoice.status, invoice.auto_advance, invoice.parent, invoice.total) == (
        "draft", False, None, 0)

    client.v1.invoice_items.create({"customer": customer.id, "invoice": invoice.id,
                                    "amount": 25000, "currency": "usd",
                                    "description": "Onboarding workshop"})
    open_ = client.v1.invoices.finalize_invoice(invoice.id)
    assert (open_.status, open_.amount_due) == ("open", 25000)  # not collected by itself
    paid = client.v1.invoices.pay(invoice.id)

    assert (paid.status, paid.amount_paid, paid.parent) == ("paid", 25000, None)
    assert client.v1.invoice_items.retrieve(pending.id).invoice is None
    types = [e["type"] for e in emulator.objects("event")]
    assert {"invoice.created", "invoiceitem.created", "invoice.finalized",
            "invoice.paid"} <= set(types)


def test_pending_items_come_onto_an_invoice_that_includes_them(
        client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"name": "Walk-in"})
    item = client.v1.invoice_items.create({"customer": customer.id, "amount": 700,
                                           "currency": "usd"})

    invoice = client.v1.invoices.create({"customer": customer.id,
                                         "pending_invoice_items_behavior": "include"})

    assert invoice.total == 700
    assert client.v1.invoice_items.retrieve(item.id).invoice == invoice.id


def test_an_item_is_refused_on_an_invoice_that_is_not_a_draft(
        client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"name": "Walk-in"})
    invoice = client.v1.invoices.create({"customer": customer.id})
    client.v1.invoices.finalize_invoice(invoice.id)

    with pytest.raises(stripe.InvalidRequestError, match="draft"):
        client.v1.invoice_items.create({"customer": customer.id, "invoice": invoice.id,
                                        "amount": 100, "currency": "usd"})
