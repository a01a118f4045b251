"""Outbound webhooks end to end: facts learned against the emulators reach a receiver that
verifies them with the ``standardwebhooks`` library."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from webhook_receiver import SECRET, Receiver

from connector.config import load_config
from connector.retry import NO_WAIT
from connector.secrets import Secrets
from connector.sync.wiring import build_engine
from e2e.world import World

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
