"""The daemon killed with SIGKILL at each step boundary, restarted, and checked.

How: the emulators run in the test process (they outlive the daemon, as Salesforce and
Stripe would); the daemon runs as ``python daemon.py sync --once`` or ``run`` in a
subprocess started with ``CRM_CONNECTOR_CRASHPOINT=NAME[@N]``. At the named boundary (see
``connector/crashpoints.py``; unset, the hook costs one comparison) the daemon writes
``crashpoint reached: NAME pid=PID`` to stderr and blocks; the test sends ``kill -9`` to
that pid, restarts the daemon without the variable, lets its work settle, and asserts
(``agreement.py``): no Subscription__c, Stripe customer or subscription twice, nothing lost
(no outbox operation, inbox event or notification left undone or dead; every webhook that
was acknowledged is in the inbox), and Salesforce, Stripe and the ledger agree record by
record, with one more cycle writing nothing anywhere.

Boundaries: a Salesforce upsert answered, its outbox rows not done; an email accepted by
the relay, not marked sent; activation after Stripe answered the customer create, after it
answered the subscription create (both before the ledger commit; then Stripe's clock moves
25 hours, past its idempotency keys' life), and after the commit before the write-back; a
lifecycle edit (quantity, product) answered by Stripe, not recorded; a webhook committed
to the inbox before its 2xx; an inbox event mid-apply (its transaction open).

Profiles: by default (CI) each boundary is killed once, in about a minute on 2 cores.
``CRASH_SUITE=long`` adds ``test_random_kills``: ``CRASH_RUNS`` runs (default 40) of a random
scenario killed at a random crashpoint and passage (``NAME@1..3``) or after a random delay
without a hook; ``CRASH_SEED`` repeats a sequence (the seed is in the failure message).
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from connector import crashpoints
from connector.ledger.models import Invoice, MoneyEntry, StripeInboxEvent
from e2e.crash.agreement import assert_settled
from e2e.crash.harness import CrashWorld, DaemonRun, until
from e2e.crash.test_import_kill9 import KILLS as IMPORT_KILLS

LONG = os.environ.get("CRASH_SUITE") == "long"
FINISHED = '"event": "sync run finished"'
LATER = timedelta(hours=25)
"""Stripe's clock moves this far while the daemon is down: its idempotency keys expire."""


@dataclass(frozen=True)
class Kill:
    """How the crashing run dies: at ``point`` (its ``hit``-th passage), or after ``delay``
    seconds wherever it is. ``required``: the run must reach the point (CI)."""

    point: str | None = None
    hit: int = 1
    delay: float = 0.0
    required: bool = True

    def armed(self) -> str | None:
        return f"{self.point}@{self.hit}" if self.point else None

    def __str__(self) -> str:
        return f"{self.point}@{self.hit}" if self.point else f"after {self.delay:.2f} s"


@pytest.fixture
def world(tmp_path: Path) -> Iterator[CrashWorld]:
    started = CrashWorld.start(tmp_path)
    try:
        yield started
    finally:
        started.stop()


def _crash(run: DaemonRun, kill: Kill, *, within: float = 60.0) -> bool:
    """Kill ``run`` as ``kill`` says; return whether it was killed (not ended by itself)."""
    if kill.point is None:
        deadline = time.monotonic() + kill.delay
        while time.monotonic() < deadline and run.process.poll() is None:
            time.sleep(0.02)
    else:
        marker = f"{crashpoints.MARKER} {kill.point} pid={run.process.pid}"
        try:
            run.wait_for(marker, within=within)
        except AssertionError:
            if kill.required:
                raise
    if run.process.poll() is not None:
        return False
    run.kill9()
    return True


# --- scenarios: prepare, crash, restart, check ------------------------------------------

def first_sync(world: CrashWorld, kill: Kill) -> None:
    """The first sync: potential subscriptions written to Salesforce, CSM digests sent."""
    _crash(world.daemon("sync", "--once", crashpoint=kill.armed()), kill)

    world.sync_once()

    assert len(world.subscriptions()) == 4
    digests = {m.message["Message-ID"] for m in world.stack.smtp.messages}
    assert len(digests) == 3  # a digest re-sent after the crash keeps its Message-ID
    assert_settled(world)


def activation(world: CrashWorld, kill: Kill) -> None:
    """A CSM activates a subscription; the restart comes 25 hours later on Stripe's clock."""
    world.cycle()
    world.edit("PLATFORM-MONTHLY", Status__c="Active")
    _crash(world.daemon("sync", "--once", crashpoint=kill.armed()), kill)
    if kill.required:  # Stripe answered before the kill
        assert len(world.stack.stripe.objects("customer")) == 1
    world.stack.stripe.advance(LATER)

    world.sync_once()

    [customer] = world.stack.stripe.objects("customer")
    [subscription] = world.stack.stripe.objects("subscription")
    platform = world.by_code()["PLATFORM-MONTHLY"]
    assert (platform["Stripe_Customer_Id__c"], platform["Stripe_Subscription_Id__c"]) == (
        customer["id"], subscription["id"])
    assert_settled(world)


def _lifecycle(change: Callable[[CrashWorld], dict[str, Any]],
               billed: Callable[[dict[str, Any]], object], expected: object,
               ) -> Callable[[CrashWorld, Kill], None]:
    def scenario(world: CrashWorld, kill: Kill) -> None:
        world.cycle()
        world.edit("PLATFORM-MONTHLY", Status__c="Active")
        world.cycle()
        world.cycle()  # reads back the write-back
        world.edit("PLATFORM-MONTHLY", **change(world))
        _crash(world.daemon("sync", "--once", crashpoint=kill.armed()), kill)

        world.sync_once()

        [subscription] = world.stack.stripe.objects("subscription")
        assert billed(subscription["items"]["data"][0]) == expected
        assert_settled(world)
    return scenario


