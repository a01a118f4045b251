"""Subscriptions through StripeClient: creation, updates with prorations, cancellation,
coupons, cards that decline, and the list filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import stripe
from stripe_emu_helpers import T0, Subscribe, at

from crm_emulators.stripe_emulator import StripeEmulator


def test_a_subscription_opens_a_period_on_its_items_and_pays_its_first_invoice(
        client: stripe.StripeClient, subscribe: Subscribe) -> None:
    sub = subscribe(quantity=3, metadata={"opportunity": "006A"}, expand=["latest_invoice"])

    item = sub["items"].data[0]
    invoice = sub.latest_invoice
    assert isinstance(invoice, stripe.Invoice)
    assert (sub.status, sub.metadata["opportunity"]) == ("active", "006A")
    assert "current_period_end" not in sub  # lives on the items since 2025-03-31.basil
    assert (item.quantity, item.current_period_start, item.current_period_end) == (
        3, at(T0), at(datetime(2026, 12, 23, 9, tzinfo=UTC)))
    assert (invoice.status, invoice.amount_paid, invoice.billing_reason) == (
        "paid", 30000, "subscription_create")
    assert invoice.parent.subscription_details.subscription == sub.id
    assert invoice.lines.data[0].description == "3 × Platform (at $100.00 / month)"  # noqa: RUF001
    charges = client.v1.charges.list({"customer": str(sub.customer)}).data
    assert [(c.amount, c.status) for c in charges] == [(30000, "succeeded")]


def test_quantity_changes_prorate_unless_told_not_to(
        emulator: StripeEmulator, client: stripe.StripeClient, subscribe: Subscribe) -> None:
    sub = subscribe(quantity=1)
    item = sub["items"].data[0].id
    emulator.advance(timedelta(days=15))

    client.v1.subscriptions.update(sub.id, {"items": [{"id": item, "quantity": 2}],
                                            "proration_behavior": "create_prorations"})
    pending = client.v1.invoice_items.list({"customer": str(sub.customer), "pending": True})
    client.v1.subscriptions.update(sub.id, {"items": [{"id": item, "quantity": 3}],
                                            "proration_behavior": "none"})
    still = client.v1.invoice_items.list({"customer": str(sub.customer), "pending": True})
    emulator.advance(timedelta(days=16))

    assert sorted(i.amount for i in pending.data) == [-5000, 10000]  # half a month each way
    assert all(i.proration for i in pending.data)
    assert len(still.data) == 2  # "none" added nothing
    renewal = client.v1.invoices.list({"subscription": sub.id}).data[0]
    prorated = [line.amount for line in renewal.lines.data
                if line.parent.type == "invoice_item_details"]
    regular = [line.amount for line in renewal.lines.data
               if line.parent.type == "subscription_item_details"]
    assert renewal.billing_reason == "subscription_cycle"
    assert (sorted(prorated), regular) == ([-5000, 10000], [30000])
    assert (renewal.status, renewal.amount_paid) == ("paid", 35000)


def test_always_invoice_bills_the_proration_at_once(
        emulator: StripeEmulator, client: stripe.StripeClient, subscribe: Subscribe) -> None:
    sub = subscribe(quantity=1)
    emulator.advance(timedelta(days=15))

    updated = client.v1.subscriptions.update(sub.id, {
        "items": [{"id": sub["items"].data[0].id, "quantity": 2}],
        "proration_behavior": "always_invoice", "expand": ["latest_invoice"]})

    invoice = updated.latest_invoice
    assert isinstance(invoice, stripe.Invoice)
    assert (invoice.billing_reason, invoice.status, invoice.amount_paid) == (
        "subscription_update", "paid", 5000)


def test_subscription_items_can_be_updated_on_their_own(
        client: stripe.StripeClient, subscribe: Subscribe) -> None:
    sub = subscribe(quantity=1)
    item = sub["items"].data[0]

    updated = client.v1.subscription_items.update(item.id, {"quantity": 4,
                                                            "proration_behavior": "none"})

    assert updated.quantity == 4
    listed = client.v1.subscription_items.list({"subscription": sub.id}).data
    assert [(i.id, i.quantity) for i in listed] == [(item.id, 4)]
    assert client.v1.subscriptions.retrieve(sub.id)["items"].data[0].quantity == 4


def test_cancel_at_period_end_then_the_period_ends(
        emulator: StripeEmulator, client: stripe.StripeClient, subscribe: Subscribe) -> None:
    sub = subscribe()
    end = sub["items"].data[0].current_period_end

    flagged = client.v1.subscriptions.update(sub.id, {"cancel_at_period_end": True})
    emulator.advance(timedelta(days=31))

    after = client.v1.subscriptions.retrieve(sub.id)
    assert (flagged.status, flagged.cancel_at_period_end, flagged.cancel_at) == (
        "active", True, end)
    assert (after.status, after.ended_at) == ("canceled", end)
    assert after.cancellation_details.reason == "cancellation_requested"
    assert len(client.v1.invoices.list({"subscription": sub.id}).data) == 1  # no renewal
    deleted = client.v1.events.list({"type": "customer.subscription.deleted"}).data
    assert [e.data.object["id"] for e in deleted] == [sub.id]


def test_cancel_ends_now_and_leaves_the_default_list(
        client: stripe.StripeClient, subscribe: Subscribe) -> None:
    kept, gone = subscribe(), subscribe()

    canceled = client.v1.subscriptions.cancel(gone.id, {
        "cancellation_details": {"comment": "moved away"}})

    assert (canceled.status, canceled.ended_at) == ("canceled", at(T0))
    assert canceled.cancellation_details.comment == "moved away"
    assert [s.id for s in client.v1.subscriptions.list().data] == [kept.id]
    assert [s.id for s in client.v1.subscriptions.list({"status": "canceled"}).data] == [
        gone.id]
    assert len(client.v1.subscriptions.list({"status": "all"}).data) == 2
    assert [s.id for s in client.v1.subscriptions.list(
        {"customer": str(kept.customer)}).data] == [kept.id]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscriptions.update(gone.id, {"items": [
            {"id": gone["items"].data[0].id, "quantity": 2}]})


def test_a_coupon_discounts_the_invoices(client: stripe.StripeClient,
                                         subscribe: Subscribe) -> None:
    coupon = client.v1.coupons.create({"percent_off": 10, "duration": "forever"})

    sub = subscribe(discounts=[{"coupon": coupon.id}], expand=["latest_invoice"])

    invoice = sub.latest_invoice
    assert isinstance(invoice, stripe.Invoice)
    assert (invoice.subtotal, invoice.total, invoice.amount_paid) == (10000, 9000, 9000)
    assert [d.amount for d in invoice.total_discount_amounts] == [1000]
    assert client.v1.coupons.retrieve(coupon.id).times_redeemed == 1
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        subscribe(discounts=[{"coupon": "NOPE"}])
    assert unknown.value.param == "discounts[0][coupon]"


def test_a_card_that_declines_on_attach_is_a_card_error(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.CardError) as declined:
        client.v1.customers.create({"name": "Acme", "payment_method": "pm_card_chargeDeclined"})

    assert (declined.value.http_status, declined.value.code) == (402, "card_declined")
    assert client.v1.customers.list().data == []


def test_an_unpaid_first_invoice_leaves_the_subscription_incomplete_until_paid(
        client: stripe.StripeClient, subscribe: Subscribe) -> None:
    sub = subscribe(default_payment_method="pm_card_chargeCustomerFail")
    invoice = client.v1.invoices.retrieve(str(sub.latest_invoice))

    paid = client.v1.invoices.pay(invoice.id, {"payment_method": "pm_card_visa"})

    assert sub.status == "incomplete"
    assert (invoice.status, invoice.attempt_count) == ("open", 1)
    assert paid.status == "paid"
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"


def test_an_incomplete_subscription_expires_after_23_hours(
        emulator: StripeEmulator, client: stripe.StripeClient, subscribe: Subscribe) -> None:
    sub = subscribe(default_payment_method="pm_card_chargeCustomerFail")

    emulator.advance(timedelta(hours=24))

    assert client.v1.subscriptions.retrieve(sub.id).status == "incomplete_expired"
    assert client.v1.invoices.retrieve(str(sub.latest_invoice)).status == "void"


def test_send_invoice_subscriptions_go_past_due_when_overdue_and_recover_when_paid(
        emulator: StripeEmulator, client: stripe.StripeClient, subscribe: Subscribe) -> None:
    sub = subscribe(collection_method="send_invoice", days_until_due=7)
    invoice = client.v1.invoices.retrieve(str(sub.latest_invoice))

    emulator.advance(timedelta(days=8))
    overdue = client.v1.subscriptions.retrieve(sub.id).status
    client.v1.invoices.pay(invoice.id, {"paid_out_of_band": True})

    assert (invoice.status, invoice.due_date) == ("open", at(T0 + timedelta(days=7)))
    assert overdue == "past_due"
    assert [e.type for e in client.v1.events.list({"type": "invoice.overdue"}).data] == [
        "invoice.overdue"]
    paid = client.v1.invoices.retrieve(invoice.id)
    assert (paid.status, paid.amount_paid) == ("paid", 10000)
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"


def test_voiding_an_open_invoice(client: stripe.StripeClient, subscribe: Subscribe) -> None:
    sub = subscribe(collection_method="send_invoice", days_until_due=30)

    voided = client.v1.invoices.void_invoice(str(sub.latest_invoice))

    assert voided.status == "void"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.pay(voided.id)
