"""A Stripe create interrupted after Stripe answered, retried more than 24 hours later.

Stripe may prune an idempotency key once it is 24 hours old (the emulator does, on its
clock), so the retry must find what the interrupted attempt created by its
``metadata.ledger_id`` instead of relying on the key. Every clock here (the three emulators'
and the daemon's) is one ManualClock, so "25 hours later" holds for all of them. The kill -9
versions of these crashes are in ``test_kill9.py``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from connector.ledger.models import Customer, Link, Subscription
from e2e.world import World

LATER = timedelta(hours=25)


def _by_code(world: World) -> dict[str, dict[str, Any]]:
    return {r["Product__r"]["ProductCode"]: r for r in world.subscriptions()}


def _stripe(world: World, kind: str) -> list[dict[str, Any]]:
    return world.stack.stripe.objects(kind)


def _ledger_stripe_ids(world: World, entity_type: str) -> list[str]:
    with world.engine.sessions() as session:
        return list(session.scalars(select(Link.external_id).where(
            Link.entity_type == entity_type, Link.system == "stripe")))


@pytest.mark.parametrize("at", ["_record_customer", "_record_activation"])
def test_a_crash_after_stripe_answered_and_25_hours_leave_one_customer_and_one_subscription(
        world: World, monkeypatch: pytest.MonkeyPatch, at: str) -> None:
    world.cycle()
    platform = _by_code(world)["PLATFORM-MONTHLY"]
    world.activate_interrupted(platform["Id"], monkeypatch, at=at)
    assert len(_stripe(world, "customer")) == 1  # Stripe did create it
    world.stack.stripe.advance(LATER)  # every clock: the idempotency keys are gone
    world.restart()

    world.cycle()

    [customer] = _stripe(world, "customer")
    [subscription] = _stripe(world, "subscription")
    assert subscription["customer"] == customer["id"]
    after = _by_code(world)["PLATFORM-MONTHLY"]
    assert (after["Stripe_Customer_Id__c"], after["Stripe_Subscription_Id__c"]) == (
        customer["id"], subscription["id"])
    assert _ledger_stripe_ids(world, "customer") == [customer["id"]]
    assert _ledger_stripe_ids(world, "subscription") == [subscription["id"]]
    assert subscription["metadata"]["ledger_id"] == after["Ledger_Id__c"]
    with world.engine.sessions() as session:
        [account_id] = session.scalars(select(Customer.account_id)).all()
    assert customer["metadata"]["ledger_id"] == account_id


def test_another_subscription_of_the_account_finds_the_customer_an_interrupted_one_made(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    world.cycle()
    by_code = _by_code(world)
    world.activate_interrupted(by_code["PLATFORM-MONTHLY"]["Id"], monkeypatch,
                               at="_record_customer")
    client = world.stack.stripe.client()
    client.v1.prices.update(world.prices["PLATFORM-MONTHLY"], {"active": False})
    world.restart()
    world.cycle()  # the interrupted activation is dead-lettered now: its price is archived
    assert _ledger_stripe_ids(world, "customer") == []
    world.stack.stripe.advance(LATER)

    world.set_status(by_code["ANALYTICS-SEAT-ANNUAL"]["Id"], "Active")  # same account
    world.cycle()

    [customer] = _stripe(world, "customer")
    [subscription] = _stripe(world, "subscription")
    assert subscription["customer"] == customer["id"]
    assert _by_code(world)["ANALYTICS-SEAT-ANNUAL"]["Stripe_Customer_Id__c"] == customer["id"]
    assert _ledger_stripe_ids(world, "customer") == [customer["id"]]


def test_an_uninterrupted_activation_looks_nothing_up(world: World) -> None:
    world.cycle()
    by_code = _by_code(world)
    world.set_status(by_code["PLATFORM-MONTHLY"]["Id"], "Active")
    world.set_status(by_code["ANALYTICS-SEAT-ANNUAL"]["Id"], "Active")  # same account
    log = world.stack.stripe.request_log
    before = len(log)

    world.cycle()

    calls = [(r.method, r.path) for r in world.stack.stripe.request_log[before:]]
    assert calls.count(("POST", "/v1/customers")) == 1
    assert calls.count(("POST", "/v1/subscriptions")) == 2
    assert ("GET", "/v1/customers") not in calls
    assert ("GET", "/v1/subscriptions") not in calls
    with world.engine.sessions() as session:
        assert len(session.scalars(select(Customer)).all()) == 1
        assert len(session.scalars(select(Subscription)).all()) == 4
