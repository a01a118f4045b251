"""``import stripe`` killed with SIGKILL at a page boundary resumes and ends with the same
ledger as an import that was never interrupted.

The Stripe account holds 150 customers (two pages of 100) with subscriptions, invoices, a
refund and a credit note. ``daemon.py import stripe`` runs in a subprocess armed at
``import.page_committed`` (the first page and its cursor committed) or
``import.page_applying`` (the second page applied, its transaction still open); after
``kill -9`` the ledger holds exactly the committed pages, a second run resumes from the
cursor, and the result equals a clean import into a second ledger.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from connector.inbound.stripe.importer import ImportCursor, stream
from connector.ledger.database import make_engine, session_factory
from connector.ledger.models import (
    Cursor,
    Customer,
    JournalEntry,
    Link,
    MoneyEntry,
    Subscription,
    SubscriptionItem,
)
from connector.ledger.stripe_import import ImportedObject
from e2e.crash.harness import CrashWorld

CUSTOMERS = 150
SUBSCRIBED = 4


@pytest.fixture
def crash(tmp_path: Path) -> Iterator[CrashWorld]:
    world = CrashWorld.start(tmp_path)
    try:
        _stripe_history(world)
        yield world
    finally:
        world.stop()


def _stripe_history(world: CrashWorld) -> None:
    client = world.stack.stripe.client()
    price = client.v1.prices.list({"lookup_keys": ["PLATFORM-MONTHLY"]}).data[0].id
    customers = [client.v1.customers.create({"name": f"Customer {n}",
                                             "email": f"c{n}@example.com"})
                 for n in range(CUSTOMERS)]
    for customer in customers[:SUBSCRIBED]:
        client.v1.subscriptions.create({"customer": customer.id,
                                        "items": [{"price": price, "quantity": 2}]})
    invoice = client.v1.invoices.list({"limit": 1}).data[0]
    [payment] = client.v1.invoice_payments.list({"invoice": invoice.id}).data
    intent = client.v1.payment_intents.retrieve(str(payment.payment.payment_intent))
    client.v1.refunds.create({"charge": str(intent.latest_charge), "amount": 700})
    client.v1.credit_notes.create({"invoice": invoice.id, "amount": 300})


def _snapshot(session: Session) -> dict[str, Any]:
    """The ledger's business content, by Stripe ids (ledger ids are random per ledger)."""
    stripe_of = {(link.entity_type, link.entity_id): link.external_id
                 for link in session.scalars(select(Link).where(Link.system == "stripe"))}
    customers = sorted((stripe_of[("customer", c.id)], c.email, c.account_id is None)
                       for c in session.scalars(select(Customer)))
    subscriptions = sorted((stripe_of[("subscription", s.id)], s.status, s.mrr_minor,
                            stripe_of[("customer", s.customer_id or "")])
                           for s in session.scalars(select(Subscription)))
    items = sorted((stripe_of[("subscription_item", i.id)], i.quantity, i.unit_amount_minor)
                   for i in session.scalars(select(SubscriptionItem)))
    money = sorted((m.kind, m.external_id, m.amount_minor, m.currency)
                   for m in session.scalars(select(MoneyEntry)))
    journal = {kind: count for kind, count in session.execute(
        select(JournalEntry.entity_type, func.count()).group_by(JournalEntry.entity_type))}
    imported = session.scalar(select(func.count()).select_from(ImportedObject))
    return {"customers": customers, "subscriptions": subscriptions, "items": items,
            "money": money, "journal": journal, "imported": imported,
            "links": sorted(stripe_of.values())}


@contextmanager
def _ledger(path: Path) -> Iterator[Session]:
    engine = make_engine(f"sqlite:///{path}")
    try:
        with session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


def _clean_import(world: CrashWorld) -> dict[str, Any]:
    """The same import into a second ledger, never interrupted."""
    folder = world.folder / "clean"
    folder.mkdir()
    config = folder / "config.toml"
    config.write_text(world.config.read_text(encoding="utf-8").replace(
        str(world.folder / "ledger.db"), str(folder / "ledger.db")), encoding="utf-8")
    clean = CrashWorld(world.stack, world.org, folder, config, world.environment,
                       world.webhook_url, world.older_events)
    clean.daemon("import", "stripe").finish()
    with _ledger(folder / "ledger.db") as session:
        return _snapshot(session)


KILLS = [
    ("import.page_committed@1", 100),   # the first page of customers and its cursor
    ("import.page_applying@2", 100),    # the second page applied, not committed
]
"""Where the import is killed, and how many customers the ledger then holds."""


@pytest.mark.parametrize(("point", "committed"), KILLS)
def test_an_import_killed_at_a_page_boundary_resumes_to_the_same_ledger(
        crash: CrashWorld, point: str, committed: int) -> None:
    run = crash.daemon("import", "stripe", crashpoint=point)
    try:
        run.wait_for(f"crashpoint reached: {point.partition('@')[0]}")
    finally:
        run.kill9()

    with crash.ledger() as session:
        assert session.scalar(select(func.count()).select_from(Customer)) == committed
        cursor = ImportCursor.loads(session.get_one(Cursor, stream("customer")).value)
        assert cursor is not None
        assert (cursor.done, cursor.after is not None) == (False, True)
        assert session.get(Cursor, stream("subscription")) is None

    logs = crash.daemon("import", "stripe").finish()

    assert "resumed=True" in logs or '"resumed": true' in logs
    with crash.ledger() as session:
        resumed = _snapshot(session)
    assert len(resumed["customers"]) == CUSTOMERS
    assert len(resumed["subscriptions"]) == SUBSCRIBED
    assert {kind for kind, *_ in resumed["money"]} == {"payment", "refund", "credit_note"}
    assert resumed == _clean_import(crash)
