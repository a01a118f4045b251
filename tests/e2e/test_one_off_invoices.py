"""One-off invoices (billing no subscription) after ``import stripe``: the event flow applies
them to the ledger, their money counts in revenue, and Salesforce hears nothing of them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
import stripe
from sqlalchemy import select
from sqlalchemy.orm import Session
from webhook_receiver import SECRET, Receiver

from connector.config import load_config
from connector.ledger import stripe_inbox
from connector.ledger.models import (
    Customer,
    DeadLetter,
    Invoice,
    Link,
    MoneyEntry,
    OutboxOperation,
    Subscription,
    System,
)
from connector.ledger.stripe_inbox import StripeEventRecord
from connector.reports.period import ReportQuery
from connector.reports.revenue import revenue_by_month
from connector.retry import NO_WAIT
from connector.secrets import Secrets
from connector.sync.wiring import build_engine
from e2e.notices import BILLING, activate, configure, mails, quiet
from e2e.stripe_history import (
    History,
    collected,
    importer,
    one_off_invoice,
    refund_part,
    seed_history,
)
from e2e.world import World


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def _subscribe(world: World, receiver: Receiver) -> None:
    path = world.folder / "config.toml"
    path.write_text(path.read_text(encoding="utf-8") + (
        f'\n[[webhooks.endpoints]]\nurl = "{receiver.url("all")}"\nevents = ["*"]\n'),
        encoding="utf-8")
    secrets = Secrets({**world.stack.environment(), "OUTBOUND_WEBHOOK_SECRET": SECRET})
    world.engine = build_engine(load_config(path), secrets, world.clock, retry=NO_WAIT)


def _revenue(world: World) -> dict[str, Decimal]:
    with world.engine.sessions() as session:
        rows = revenue_by_month(session, ReportQuery(now=world.clock.now()))
    totals: dict[str, Decimal] = {}
    for row in rows:
        totals[row["currency"]] = totals.get(row["currency"], Decimal(0)) + Decimal(
            row["revenue"])
    return totals


def _entity(session: Session, object_type: str, stripe_id: str) -> str:
    found = session.scalar(select(Link.entity_id).where(
        Link.system == System.STRIPE, Link.object_type == object_type,
        Link.external_id == stripe_id))
    assert found is not None, f"{object_type} {stripe_id} is not in the ledger"
    return found


def _payment_statuses(session: Session) -> dict[str, str | None]:
    return {s.id: s.last_payment_status for s in session.scalars(select(Subscription))}


def _imported(world: World) -> History:
    history = seed_history(world)
    importer(world).run()
    world.cycle()
    return history


def test_a_one_off_invoice_paid_after_the_import_is_applied_with_its_refund(
        world: World, receiver: Receiver) -> None:
    _subscribe(world, receiver)
    history = _imported(world)
    with world.engine.sessions() as session:
        statuses = _payment_statuses(session)
        writes = len(session.scalars(select(OutboxOperation)).all())
    client = world.stack.stripe.client()
    # the walk-in customer matches no Account: unlinked, but its revenue still counts
    invoice_id = one_off_invoice(client, history.unmatched, 12345)
    refund_part(client, invoice_id, 345)
    world.clock.advance(timedelta(seconds=5))

    world.cycle()

    # its customer's 10.25 credit balance (the seeded credit note) paid part of it
    assert client.v1.invoices.retrieve(invoice_id).amount_paid == 12345 - 1025
    assert _revenue(world) == collected(world) == {
        "usd": Decimal("5578.25") + Decimal("113.20") - Decimal("3.45")}
    with world.engine.sessions() as session:
        invoice = session.get_one(Invoice, _entity(session, "invoice", invoice_id))
        walk_in = session.get_one(Customer, _entity(session, "customer", history.unmatched))
        assert (invoice.customer_id, invoice.subscription_id, invoice.status,
                invoice.amount_paid_minor) == (walk_in.id, None, "paid", 11320)
        money = session.scalars(select(MoneyEntry).where(MoneyEntry.invoice_id == invoice.id))
        assert sorted((m.kind, m.amount_minor, m.subscription_id, m.account_id)
                      for m in money) == [("payment", 11320, None, None),
                                          ("refund", 345, None, None)]
        # no subscription's payment status moved, and nothing was queued for Salesforce
        assert _payment_statuses(session) == statuses
        assert len(session.scalars(select(OutboxOperation)).all()) == writes
        assert session.scalars(select(DeadLetter)).all() == []
    world.cycle()  # the outbound webhooks go out
    paid = [r.payload["data"] for r in receiver.of("all") if r.payload["type"] == "invoice.paid"]
    assert [(d["stripe_invoice_id"], d["subscription_id"], d["amount_minor"]) for d in paid] == [
        (invoice_id, None, 11320)]
    assert receiver.rejected == []


def test_a_failed_then_voided_one_off_invoice_is_no_revenue_and_is_announced(
        world: World, receiver: Receiver) -> None:
    _subscribe(world, receiver)
    history = _imported(world)
    client = world.stack.stripe.client()
    world.stack.stripe.fail_payments_for(history.by_metadata)
    invoice = client.v1.invoices.create({"customer": history.by_metadata})
    client.v1.invoice_items.create({"customer": history.by_metadata, "invoice": str(invoice.id),
                                    "amount": 9900, "currency": "usd"})
    client.v1.invoices.finalize_invoice(str(invoice.id))
    with pytest.raises(stripe.CardError):
        client.v1.invoices.pay(str(invoice.id))
    client.v1.invoices.void_invoice(str(invoice.id))
    world.clock.advance(timedelta(seconds=5))

    world.cycle()
    world.cycle()

    assert _revenue(world) == collected(world)
    with world.engine.sessions() as session:
        row = session.get_one(Invoice, _entity(session, "invoice", str(invoice.id)))
        acme = session.get_one(Customer, _entity(session, "customer", history.by_metadata))
        assert (row.status, row.subscription_id, row.customer_id) == ("void", None, acme.id)
        kinds = [(m.kind, m.amount_minor, m.account_id) for m in session.scalars(
            select(MoneyEntry).where(MoneyEntry.invoice_id == row.id))]
        assert kinds == [("failed_payment", 9900, acme.account_id)]
    failed = [r.payload["data"] for r in receiver.of("all")
              if r.payload["type"] == "invoice.payment_failed"]
    assert [(d["stripe_invoice_id"], d["subscription_id"], d["account_id"], d["attempt"])
            for d in failed] == [(str(invoice.id), None, acme.account_id, 1)]


def test_a_one_off_invoice_of_a_customer_the_ledger_does_not_know_is_ignored(
        world: World) -> None:
    _imported(world)
    client = world.stack.stripe.client()
    stranger = client.v1.customers.create({"name": "Stranger"})  # after the import
    invoice_id = one_off_invoice(client, str(stranger.id), 5000)
    world.clock.advance(timedelta(seconds=5))

    world.cycle()

    with world.engine.sessions() as session:
        assert session.scalar(select(Link.entity_id).where(
            Link.object_type == "invoice", Link.external_id == invoice_id)) is None
    assert _revenue(world) == {"usd": collected(world)["usd"] - Decimal("50.00")}


def test_a_one_off_invoice_of_a_customer_the_daemon_created_is_revenue_and_confirmed(
        world: World) -> None:
    configure(world)
    record = activate(world)  # the daemon's own Stripe customer for Acme, no import
    with world.engine.sessions() as session:
        statuses = _payment_statuses(session)
    sent = len(world.stack.smtp.messages)
    client = world.stack.stripe.client()

    invoice_id = one_off_invoice(client, record["Stripe_Customer_Id__c"], 25000)
    world.clock.advance(timedelta(seconds=5))
    world.cycle()

    assert _revenue(world) == collected(world)
    number = client.v1.invoices.retrieve(invoice_id).number
    assert [m.subject for m in mails(world, BILLING, sent)] == [
        f"Payment received: 250.00 USD for invoice {number}"]
    with world.engine.sessions() as session:
        row = session.get_one(Invoice, _entity(session, "invoice", invoice_id))
        assert row.subscription_id is None
        assert row.customer_id == _entity(session, "customer", record["Stripe_Customer_Id__c"])
        assert _payment_statuses(session) == statuses
    after = len(world.stack.smtp.messages)
    quiet(world)
    assert len(world.stack.smtp.messages) == after


def test_a_refund_whose_invoice_was_never_delivered_brings_the_invoice_with_it(
        world: World) -> None:
    history = _imported(world)
    client = world.stack.stripe.client()
    invoice_id = one_off_invoice(client, history.unmatched, 5000)
    refund_part(client, invoice_id, 700)
    [refunded] = [e for e in world.stack.stripe.objects("event")
                  if e["type"] == "charge.refunded"][-1:]
    # only the refund's event reaches the inbox: the invoice's own events never arrive
    stripe_inbox.store_committed(world.engine.sessions, StripeEventRecord.parse(refunded),
                                 world.clock.now())

    world.engine.run_stripe_cycle(list_events=False)

    with world.engine.sessions() as session:
        ledger_id = _entity(session, "invoice", invoice_id)
        money = sorted((m.kind, m.amount_minor) for m in session.scalars(
            select(MoneyEntry).where(MoneyEntry.invoice_id == ledger_id)))
    paid = client.v1.invoices.retrieve(invoice_id).amount_paid
    assert money == [("payment", paid), ("refund", 700)]
