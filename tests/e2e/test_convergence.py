"""Convergence: whatever CSMs, Stripe's clock, payments and faults do, the systems agree.

Random sequences of CSM edits (quantity, cancel, reactivate), Stripe clock advances
(renewals), failing and recovering payments and injected 503s, interleaved with sync
cycles. Once the faults stop and the daemon has caught up, Salesforce, Stripe and the ledger
agree on status, quantity, price and ids; no customer or subscription exists twice; and one
more cycle writes nothing.

A few examples run in CI; ``HYPOTHESIS_PROFILE=long`` runs many more.
"""

from __future__ import annotations

import json
import os
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from simple_salesforce.exceptions import SalesforceGeneralError
from sqlalchemy import select

from connector.ledger.models import Link, Subscription, SubscriptionItem
from connector.sync.wiring import open_ledger
from e2e.world import World, start

settings.register_profile("ci", max_examples=4, stateful_step_count=12, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=40, stateful_step_count=25, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])

CODES = ("PLATFORM-MONTHLY", "SUPPORT-PREMIUM")
SHOWN = {"active": "Active", "trialing": "Trialing", "past_due": "Past Due",
         "unpaid": "Past Due", "paused": "Past Due", "canceled": "Canceled",
         "incomplete_expired": "Expired", "incomplete": "Potential"}
QUERY = ("SELECT Id, Status__c, Quantity__c, Product__r.ProductCode, Ledger_Id__c, "
         "Stripe_Subscription_Id__c, Stripe_Customer_Id__c FROM Subscription__c "
         "WHERE Stripe_Subscription_Id__c != null")
WRITES = ("POST", "PATCH", "DELETE")
QUIESCENCE = 12


class Lifecycle(RuleBasedStateMachine):
    """Two activated subscriptions, poked at from every side."""

    def __init__(self) -> None:
        super().__init__()
        self._folder = tempfile.TemporaryDirectory()
        self.world: World = start(Path(self._folder.name))
        self.world.cycle()
        by_code = _by_code(self.world, "SELECT Id, Product__r.ProductCode FROM Subscription__c")
        for code in CODES:
            self.world.set_status(by_code[code]["Id"], "Active")
        self.world.cycle()
        self.world.cycle()
        self.ids = {code: _by_code(self.world)[code]["Id"] for code in CODES}
        self.customers = {code: _by_code(self.world)[code]["Stripe_Customer_Id__c"]
                          for code in CODES}

    def teardown(self) -> None:
        """Stop the emulators."""
        self.world.stack.stop()
        self._folder.cleanup()

    @rule(code=st.sampled_from(CODES), quantity=st.integers(1, 6))
    def csm_sets_quantity(self, code: str, quantity: int) -> None:
        """A CSM upsells or downgrades."""
        self._edit(code, {"Quantity__c": quantity})

    @rule(code=st.sampled_from(CODES))
    def csm_cancels(self, code: str) -> None:
        """A CSM cancels at the end of the term."""
        self._edit(code, {"Status__c": "Canceled"})

    @rule(code=st.sampled_from(CODES))
    def csm_reactivates(self, code: str) -> None:
        """A CSM sets the subscription Active again."""
        self._edit(code, {"Status__c": "Active"})

    @rule(days=st.sampled_from([1, 5, 16, 31]))
    def stripe_time_passes(self, days: int) -> None:
        """Renewals, retries and scheduled cancellations come due."""
        self.world.stack.stripe.advance(timedelta(days=days))

    @rule(code=st.sampled_from(CODES), failing=st.booleans())
    def payments_fail_or_recover(self, code: str, failing: bool) -> None:
        """The customer's card starts or stops declining."""
        self.world.stack.stripe.fail_payments_for(self.customers[code], failing)

    @rule(count=st.integers(1, 4))
    def salesforce_fails(self, count: int) -> None:
        """The next Salesforce requests answer 503."""
        self.world.stack.salesforce.faults.fail_next(count, 503)

    @rule(count=st.integers(1, 4))
    def stripe_fails(self, count: int) -> None:
        """The next Stripe requests answer 503."""
        self.world.stack.stripe.faults.fail_next(count, 503)

    @rule()
    def sync(self) -> None:
        """One daemon cycle."""
        self.world.cycle()

    @invariant()
    def nothing_twice(self) -> None:
        """No customer or subscription is ever created twice."""
        stripe = self.world.stack.stripe
        assert len(stripe.objects("customer")) == len(set(self.customers.values()))
        ledger_ids = [s["metadata"]["ledger_id"] for s in stripe.objects("subscription")]
        assert len(ledger_ids) == len(set(ledger_ids)) == len(CODES)

    def check_agreement(self) -> None:
        """After quiescence the three systems agree, and one more cycle writes nothing."""
        _quiesce(self.world)
        records = {r["Ledger_Id__c"]: r for r in self.world.admin().query_all(QUERY)["records"]}
        stripe = {s["id"]: s for s in self.world.stack.stripe.objects("subscription")}
        for ledger in _ledger(self.world):
            record, sub = records[ledger["id"]], stripe[ledger["stripe_id"]]
            item = sub["items"]["data"][0]
            shown = ("Canceled" if sub["cancel_at_period_end"] and sub["status"] in (
                "active", "trialing", "past_due") else SHOWN[sub["status"]])
            assert record["Stripe_Subscription_Id__c"] == ledger["stripe_id"]
            assert record["Status__c"] == shown, (record, sub["status"])
            assert record["Quantity__c"] == item["quantity"] == ledger["quantity"], record
            assert record["Product__r"]["ProductCode"] == item["price"]["lookup_key"]
        self.world.stack.salesforce.reset_counters()
        self.world.stack.stripe.reset_counters()
        self.world.cycle()
        assert _salesforce_writes(self.world) == 0
        assert sum(self.world.stack.stripe.request_count(method=m)
                   for m in ("POST", "DELETE")) == 0

    def _edit(self, code: str, values: dict[str, Any]) -> None:
        """Save as a CSM would: an injected 503 meets the CSM too, who saves again."""
        for _ in range(6):
            try:
                self.world.admin().restful(f"sobjects/Subscription__c/{self.ids[code]}",
                                           method="PATCH", data=json.dumps(values))
                break
            except SalesforceGeneralError:
                continue
        self.world.clock.advance(timedelta(seconds=1))


