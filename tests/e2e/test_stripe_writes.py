"""Activation's Stripe writes: conflicts and archived prices become clear dead letters."""

from __future__ import annotations

from sqlalchemy import select

from connector.ledger.models import DeadLetter, OutboxOperation
from e2e.world import World


def _by_code(world: World, code: str) -> dict[str, object]:
    return next(s for s in world.subscriptions() if s["Product__r"]["ProductCode"] == code)


def _dead_letters(world: World) -> list[DeadLetter]:
    with world.engine.sessions() as session:
        return list(session.scalars(select(DeadLetter)))


def test_an_idempotency_conflict_is_dead_lettered_and_not_retried(world: World) -> None:
    world.cycle()
    record = _by_code(world, "PLATFORM-MONTHLY")
    client = world.stack.stripe.client()
    other = client.v1.customers.create({"name": "Someone else"})
    client.v1.subscriptions.create(  # another writer took our key with other parameters
        {"customer": other.id, "items": [{"price": world.prices["SUPPORT-PREMIUM"]}]},
        options={"idempotency_key": f"subscription:{record['Ledger_Id__c']}"})
    world.set_status(str(record["Id"]), "Active")
    world.stack.stripe.reset_counters()

    report = world.cycle()
    world.cycle()

    assert report.activated.dead_letters == 1
    assert world.stack.stripe.request_count("POST", "/v1/subscriptions") == 1
    [letter] = _dead_letters(world)
    assert letter.error_code == "idempotency_error"
    with world.engine.sessions() as session:
        op = session.scalars(select(OutboxOperation).where(
            OutboxOperation.operation == "activate_subscription")).one()
    assert (op.status, op.attempts) == ("dead", 1)
    assert "idempotency" in str(_by_code(world, "PLATFORM-MONTHLY")["Sync_Error__c"]).lower()


def test_an_archived_price_is_a_price_inactive_dead_letter(world: World) -> None:
    world.cycle()
    world.stack.stripe.client().v1.prices.update(world.prices["PLATFORM-MONTHLY"],
                                                 {"active": False})
    world.set_status(str(_by_code(world, "PLATFORM-MONTHLY")["Id"]), "Active")

    world.cycle()

    [letter] = _dead_letters(world)
    assert letter.error_code == "PRICE_INACTIVE"
    assert "archived" in letter.reason
    assert "PLATFORM-MONTHLY" in str(_by_code(world, "PLATFORM-MONTHLY")["Sync_Error__c"])
