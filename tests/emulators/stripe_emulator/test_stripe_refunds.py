"""Refunds, credit notes on paid invoices, and the invoice payments that link charges."""

from __future__ import annotations

import pytest
import stripe
from stripe_emu_helpers import Subscribe

from crm_emulators.stripe_emulator import StripeEmulator


def _paid_charge(client: stripe.StripeClient, subscription: stripe.Subscription) -> str:
    invoice = client.v1.invoices.list({"subscription": subscription.id}).data[0]
    [payment] = client.v1.invoice_payments.list({"invoice": invoice.id}).data
    intent = client.v1.payment_intents.retrieve(str(payment.payment.payment_intent))
    return str(intent.latest_charge)


def test_a_partial_refund_shows_on_the_charge_and_emits_its_events(
        emulator: StripeEmulator, client: stripe.StripeClient, subscribe: Subscribe) -> None:
    charge = _paid_charge(client, subscribe())

    refund = client.v1.refunds.create({"charge": charge, "amount": 2500})

    after = client.v1.charges.retrieve(charge)
    assert (refund.amount, refund.status, refund.charge) == (2500, "succeeded", charge)
    assert (after.amount_refunded, after.refunded) == (2500, False)
    types = [e["type"] for e in emulator.objects("event")][-2:]
    assert types == ["refund.created", "charge.refunded"]


def test_refunding_more_than_is_left_is_refused(
        client: stripe.StripeClient, subscribe: Subscribe) -> None:
    charge = _paid_charge(client, subscribe())
    client.v1.refunds.create({"charge": charge})  # everything

    with pytest.raises(stripe.InvalidRequestError):
        client.v1.refunds.create({"charge": charge, "amount": 1})
    assert client.v1.charges.retrieve(charge).refunded is True


def test_invoice_payments_are_found_by_payment_intent(
        client: stripe.StripeClient, subscribe: Subscribe) -> None:
    sub = subscribe()
    invoice = client.v1.invoices.list({"subscription": sub.id}).data[0]
    [payment] = client.v1.invoice_payments.list({"invoice": invoice.id}).data

    found = client.v1.invoice_payments.list(
        {"payment": {"type": "payment_intent",
                     "payment_intent": str(payment.payment.payment_intent)}}).data

    assert [p.invoice for p in found] == [invoice.id]


def test_a_credit_note_on_a_paid_invoice_credits_the_balance_or_refunds(
        emulator: StripeEmulator, client: stripe.StripeClient, subscribe: Subscribe) -> None:
    sub = subscribe()
    invoice = client.v1.invoices.list({"subscription": sub.id}).data[0]

    credited = client.v1.credit_notes.create({"invoice": invoice.id, "amount": 1000})
    refunded = client.v1.credit_notes.create({"invoice": invoice.id, "amount": 500,
                                              "refund_amount": 500})

    assert (credited.type, credited.status, credited.total) == ("post_payment", "issued", 1000)
    assert client.v1.customers.retrieve(str(sub.customer)).balance == -1000
    assert refunded.number.endswith("-CN-02")
    assert client.v1.invoices.retrieve(invoice.id).post_payment_credit_notes_amount == 1500
    assert client.v1.charges.retrieve(_paid_charge(client, sub)).amount_refunded == 500
    assert [(r.amount_refunded, r.type) for r in refunded.refunds] == [(500, "refund")]
    assert credited.refunds == []
    assert "credit_note.created" in [e["type"] for e in emulator.objects("event")]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.credit_notes.create({"invoice": invoice.id, "amount": 9000})