def _by_code(world: World, soql: str = QUERY) -> dict[str, dict[str, Any]]:
    return {r["Product__r"]["ProductCode"]: r for r in world.admin().query_all(soql)["records"]}


def _salesforce_writes(world: World) -> int:
    return sum(1 for method, path in world.stack.salesforce.request_log
               if method in WRITES and "/oauth2/" not in path)


def _quiesce(world: World) -> None:
    """Stop the faults, then sync until a cycle writes nothing (backoffs run out on the way)."""
    world.stack.salesforce.faults.clear()
    world.stack.stripe.faults.clear()
    for _ in range(QUIESCENCE):
        world.stack.salesforce.reset_counters()
        world.stack.stripe.reset_counters()
        world.clock.advance(timedelta(hours=1))  # past every retry backoff
        world.cycle()
        if _salesforce_writes(world) == 0 and world.stack.stripe.request_count("POST") == 0:
            return


def _ledger(world: World) -> list[dict[str, Any]]:
    _, sessions = open_ledger(world.engine.config)
    with sessions() as session:
        rows = session.execute(
            select(Subscription.id, Link.external_id, SubscriptionItem.quantity)
            .join(Link, (Link.entity_id == Subscription.id) & (Link.system == "stripe")
                  & (Link.object_type == "subscription"))
            .join(SubscriptionItem, SubscriptionItem.subscription_id == Subscription.id))
        return [{"id": i, "stripe_id": s, "quantity": q} for i, s, q in rows]


class LifecycleConverges(Lifecycle):
    """Checks agreement at the end of every run."""

    def teardown(self) -> None:
        """Check agreement, then stop the emulators."""
        try:
            self.check_agreement()
        finally:
            super().teardown()


LifecycleConverges.TestCase.settings = settings.get_profile(
    os.environ.get("HYPOTHESIS_PROFILE", "ci"))
test_lifecycle_converges = LifecycleConverges.TestCase
