"""The less common knobs of subscriptions, invoices, cards and dunning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import stripe
from stripe_emu_helpers import T0, Subscribe, at

from crm_emulators.clock import ManualClock
from crm_emulators.stripe_emulator import DunningPolicy, StripeEmulator


def test_a_billing_cycle_anchor_prorates_the_first_invoice_up_to_it(
        subscribe: Subscribe) -> None:
    anchor = at(datetime(2026, 12, 1, tzinfo=UTC))

    sub = subscribe(billing_cycle_anchor=anchor, expand=["latest_invoice"])

    invoice = sub.latest_invoice
    assert isinstance(invoice, stripe.Invoice)
    assert (sub.billing_cycle_anchor, sub["items"].data[0].current_period_end) == (
        anchor, anchor)
    assert invoice.amount_paid == 10000 * (anchor - at(T0)) // (30 * 86400)


def test_a_backdated_start_bills_from_the_backdated_day(subscribe: Subscribe) -> None:
    start = at(T0 - timedelta(days=10))

    sub = subscribe(backdate_start_date=start)

    item = sub["items"].data[0]
    assert (sub.start_date, item.current_period_start) == (start, start)
    assert item.current_period_end == at(datetime(2026, 12, 13, 9, tzinfo=UTC))


def test_trial_period_days_and_ending_a_trial_now(client: stripe.StripeClient,
                                                   subscribe: Subscribe) -> None:
    sub = subscribe(trial_period_days=7)

    ended = client.v1.subscriptions.update(sub.id, {"trial_end": "now",
                                                    "expand": ["latest_invoice"]})

    invoice = ended.latest_invoice
    assert isinstance(invoice, stripe.Invoice)
    assert (sub.status, sub.trial_end) == ("trialing", at(T0 + timedelta(days=7)))
    assert ended.status == "active"
    assert (invoice.billing_reason, invoice.amount_paid) == ("subscription_update", 10000)


def test_payment_behaviors(subscribe: Subscribe) -> None:
    with pytest.raises(stripe.CardError):
        subscribe(payment_behavior="error_if_incomplete",
                  default_payment_method="pm_card_chargeCustomerFail")

    waiting = subscribe(payment_behavior="default_incomplete", expand=["latest_invoice"])

    invoice = waiting.latest_invoice
    assert isinstance(invoice, stripe.Invoice)
    assert (waiting.status, invoice.status, invoice.attempt_count) == ("incomplete", "open", 0)


def test_a_new_cycle_now_and_a_scheduled_cancellation(
        emulator: StripeEmulator, client: stripe.StripeClient, subscribe: Subscribe) -> None:
    sub = subscribe()
    emulator.advance(timedelta(days=10))
    cancel_at = at(T0 + timedelta(days=20))

    restarted = client.v1.subscriptions.update(sub.id, {
        "billing_cycle_anchor": "now", "proration_behavior": "none",
        "cancel_at": cancel_at, "metadata": {"reason": "re-anchor"}})
    emulator.advance(timedelta(days=11))

    assert restarted["items"].data[0].current_period_start == at(T0 + timedelta(days=10))
    assert (restarted.cancel_at, restarted.metadata["reason"]) == (cancel_at, "re-anchor")
    assert client.v1.subscriptions.retrieve(sub.id).status == "canceled"
    reasons = [i.billing_reason for i in client.v1.invoices.list({"subscription": sub.id})]
    assert reasons == ["subscription_update", "subscription_create"]


def test_subscriptions_list_by_price(client: stripe.StripeClient, subscribe: Subscribe,
                                     emulator: StripeEmulator) -> None:
    other = emulator.seed_price("Support", None, 5000)
    subscribe()
    wanted = subscribe(price=other)

    assert [s.id for s in client.v1.subscriptions.list({"price": other}).data] == [wanted.id]


def test_cards_are_attached_listed_and_made_the_default(client: stripe.StripeClient) -> None:
    customer = client.v1.customers.create({"name": "Acme"})

    card = client.v1.payment_methods.attach("pm_card_mastercard", {"customer": customer.id})
    client.v1.customers.update(customer.id, {"invoice_settings": {
        "default_payment_method": card.id}})

    assert card.card is not None
    assert (card.customer, card.card.brand, card.card.last4) == (
        customer.id, "mastercard", "4444")
    assert [m.id for m in client.v1.payment_methods.list({"customer": customer.id}).data] == [
        card.id]
    assert client.v1.customers.retrieve(customer.id).invoice_settings.default_payment_method \
        == card.id
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.customers.update(customer.id, {"invoice_settings": {
            "default_payment_method": "pm_missing"}})


def test_payments_are_readable_as_intents_and_charges(client: stripe.StripeClient,
                                                      subscribe: Subscribe) -> None:
    sub = subscribe()

    intent = client.v1.payment_intents.list({"customer": str(sub.customer)}).data[0]
    charge = client.v1.charges.retrieve(str(intent.latest_charge))

    assert (intent.status, intent.amount, intent.amount_received) == ("succeeded", 10000, 10000)
    assert client.v1.payment_intents.retrieve(intent.id).id == intent.id
    assert (charge.paid, charge.payment_intent) == (True, intent.id)


def test_a_draft_renewal_can_be_finalized_early_and_lines_are_paged(
        emulator: StripeEmulator, client: stripe.StripeClient, subscribe: Subscribe) -> None:
    sub = subscribe()
    emulator.advance(datetime(2026, 12, 23, 9, tzinfo=UTC) - T0)
    draft = client.v1.invoices.list({"subscription": sub.id, "status": "draft"}).data[0]

    finalized = client.v1.invoices.finalize_invoice(draft.id)
    lines = client.v1.invoices.line_items.list(draft.id)

    assert (draft.number, finalized.status) == (None, "paid")
    assert finalized.number is not None
    assert [line.amount for line in lines.data] == [10000]


def test_an_open_invoice_can_be_marked_uncollectible(client: stripe.StripeClient,
                                                     subscribe: Subscribe) -> None:
    sub = subscribe(collection_method="send_invoice", days_until_due=30)

    marked = client.v1.invoices.mark_uncollectible(str(sub.latest_invoice))

    assert marked.status == "uncollectible"
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"


def test_an_unpaid_dunning_policy_marks_invoices_uncollectible() -> None:
    policy = DunningPolicy(retry_days=(1,), final_subscription_status="unpaid",
                           mark_uncollectible=True)
    emulator = StripeEmulator(ManualClock(T0), dunning=policy).start()
    try:
        client = emulator.client()
        price = emulator.seed_price("Platform", None, 10000)
        customer = client.v1.customers.create({"name": "Acme"})
        sub = client.v1.subscriptions.create({"customer": customer.id,
                                              "items": [{"price": price}]})
        emulator.fail_payments_for(customer.id)

        emulator.advance(timedelta(days=33))

        statuses = [i.status for i in client.v1.invoices.list({"subscription": sub.id})]
        assert client.v1.subscriptions.retrieve(sub.id).status == "unpaid"
        assert statuses == ["uncollectible", "paid"]
    finally:
        emulator.stop()
