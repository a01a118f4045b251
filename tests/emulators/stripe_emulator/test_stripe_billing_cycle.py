"""What time brings, driven by ``advance``: renewals, trial ends and dunning."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import stripe
from stripe_emu_helpers import T0, Subscribe, at

from crm_emulators.clock import ManualClock
from crm_emulators.stripe_emulator import DunningPolicy, StripeEmulator


def test_a_month_later_the_renewal_invoice_is_drafted_then_paid_an_hour_on(
        emulator: StripeEmulator, client: stripe.StripeClient, subscribe: Subscribe) -> None:
    sub = subscribe(quantity=2)
    period_end = datetime(2026, 12, 23, 9, tzinfo=UTC)

    emulator.advance(period_end - T0)
    drafted = client.v1.invoices.list({"subscription": sub.id}).data[0]
    emulator.advance(timedelta(hours=1))

    renewal = client.v1.invoices.retrieve(drafted.id)
    item = client.v1.subscriptions.retrieve(sub.id)["items"].data[0]
    assert (drafted.billing_reason, drafted.status) == ("subscription_cycle", "draft")
    assert (renewal.status, renewal.amount_paid) == ("paid", 20000)
    assert (renewal.period_start, renewal.period_end) == (at(T0), at(period_end))
    assert (item.current_period_start, item.current_period_end) == (
        at(period_end), at(datetime(2027, 1, 23, 9, tzinfo=UTC)))


def test_a_long_jump_bills_every_month_in_order(
        emulator: StripeEmulator, client: stripe.StripeClient, subscribe: Subscribe) -> None:
    sub = subscribe()

    emulator.advance(timedelta(days=95))

    invoices = client.v1.invoices.list({"subscription": sub.id}).data
    assert [i.billing_reason for i in invoices] == ["subscription_cycle"] * 3 + [
        "subscription_create"]
    assert all(i.status == "paid" for i in invoices)
    assert [i.created for i in invoices] == sorted((i.created for i in invoices), reverse=True)


def test_a_trial_ends_into_an_active_paid_subscription(
        emulator: StripeEmulator, client: stripe.StripeClient, subscribe: Subscribe) -> None:
    trial_end = at(T0 + timedelta(days=14))
    sub = subscribe(trial_end=trial_end)
    first = client.v1.invoices.retrieve(str(sub.latest_invoice))

    emulator.advance(timedelta(days=15))

    after = client.v1.subscriptions.retrieve(sub.id)
    renewal = client.v1.invoices.retrieve(str(after.latest_invoice))
    assert (sub.status, sub.trial_end, sub["items"].data[0].current_period_end) == (
        "trialing", trial_end, trial_end)
    assert (first.amount_due, first.status) == (0, "paid")
    assert after.status == "active"
    assert (renewal.amount_paid, renewal.status) == (10000, "paid")
    notices = client.v1.events.list({"type": "customer.subscription.trial_will_end"}).data
    assert [e.created for e in notices] == [trial_end - 3 * 86400]


def test_failed_payments_make_a_subscription_past_due_until_a_retry_succeeds(
        emulator: StripeEmulator, client: stripe.StripeClient, subscribe: Subscribe) -> None:
    sub = subscribe()
    emulator.fail_payments_for(str(sub.customer))

    emulator.advance(timedelta(days=31))
    past_due = client.v1.subscriptions.retrieve(sub.id)
    failed = client.v1.events.list({"type": "invoice.payment_failed"}).data
    emulator.fail_payments_for(str(sub.customer), failing=False)
    emulator.advance(timedelta(days=3))

    assert past_due.status == "past_due"
    assert len(failed) == 1
    invoice = failed[0].data.object
    assert (invoice["attempt_count"], invoice["next_payment_attempt"]) == (
        1, invoice["status_transitions"]["finalized_at"] + 3 * 86400)
    assert client.v1.customers.retrieve(str(sub.customer)).delinquent is False
    assert client.v1.subscriptions.retrieve(sub.id).status == "active"
    declined = client.v1.charges.list({"customer": str(sub.customer)}).data
    assert [c.status for c in declined] == ["succeeded", "failed", "succeeded"]


def test_when_the_retries_run_out_the_dunning_policy_ends_the_subscription() -> None:
    policy = DunningPolicy(retry_days=(1, 2), final_subscription_status="canceled")
    emulator = StripeEmulator(ManualClock(T0), dunning=policy).start()
    try:
        client = emulator.client()
        price = emulator.seed_price("Platform", None, 10000)
        customer = client.v1.customers.create({"name": "Acme"})
        sub = client.v1.subscriptions.create({"customer": customer.id,
                                              "items": [{"price": price}]})
        emulator.fail_payments_for(customer.id)

        emulator.advance(timedelta(days=35))

        ended = client.v1.subscriptions.retrieve(sub.id)
        failures = client.v1.events.list({"type": "invoice.payment_failed"}).data
        assert (ended.status, ended.cancellation_details.reason) == (
            "canceled", "payment_failed")
        assert len(failures) == 3  # the first attempt and two retries
    finally:
        emulator.stop()