upsell = _lifecycle(lambda world: {"Quantity__c": 5}, lambda item: item["quantity"], 5)
product_change = _lifecycle(
    lambda world: {"Product__c": world.org.products["SUPPORT-PREMIUM"], "Unit_Price__c": 1200},
    lambda item: item["price"]["lookup_key"], "SUPPORT-PREMIUM")


def webhooks(world: CrashWorld, kill: Kill) -> None:
    """``run`` activates a subscription, then Stripe delivers the events that made."""
    world.cycle()
    world.edit("PLATFORM-MONTHLY", Status__c="Active")
    run = world.daemon("run", crashpoint=kill.armed())
    if _first_cycle(run, kill):
        delivery = world.deliver_webhooks()
        _crash(run, kill, within=15.0)
        delivery.join(timeout=30)
    else:
        _crash(run, kill)
    _assert_acknowledged_were_stored(world)
    if kill.required and kill.point == "webhook.stored":  # stored, then killed before 2xx
        assert _stored(world) - world.acknowledged()

    _deliver_all(world)

    assert_settled(world)
    with world.ledger() as session:
        [invoice] = session.scalars(select(Invoice)).all()
        payments = session.scalars(select(MoneyEntry.kind)).all()
    assert (invoice.status, payments) == ("paid", ["payment"])
    assert world.by_code()["PLATFORM-MONTHLY"]["Last_Payment_Status__c"] == "Paid"


def _first_cycle(run: DaemonRun, kill: Kill) -> bool:
    """Wait until ``run`` finished its first cycle (True), or stopped at ``kill``'s point or
    outlived its delay before that (False)."""
    deadline = time.monotonic() + (kill.delay if kill.point is None else 60.0)
    while time.monotonic() < deadline:
        if FINISHED in run.logs():
            return True
        if kill.point is not None and run.reached(kill.point):
            return False
        assert run.process.poll() is None, run.logs()[-4000:]
        time.sleep(0.05)
    assert kill.point is None, f"no first cycle within 60 s:\n{run.logs()[-4000:]}"
    return False


def _deliver_all(world: CrashWorld) -> None:
    """Restart ``run``; Stripe retries until every event is acknowledged; the daemon applies
    them all; then it is stopped with SIGTERM."""
    run = world.daemon("run")
    run.wait_for(FINISHED)
    until(lambda: world.stack.stripe.deliver_pending() >= 0 and world.undelivered() == 0,
          "Stripe's deliveries acknowledged")
    until(lambda: _pending_events(world) == 0, "the inbox applied")
    run.stop()
    _assert_acknowledged_were_stored(world)


def _pending_events(world: CrashWorld) -> int:
    with world.ledger() as session:
        rows = session.scalars(select(StripeInboxEvent.status)).all()
    return sum(1 for status in rows if status == "pending")


def _assert_acknowledged_were_stored(world: CrashWorld) -> None:
    """Every event Stripe saw acknowledged is in the inbox (it was committed first)."""
    acknowledged = world.acknowledged()
    assert acknowledged <= _stored(world), acknowledged - _stored(world)


def _stored(world: CrashWorld) -> set[str]:
    with world.ledger() as session:
        return set(session.scalars(select(StripeInboxEvent.event_id)))


SCENARIOS: dict[str, Callable[[CrashWorld, Kill], None]] = {
    "first_sync": first_sync, "activation": activation, "upsell": upsell,
    "product_change": product_change, "webhooks": webhooks,
}
CI = [
    ("first_sync", "salesforce.write_answered"),
    ("first_sync", "email.accepted"),
    ("activation", "activation.customer_created"),
    ("activation", "activation.subscription_created"),
    ("activation", "activation.committed"),
    ("upsell", "lifecycle.stripe_answered"),
    ("product_change", "lifecycle.stripe_answered"),
    ("webhooks", "webhook.stored"),
    ("webhooks", "inbox.applying"),
]


def test_every_crashpoint_is_killed_in_the_ci_profile() -> None:
    imports = {point.partition("@")[0] for point, _ in IMPORT_KILLS}  # test_import_kill9.py
    assert {point for _, point in CI} | imports == set(crashpoints.POINTS)


@pytest.mark.parametrize(("scenario", "point"), CI, ids=[f"{s}-{p}" for s, p in CI])
def test_a_kill_at_the_boundary_then_a_restart_loses_and_repeats_nothing(
        world: CrashWorld, scenario: str, point: str) -> None:
    SCENARIOS[scenario](world, Kill(point))


@pytest.mark.skipif(not LONG, reason="the long profile: CRASH_SUITE=long")
def test_random_kills(tmp_path: Path) -> None:
    seed = int(os.environ.get("CRASH_SEED") or random.SystemRandom().randrange(2 ** 32))
    rng = random.Random(seed)
    for number in range(int(os.environ.get("CRASH_RUNS") or 40)):
        name = rng.choice(sorted(SCENARIOS))
        kill = (Kill(rng.choice(sorted(crashpoints.POINTS)), rng.randint(1, 3), required=False)
                if rng.random() < 0.7 else Kill(delay=rng.uniform(0.2, 4.0), required=False))
        folder = tmp_path / f"run-{number}"
        folder.mkdir()
        world = CrashWorld.start(folder)
        try:
            SCENARIOS[name](world, kill)
        except AssertionError as failed:
            raise AssertionError(f"CRASH_SEED={seed} run {number}: {name} killed {kill}: "
                                 f"{failed}") from failed
        finally:
            world.stop()
