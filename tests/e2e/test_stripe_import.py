"""``import stripe``: a Stripe account's history into the ledger, once, and kept current."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.config import load_config
from connector.errors import ValidationRejectedError
from connector.inbound.stripe import imported
from connector.ledger.models import (
    Account,
    Conflict,
    Customer,
    DeadLetter,
    Invoice,
    JournalEntry,
    Link,
    MoneyEntry,
    OutboxOperation,
    Subscription,
    SubscriptionItem,
    System,
)
from connector.ledger.stripe_import import ImportedObject
from connector.ledger.webhook_deliveries import WebhookEvent
from connector.reports.period import ReportQuery
from connector.reports.reconciliation import reconciliation
from connector.reports.revenue import revenue_by_month
from connector.retry import NO_WAIT
from connector.secrets import Secrets
from connector.sync.wiring import build_engine
from e2e.stripe_history import collected, importer, seed_history
from e2e.world import World

HOOK_SECRET = "whsec_" + "c2VjcmV0LWZvci10aGUtaW1wb3J0LXRlc3Q="
TABLES = (Customer, Subscription, SubscriptionItem, Invoice, MoneyEntry, Link, Account,
          ImportedObject, JournalEntry, OutboxOperation)


def _counts(session: Session) -> dict[str, int]:
    return {table.__tablename__: int(session.scalar(select(func.count()).select_from(table))
                                     or 0) for table in TABLES}


def _revenue(world: World) -> dict[str, Decimal]:
    with world.engine.sessions() as session:
        rows = revenue_by_month(session, ReportQuery(now=world.clock.now()))
    totals: dict[str, Decimal] = {}
    for row in rows:
        totals[row["currency"]] = totals.get(row["currency"], Decimal(0)) + Decimal(
            row["revenue"])
    return totals


def _ledger_customer(session: Session, stripe_id: str) -> Customer:
    ledger_id = session.scalar(select(Link.entity_id).where(
        Link.system == System.STRIPE, Link.object_type == "customer",
        Link.external_id == stripe_id))
    return session.get_one(Customer, ledger_id)


def _account_of(session: Session, salesforce_id: str) -> str | None:
    return session.scalar(select(Link.entity_id).where(
        Link.system == System.SALESFORCE, Link.object_type == "Account",
        Link.external_id == salesforce_id))


def _subscription(session: Session, stripe_id: str) -> Subscription:
    ledger_id = session.scalar(select(Link.entity_id).where(
        Link.system == System.STRIPE, Link.object_type == "subscription",
        Link.external_id == stripe_id))
    return session.get_one(Subscription, ledger_id)


def test_the_import_books_all_of_stripes_revenue_matches_accounts_and_is_idempotent(
        world: World) -> None:
    history = seed_history(world)
    world.cycle()  # the running daemon hears of them first, and ignores them: unlinked
    assert _revenue(world) == {}
    world.stack.stripe.reset_counters()

    result = importer(world).run()

    assert _revenue(world) == collected(world)
    # two months of 2 x 499.00, 1200.00 and 499.00, less a 15.50 refund and a 10.25 credit;
    # and the one-off invoice's 250.00 less its 40.00 refund
    assert collected(world) == {"usd": Decimal("5578.25")}
    stripe_calls = world.stack.stripe.request_log
    # one page per kind, and each refunded charge with its invoice payment: 9 calls
    charges = [("GET", f"/v1/charges/{c}") for c in _charges(stripe_calls)]
    assert [(m, p) for m, p, _ in stripe_calls] == [
        ("GET", "/v1/customers"), ("GET", "/v1/subscriptions"), ("GET", "/v1/invoices"),
        ("GET", "/v1/refunds"), charges[0], ("GET", "/v1/invoice_payments"),
        charges[1], ("GET", "/v1/invoice_payments"), ("GET", "/v1/credit_notes")]
    assert {k: (c.pages, c.listed, c.dead_letters) for k, c in result.kinds.items()} == {
        "customer": (1, 3, 0), "subscription": (1, 3, 0), "invoice": (1, 7, 0),
        "refund": (1, 2, 0), "credit_note": (1, 1, 0)}
    with world.engine.sessions() as session:
        acme = _ledger_customer(session, history.by_metadata)
        hooli = _ledger_customer(session, history.by_email)
        walk_in = _ledger_customer(session, history.unmatched)
        assert acme.account_id == _account_of(session, world.org.accounts["acme"])
        assert hooli.account_id == _account_of(session, history.hooli) is not None
        assert walk_in.account_id is None
        walk_in_sub = _subscription(session, history.subscriptions[history.unmatched])
        assert (walk_in_sub.mrr_minor, walk_in_sub.status) == (49900, "active")
        rows = reconciliation(session, ReportQuery(now=world.clock.now()))
        unlinked = {(r["entity"], r["stripe_id"]) for r in rows
                    if r["field"] == "salesforce_account"}
        assert unlinked == {("customer", history.unmatched),
                            ("subscription", history.subscriptions[history.unmatched])}
        # not mirrored, so no Subscription__c is missing for them
        assert not {r["stripe_id"] for r in rows if r["field"] == "salesforce_id"} & set(
            history.subscriptions.values())
        assert not session.scalars(select(OutboxOperation).where(
            OutboxOperation.operation == "upsert:Subscription__c",
            OutboxOperation.entity_id.in_(select(ImportedObject.entity_id)))).all()
        one_off = _invoice(session, history.one_off)
        assert (one_off.customer_id, one_off.subscription_id) == (hooli.id, None)
        assert sorted((m.kind, m.amount_minor, m.subscription_id, m.account_id)
                      for m in _money_of(session, one_off)) == [
            ("payment", 25000, None, hooli.account_id), ("refund", 4000, None, hooli.account_id)]
        assert not [r for r in rows if one_off.id in (r["ledger_id"], r["stripe_id"])
                    or r["stripe_id"] == history.one_off]
        before = _counts(session)

    world.cycle()  # the ignored events are applied now: nothing new
    importer(world).run()  # and a second import finds everything in place

    with world.engine.sessions() as session:
        assert _counts(session) == before
    assert _revenue(world) == collected(world)


def _charges(calls: list[tuple[str, str, int]]) -> list[str]:
    return [p.rsplit("/", 1)[1] for _, p, _ in calls if p.startswith("/v1/charges/")]


def _invoice(session: Session, stripe_id: str) -> Invoice:
    ledger_id = session.scalar(select(Link.entity_id).where(
        Link.system == System.STRIPE, Link.object_type == "invoice",
        Link.external_id == stripe_id))
    return session.get_one(Invoice, ledger_id)


def _money_of(session: Session, invoice: Invoice) -> list[MoneyEntry]:
    return list(session.scalars(select(MoneyEntry).where(MoneyEntry.invoice_id == invoice.id)))


def test_events_after_the_import_are_applied_and_stripe_owns_the_subscription(
        world: World) -> None:
    history = seed_history(world)
    importer(world).run()
    client = world.stack.stripe.client()
    upgraded = history.subscriptions[history.by_email]
    item = client.v1.subscriptions.retrieve(upgraded)["items"]["data"][0]
    client.v1.subscriptions.update(upgraded, {"items": [{"id": item.id, "quantity": 3}],
                                              "proration_behavior": "none"})
    client.v1.subscriptions.cancel(history.subscriptions[history.unmatched])
    world.clock.advance(timedelta(seconds=5))

    world.cycle()

    with world.engine.sessions() as session:
        canceled = _subscription(session, history.subscriptions[history.unmatched])
        assert canceled.status == "canceled"
        grown = _subscription(session, upgraded)
        assert [i.quantity for i in grown.items if i.deleted_at is None] == [3]
        assert grown.mrr_minor == 3 * 120000
        assert session.scalars(select(Conflict)).all() == []  # Stripe owns it: no conflict
        assert session.scalars(select(DeadLetter)).all() == []
        assert session.scalars(select(OutboxOperation).where(  # nor is Salesforce told
            OutboxOperation.entity_id == grown.id)).all() == []


def test_mirror_unlinked_shows_matched_imports_as_subscriptions_in_salesforce(
        world: World) -> None:
    history = seed_history(world)
    importer(world, mirror=True).run()

    world.cycle()  # the outbox delivers the Subscription__c writes

    mirrored = {r["Stripe_Subscription_Id__c"]: r for r in world.subscriptions()
                if r["Stripe_Subscription_Id__c"]}
    acme_sub = history.subscriptions[history.by_metadata]
    hooli_sub = history.subscriptions[history.by_email]
    assert set(mirrored) == {acme_sub, hooli_sub}
    assert mirrored[acme_sub]["Account__c"] == world.org.accounts["acme"]
    assert mirrored[hooli_sub]["Account__c"] == history.hooli
    assert (mirrored[acme_sub]["Status__c"], mirrored[acme_sub]["Quantity__c"]) == ("Active", 2)
    assert mirrored[acme_sub]["Stripe_Customer_Id__c"] == history.by_metadata

    importer(world, mirror=True).run()
    world.cycle()
    assert len([r for r in world.subscriptions() if r["Stripe_Subscription_Id__c"]]) == 2


def test_since_lists_only_newer_objects_and_fetches_what_they_refer_to(world: World) -> None:
    history = seed_history(world)  # everything made at START, renewals 31 days later
    world.stack.stripe.reset_counters()

    result = importer(world).run(since=world.clock.now() - timedelta(days=1))

    counts = {kind: (c.listed, c.applied) for kind, c in result.kinds.items()}
    # the first refund and the credit note are newer, but on the first invoices, which are
    # not: the ledger has no invoice to book them against, so they are left out with them;
    # the one-off invoice is newer, and so is its refund
    assert counts == {"customer": (0, 0), "subscription": (0, 0), "invoice": (4, 4),
                      "refund": (2, 1), "credit_note": (1, 0)}
    fetched = Counter(p.split("/")[2] for _, p, _ in world.stack.stripe.request_log
                      if p.count("/") == 3)
    # the one-off invoice's customer is one the renewals need too: fetched once
    assert fetched == {"subscriptions": 3, "customers": 3, "charges": 2}
    # the renewals: 2 x 499.00, 1200.00 and 499.00; the one-off 250.00 less 40.00
    assert _revenue(world) == {"usd": Decimal("2907.00")}
    with world.engine.sessions() as session:
        assert _ledger_customer(session, history.by_metadata).account_id is not None


def test_an_object_the_ledger_refuses_is_dead_lettered_and_the_page_goes_on(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    history = seed_history(world)
    real = imported.import_customer

    def refuse_walk_in(uow: Any, customer: dict[str, Any], account: Any) -> str:
        if customer["id"] == history.unmatched:
            raise ValidationRejectedError("customer: refused for the test", code="bad_record")
        return real(uow, customer, account)

    monkeypatch.setattr(imported, "import_customer", refuse_walk_in)

    result = importer(world).run()

    assert (result.kinds["customer"].applied, result.kinds["customer"].dead_letters) == (2, 1)
    with world.engine.sessions() as session:
        [letter] = session.scalars(select(DeadLetter)).all()
        assert (letter.source, letter.record_key, letter.error_code) == (
            "stripe.import", history.unmatched, "bad_record")
        assert "refused for the test" in letter.reason
        assert len(session.scalars(select(Customer)).all()) == 2


def test_the_calls_are_one_per_page_of_100(world: World) -> None:
    client = world.stack.stripe.client()
    for n in range(205):
        client.v1.customers.create({"name": f"Signup {n}"})
    world.stack.stripe.reset_counters()
    queries = world.stack.salesforce.request_count("GET", "/services/data/v62.0/query")

    result = importer(world).run()

    assert (result.kinds["customer"].pages, result.kinds["customer"].listed) == (3, 205)
    assert world.stack.stripe.request_count("GET", "/v1/customers") == 3
    assert world.stack.stripe.request_count() == 3 + 4  # and one page of each other kind
    # customers without metadata or email ask Salesforce nothing
    assert world.stack.salesforce.request_count("GET", "/services/data/v62.0/query") == queries


def test_the_import_is_history_for_outbound_webhooks_and_later_changes_are_news(
        world: World) -> None:
    path = world.folder / "config.toml"
    path.write_text(path.read_text(encoding="utf-8") + (
        '\n[[webhooks.endpoints]]\nurl = "http://127.0.0.1:9/hook"\nevents = ["*"]\n'),
        encoding="utf-8")
    secrets = Secrets({**world.stack.environment(), "OUTBOUND_WEBHOOK_SECRET": HOOK_SECRET})
    world.engine = build_engine(load_config(path), secrets, world.clock, retry=NO_WAIT)
    history = seed_history(world)
    world.cycle()
    with world.engine.sessions() as session:
        before = set(session.scalars(select(WebhookEvent.type)))

    importer(world).run()

    with world.engine.sessions() as session:  # no invoice.paid for last year's invoices
        assert set(session.scalars(select(WebhookEvent.type))) == before
    world.stack.stripe.client().v1.subscriptions.cancel(history.subscriptions[history.unmatched])
    world.clock.advance(timedelta(seconds=5))
    world.cycle()
    with world.engine.sessions() as session:
        assert "subscription.canceled" in set(session.scalars(select(WebhookEvent.type)))
