"""Stripe billing facts → ledger → ``Subscription__c``, whatever order Stripe tells them in.

Against the emulators: invoices and their money land in the ledger in minor units; payment
outcomes reach Salesforce; duplicate, stale and out-of-order webhooks converge to Stripe's
current state; a gap longer than Stripe's 30-day event window is closed by reconciliation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import requests
import stripe
from sqlalchemy import select

from connector.cli import main
from connector.clock import SystemClock
from connector.inbound.stripe.apply_inbox import InboxApplier
from connector.inbound.stripe.objects import StripeObjects
from connector.ledger.models import (
    Customer,
    InboxStatus,
    Invoice,
    JournalEntry,
    MoneyEntry,
    StripeInboxEvent,
    Subscription,
)
from connector.ledger.unit_of_work import Ledger
from connector.webhook.server import WebhookServer
from connector.webhook.signature import SignatureVerifier
from e2e.world import World

SECRET = "whsec_e2e"


def _activate(world: World, code: str = "PLATFORM-MONTHLY") -> dict[str, Any]:
    world.cycle()
    record = next(s for s in world.subscriptions() if s["Product__r"]["ProductCode"] == code)
    world.set_status(record["Id"], "Active")
    world.cycle()
    return next(s for s in world.subscriptions() if s["Id"] == record["Id"])


def _salesforce(world: World, record_id: str) -> dict[str, Any]:
    fields = "Status__c, Last_Payment_Status__c, End_Date__c, Stripe_Subscription_Id__c"
    found: dict[str, Any] = world.admin().query(
        f"SELECT {fields} FROM Subscription__c WHERE Id = '{record_id}'")["records"][0]
    return found


def _rows(world: World, model: Any) -> list[Any]:
    with world.engine.sessions() as session:
        return list(session.scalars(select(model)))


def test_a_paid_invoice_becomes_a_ledger_invoice_and_payment_and_paid_in_salesforce(
        world: World) -> None:
    record = _activate(world)

    world.cycle()  # the events of the activation

    [invoice] = _rows(world, Invoice)
    assert (invoice.status, invoice.currency, invoice.amount_paid_minor) == ("paid", "usd", 49900)
    [payment] = _rows(world, MoneyEntry)
    assert (payment.kind, payment.amount_minor, payment.currency) == ("payment", 49900, "usd")
    assert payment.invoice_id == invoice.id
    assert payment.subscription_id == invoice.subscription_id == record["Ledger_Id__c"]
    assert payment.account_id is not None
    assert _salesforce(world, record["Id"])["Last_Payment_Status__c"] == "Paid"


def test_a_failed_renewal_shows_failed_and_past_due_then_the_paid_retry_paid_and_active(
        world: World) -> None:
    record = _activate(world)
    world.cycle()
    stripe_sub = record["Stripe_Subscription_Id__c"]
    customer = record["Stripe_Customer_Id__c"]
    world.stack.stripe.fail_payments_for(customer)

    world.stack.stripe.advance(timedelta(days=31))  # renewal invoice, declined
    world.cycle()

    failed = _salesforce(world, record["Id"])
    assert (failed["Last_Payment_Status__c"], failed["Status__c"]) == ("Failed", "Past Due")
    assert [m.kind for m in _rows(world, MoneyEntry)].count("failed_payment") == 1

    world.stack.stripe.fail_payments_for(customer, failing=False)
    world.stack.stripe.advance(timedelta(days=3, hours=1))  # Stripe's first retry
    world.cycle()

    paid = _salesforce(world, record["Id"])
    assert (paid["Last_Payment_Status__c"], paid["Status__c"]) == ("Paid", "Active")
    amounts = sorted((m.kind, m.amount_minor) for m in _rows(world, MoneyEntry))
    assert amounts == [("failed_payment", 49900), ("payment", 49900), ("payment", 49900)]
    assert world.stack.stripe.objects("subscription")[0]["id"] == stripe_sub


def test_a_payment_then_a_failure_in_one_cycle_ends_failed_in_salesforce(
        world: World) -> None:
    record = _activate(world)
    world.cycle()
    world.stack.stripe.advance(timedelta(days=31))  # a renewal, paid
    world.stack.stripe.fail_payments_for(record["Stripe_Customer_Id__c"])
    world.stack.stripe.advance(timedelta(days=31))  # the next renewal, declined

    world.cycle()  # both facts arrive in this one cycle

    shown = _salesforce(world, record["Id"])
    assert shown["Last_Payment_Status__c"] == "Failed"
    kinds = [m.kind for m in _rows(world, MoneyEntry)]
    assert kinds.count("payment") == 2
    assert kinds.count("failed_payment") == 1


def test_a_coupon_is_recorded_as_the_invoices_discount(world: World) -> None:
    record = _activate(world)
    client = world.stack.stripe.client()
    coupon = client.v1.coupons.create({"percent_off": 20, "duration": "forever"})
    client.v1.subscriptions.update(record["Stripe_Subscription_Id__c"],
                                   {"discounts": [{"coupon": coupon.id}]})

    world.stack.stripe.advance(timedelta(days=31))
    world.cycle()

    renewal = max(_rows(world, Invoice), key=lambda i: i.period_start)
    assert (renewal.discount_minor, renewal.amount_paid_minor) == (9980, 39920)
    assert renewal.coupon is not None  # for coupon-revenue-by-month
    discounts = [m for m in _rows(world, MoneyEntry) if m.kind == "discount"]
    assert [(d.amount_minor, d.invoice_id) for d in discounts] == [(9980, renewal.id)]


@pytest.fixture
def receiver(world: World) -> Iterator[WebhookServer]:
    server = WebhookServer(SignatureVerifier([SECRET], SystemClock()), world.engine.sessions,
                           world.clock, "127.0.0.1", 0).start()
    yield server
    server.stop()


def _deliver(receiver: WebhookServer, event: dict[str, Any]) -> int:
    body = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(body, SECRET)
    return requests.post(receiver.url, data=body, timeout=10,
                         headers={"Stripe-Signature": header}).status_code


def _apply_inbox(world: World) -> None:
    engine = world.engine
    gateway = engine.services.stripe
    InboxApplier(Ledger(engine.sessions, world.clock, "test"), gateway,
                 StripeObjects(gateway, engine.mappings)).run()


def _ledger_subscription(world: World, ledger_id: str) -> Subscription:
    return next(s for s in _rows(world, Subscription) if s.id == ledger_id)


def test_webhooks_delivered_twice_stale_and_out_of_order_converge_to_stripes_state(
        world: World, receiver: WebhookServer) -> None:
    record = _activate(world)
    world.cycle()
    client = world.stack.stripe.client()
    stripe_sub = record["Stripe_Subscription_Id__c"]
    client.v1.subscriptions.update(stripe_sub, {"cancel_at_period_end": True})
    client.v1.subscriptions.update(stripe_sub, {"cancel_at_period_end": False})
    client.v1.subscriptions.update(stripe_sub, {"cancel_at_period_end": True})
    *_, stale, fresh = [e for e in world.stack.stripe.objects("event")
                        if e["type"] == "customer.subscription.updated"]
    created = next(e for e in world.stack.stripe.objects("event")
                   if e["type"] == "customer.subscription.created")
    assert stale["data"]["object"]["cancel_at_period_end"] is False

    answers = [_deliver(receiver, fresh)]
    _apply_inbox(world)
    answers += [_deliver(receiver, stale), _deliver(receiver, fresh)]  # late, and again
    _apply_inbox(world)
    answers.append(_deliver(receiver, {**created, "id": "evt_created_late"}))  # after updates
    _apply_inbox(world)

    assert answers == [200, 200, 200, 200]
    assert _ledger_subscription(world, record["Ledger_Id__c"]).cancel_at_period_end is True
    changes = [j.diff["cancel_at_period_end"] for j in _rows(world, JournalEntry)
               if j.entity_id == record["Ledger_Id__c"] and j.source == "stripe"
               and "cancel_at_period_end" in j.diff]
    assert changes == [[False, True]]  # applied once; the stale event changed nothing
    inbox = {e.event_id: e.status for e in _rows(world, StripeInboxEvent)}
    assert inbox[stale["id"]] == inbox[fresh["id"]] == InboxStatus.PROCESSED
    world.cycle()
    assert _salesforce(world, record["Id"])["End_Date__c"] is not None  # cancel_at reached SF


def test_a_gap_beyond_the_30_day_event_window_is_reconciled_by_listing(world: World) -> None:
    record = _activate(world)
    world.cycle()
    client = world.stack.stripe.client()
    client.v1.subscriptions.update(record["Stripe_Subscription_Id__c"],
                                   {"cancel_at_period_end": True})
    [first] = client.v1.invoices.list({"subscription": record["Stripe_Subscription_Id__c"]}).data
    [payment] = client.v1.invoice_payments.list({"invoice": first.id}).data
    client.v1.refunds.create({"payment_intent": str(payment.payment.payment_intent),
                              "amount": 900})  # its events expire before the daemon is back
    world.stack.stripe.advance(timedelta(days=20))   # the daemon is down from here
    client.v1.subscriptions.update(record["Stripe_Subscription_Id__c"],
                                   {"cancel_at_period_end": False})
    world.stack.stripe.advance(timedelta(days=25))   # the renewal's events are kept...
    old = client.v1.events.list({"created": {"lt": int(world.clock.now().timestamp())
                                                   - 31 * 86400}})
    assert old.data == []  # ...but the first change's events have expired

    report = world.cycle()

    assert report.events.reconciled > 0
    assert _ledger_subscription(world, record["Ledger_Id__c"]).cancel_at_period_end is False
    assert sorted(i.status for i in _rows(world, Invoice)) == ["paid", "paid"]
    assert sorted((m.kind, m.amount_minor) for m in _rows(world, MoneyEntry)) == [
        ("payment", 49900), ("payment", 49900), ("refund", 900)]
    assert world.cycle().events.reconciled == 0  # the cursor is inside the window again


def test_a_refund_and_a_credit_note_become_money_entries_and_refunded_in_salesforce(
        world: World) -> None:
    record = _activate(world)
    world.cycle()
    client = world.stack.stripe.client()
    [stripe_invoice] = client.v1.invoices.list(
        {"subscription": record["Stripe_Subscription_Id__c"]}).data
    [payment] = client.v1.invoice_payments.list({"invoice": stripe_invoice.id}).data
    refund = client.v1.refunds.create(
        {"payment_intent": str(payment.payment.payment_intent), "amount": 10000})
    note = client.v1.credit_notes.create({"invoice": stripe_invoice.id, "amount": 4900})
    world.clock.advance(timedelta(seconds=1))

    world.cycle()
    world.cycle()  # nothing new: recorded once

    [invoice] = _rows(world, Invoice)
    money = sorted((m.kind, m.amount_minor, m.external_id, m.invoice_id)
                   for m in _rows(world, MoneyEntry))
    assert money == [("credit_note", 4900, note.id, invoice.id),
                     ("payment", 49900, stripe_invoice.id, invoice.id),
                     ("refund", 10000, refund.id, invoice.id)]
    assert _salesforce(world, record["Id"])["Last_Payment_Status__c"] == "Refunded"


def test_the_part_of_a_credit_note_that_refunds_is_taken_back_once(world: World) -> None:
    record = _activate(world)
    world.cycle()
    client = world.stack.stripe.client()
    [stripe_invoice] = client.v1.invoices.list(
        {"subscription": record["Stripe_Subscription_Id__c"]}).data
    note = client.v1.credit_notes.create(
        {"invoice": stripe_invoice.id, "amount": 4900, "refund_amount": 3000})
    [refund] = client.v1.refunds.list({"limit": 10}).data
    world.clock.advance(timedelta(seconds=1))

    world.cycle()

    [invoice] = _rows(world, Invoice)
    money = sorted((m.kind, m.amount_minor, m.external_id, m.invoice_id)
                   for m in _rows(world, MoneyEntry))
    # 3,000 went back as a refund of the charge, 1,900 as credit on the customer's balance
    assert money == [("credit_note", 1900, note.id, invoice.id),
                     ("payment", 49900, stripe_invoice.id, invoice.id),
                     ("refund", 3000, refund.id, invoice.id)]


def test_events_ignored_while_an_activation_was_interrupted_are_applied_after_recovery(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    world.cycle()
    record = next(s for s in world.subscriptions()
                  if s["Product__r"]["ProductCode"] == "PLATFORM-MONTHLY")
    world.activate_interrupted(record["Id"], monkeypatch)
    world.restart()
    world.cycle()  # the events are read before activation recovers: not billed yet, ignored
    assert _rows(world, Invoice) == []

    world.cycle()

    [invoice] = _rows(world, Invoice)
    assert invoice.status == "paid"
    assert [m.kind for m in _rows(world, MoneyEntry)] == ["payment"]


def test_a_customer_renamed_in_stripe_is_renamed_in_the_ledger(world: World) -> None:
    record = _activate(world)
    world.stack.stripe.client().v1.customers.update(record["Stripe_Customer_Id__c"],
                                                    {"name": "Acme Robotics GmbH"})

    world.cycle()

    [customer] = _rows(world, Customer)
    assert customer.name == "Acme Robotics GmbH"


def _renewal(world: World) -> Invoice:
    return max(_rows(world, Invoice), key=lambda i: i.period_end)


def test_a_renewal_invoice_is_followed_from_draft_to_open_to_void(world: World) -> None:
    record = _activate(world)
    world.cycle()
    world.stack.stripe.fail_payments_for(record["Stripe_Customer_Id__c"])
    period_end = _rows(world, Subscription)
    ends = [s.current_period_end for s in period_end if s.id == record["Ledger_Id__c"]]
    world.stack.stripe.advance(ends[0] - world.clock.now())
    world.cycle()
    assert _renewal(world).status == "draft"

    world.stack.stripe.advance(timedelta(hours=2))
    world.cycle()
    opened = _renewal(world)
    assert (opened.status, opened.amount_remaining_minor) == ("open", 49900)

    stripe_id = world.stack.stripe.objects("invoice")[-1]["id"]
    world.stack.stripe.client().v1.invoices.void_invoice(stripe_id)
    world.cycle()
    assert _renewal(world).status == "void"


def test_an_invoice_marked_uncollectible_is_uncollectible_in_the_ledger(world: World) -> None:
    record = _activate(world)
    world.cycle()
    world.stack.stripe.fail_payments_for(record["Stripe_Customer_Id__c"])
    world.stack.stripe.advance(timedelta(days=31))
    world.cycle()

    stripe_id = world.stack.stripe.objects("invoice")[-1]["id"]
    world.stack.stripe.client().v1.invoices.mark_uncollectible(stripe_id)
    world.cycle()

    assert _renewal(world).status == "uncollectible"
    assert _salesforce(world, record["Id"])["Last_Payment_Status__c"] == "Failed"


def test_status_shows_the_stripe_inbox_by_state(world: World,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    _activate(world)
    world.cycle()

    assert main(["status", "--config", str(world.folder / "config.toml")]) == 0

    inbox = next(line for line in capsys.readouterr().out.splitlines()
                 if line.startswith("stripe inbox:"))
    assert "processed:" in inbox
