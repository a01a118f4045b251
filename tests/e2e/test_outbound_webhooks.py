"""Outbound webhooks end to end: facts learned against the emulators reach a receiver that
verifies them with the ``standardwebhooks`` library."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from webhook_receiver import SECRET, Receiver

from connector.config import load_config
from connector.retry import NO_WAIT
from connector.secrets import Secrets
from connector.sync.wiring import build_engine
from e2e.world import World, start

CSM = "dana.whitfield@example.com"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


def _subscribe(world: World, receiver: Receiver) -> None:
    """Give the world's daemon two endpoints: one for everything, one for activations."""
    path = world.folder / "config.toml"
    path.write_text(path.read_text(encoding="utf-8") + (
        f'\n[[webhooks.endpoints]]\nurl = "{receiver.url("all")}"\nevents = ["*"]\n'
        f'description = "the data warehouse"\n'
        f'\n[[webhooks.endpoints]]\nurl = "{receiver.url("activations")}"\n'
        f'events = ["subscription.activated"]\n'), encoding="utf-8")
    secrets = Secrets({**world.stack.environment(), "OUTBOUND_WEBHOOK_SECRET": SECRET})
    world.engine = build_engine(load_config(path), secrets, world.clock, retry=NO_WAIT)


def test_an_activation_reaches_the_receiver_as_a_verified_subscription_activated(
        world: World, receiver: Receiver) -> None:
    _subscribe(world, receiver)

    world.cycle()
    potential = [r.payload for r in receiver.of("all")]
    assert potential
    assert {p["type"] for p in potential} == {"subscription.potential_created"}
    assert all(p["data"]["status"] == "potential" for p in potential)
    assert receiver.of("activations") == []

    acme = [s for s in world.subscriptions() if s["Account__c"] == world.org.accounts["acme"]]
    for sub in acme:
        world.set_status(sub["Id"], "Active", CSM)
    report = world.cycle()

    assert receiver.rejected == []
    activated = [r.payload for r in receiver.of("activations")]
    assert len(activated) == len(report.activated.subscriptions) == 2
    assert {a["data"]["stripe_subscription_id"] for a in activated} == set(
        report.activated.subscriptions)
    assert {a["data"]["salesforce_id"] for a in activated} <= {s["Id"] for s in acme}
    assert all(a["type"] == "subscription.activated" and a["data"]["status"] == "active"
               for a in activated)
    assert [r.payload["type"] for r in receiver.of("all")].count("subscription.activated") == 2

    before = len(receiver.received)
    world.cycle()
    again = [r.payload["type"] for r in receiver.received[before:]]
    assert "subscription.activated" not in again
    assert "subscription.potential_created" not in again
    paid = [r.payload["data"] for r in receiver.of("all") if r.payload["type"] == "invoice.paid"]
    assert len(paid) == 1  # the monthly plan is billed at once; the seats start later
    assert paid[0]["amount_minor"] > 0
    assert paid[0]["currency"] == "usd"
    assert paid[0]["stripe_invoice_id"].startswith("in_")


def _activate(world: World, code: str) -> dict[str, Any]:
    world.cycle()
    [record] = [s for s in world.subscriptions() if s["Product__r"]["ProductCode"] == code]
    world.set_status(record["Id"], "Active")
    world.cycle()
    world.cycle()
    return record


def _types(receiver: Receiver, since: int = 0) -> list[str]:
    return [r.payload["type"] for r in receiver.of("all")[since:]]


def test_stripe_facts_reach_the_receiver_once_each(world: World, receiver: Receiver) -> None:
    _subscribe(world, receiver)
    record = _activate(world, "PLATFORM-MONTHLY")
    [stripe_id] = [s["id"] for s in world.stack.stripe.objects("subscription")]
    customer = world.stack.stripe.objects("subscription")[0]["customer"]
    world.stack.stripe.fail_payments_for(customer)
    before = len(receiver.of("all"))

    world.stack.stripe.advance(timedelta(days=31))
    world.cycle()
    world.cycle()

    assert receiver.rejected == []
    failed = [r.payload["data"] for r in receiver.of("all")[before:]
              if r.payload["type"] == "invoice.payment_failed"]
    assert len(failed) == 1
    assert failed[0]["attempt"] == 1
    assert failed[0]["hosted_invoice_url"]
    updated = [r.payload["data"] for r in receiver.of("all")[before:]
               if r.payload["type"] == "subscription.updated"]
    assert [u["status"] for u in updated][-1] == "past_due"
    assert any(u["changes"].get("status") == ["active", "past_due"] for u in updated)
    assert all(u["salesforce_id"] == record["Id"] for u in updated)

    before = len(receiver.of("all"))
    world.stack.stripe.client().v1.subscriptions.cancel(stripe_id)
    world.clock.advance(timedelta(seconds=1))
    world.cycle()
    world.cycle()

    canceled = [r.payload["data"] for r in receiver.of("all")[before:]
                if r.payload["type"] == "subscription.canceled"]
    assert len(canceled) == 1
    assert canceled[0]["stripe_subscription_id"] == stripe_id
    assert canceled[0]["changes"]["status"][1] == "canceled"


def test_licence_facts_reach_the_receiver(tmp_path: Path, receiver: Receiver) -> None:
    world = start(tmp_path, packages=("sfLma",))
    try:
        _subscribe(world, receiver)
        _activate(world, "ANALYTICS-SEAT-ANNUAL")
        licence = world.stack.salesforce.insert("sfLma__License__c", {
            "sfLma__Account__c": world.org.accounts["acme"], "sfLma__Status__c": "Active",
            "sfLma__Seats__c": 25, "sfLma__Used_Licenses__c": 30})
        world.cycle()
        first = [r.payload for r in receiver.of("all") if r.payload["type"].startswith("license")]
        world.stack.salesforce.update("sfLma__License__c", licence, {"sfLma__Seats__c": 40})
        world.clock.advance(timedelta(seconds=1))
        world.cycle()
        world.cycle()
    finally:
        world.stack.stop()

    assert [p["type"] for p in first] == ["license.discrepancy"]
    assert first[0]["data"]["state"] == "opened"
    assert first[0]["data"]["account_id"].startswith("acc-")
    later = [r.payload for r in receiver.of("all") if r.payload["type"].startswith("license")]
    changed = [p["data"] for p in later if p["type"] == "license.changed"]
    assert [(c["seats_before"], c["seats_after"]) for c in changed] == [(25, 40)]
    # the licence now grants 40, but 30 are used of the 25 billed: still open, told once
    assert [p["data"]["state"] for p in later if p["type"] == "license.discrepancy"] == [
        "opened"]
