"""``report reconciliation --live`` against the emulators: both systems re-read, calls counted.

After activation the three agree (exit 0, nothing listed); a change made in an emulator behind
the daemon's back (a CSM's quantity edit not synced yet, a subscription canceled in Stripe's
dashboard) is listed with both values (exit 1). Calls: ``ceil(n / IDS_PER_QUERY)`` Salesforce
queries for the ``n`` ``Subscription__c`` the ledger knows, ``max(1, ceil(s / 100))`` Stripe
list calls for the ``s`` subscriptions of the account.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

import pytest

from connector.cli import main
from connector.salesforce import reader
from e2e.world import World


def _activated(world: World) -> list[dict[str, Any]]:
    """Activate every potential subscription whose product Stripe has a price for (one
    without is dead-lettered, and the ledger rightly lists it as missing in Stripe)."""
    world.cycle()
    for sub in world.subscriptions():
        if sub["Status__c"] == "Potential" and sub["Product__r"]["ProductCode"] in world.prices:
            world.set_status(sub["Id"], "Active")
    world.cycle()
    world.cycle()  # reads back the daemon's own write-backs
    return [sub for sub in world.subscriptions() if sub["Stripe_Subscription_Id__c"]]


def _live(world: World, monkeypatch: pytest.MonkeyPatch,
          capsys: pytest.CaptureFixture[str]) -> tuple[int, list[dict[str, Any]], str]:
    for name, value in world.stack.environment().items():
        monkeypatch.setenv(name, value)
    capsys.readouterr()
    code = main(["report", "reconciliation", "--live", "--format", "json", "--config",
                 str(world.engine.config.source)])
    done = capsys.readouterr()
    return code, json.loads(done.out), done.err


def _calls(err: str) -> tuple[int, int, int, int]:
    found = re.search(r"read (\d+) Subscription__c in (\d+) Salesforce calls? and (\d+) "
                      r"Stripe subscriptions in (\d+) Stripe calls?", err)
    assert found, err
    read_sf, sf_calls, read_stripe, stripe_calls = (int(n) for n in found.groups())
    return read_sf, sf_calls, read_stripe, stripe_calls


def test_agreeing_systems_show_nothing_and_the_calls_follow_the_formula(
        world: World, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    billed = _activated(world)
    monkeypatch.setattr(reader, "IDS_PER_QUERY", 2)  # batches of two: several IN queries

    code, rows, err = _live(world, monkeypatch, capsys)

    assert (code, rows) == (0, [])
    known = len(world.subscriptions())
    stripe_subscriptions = len(world.stack.stripe.objects("subscription"))
    assert len(billed) >= 2
    assert _calls(err) == (known, math.ceil(known / 2), stripe_subscriptions,
                           max(1, math.ceil(stripe_subscriptions / 100)))


def test_a_change_behind_the_daemons_back_is_listed_and_exits_1(
        world: World, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    edited, canceled = _activated(world)[:2]
    world.stack.salesforce.update("Subscription__c", edited["Id"],
                                  {"Quantity__c": int(edited["Quantity__c"]) + 5})
    world.stack.stripe.client().v1.subscriptions.cancel(canceled["Stripe_Subscription_Id__c"])

    code, rows, err = _live(world, monkeypatch, capsys)

    assert code == 1
    found = {(r["salesforce_id"], r["field"]): (r["ledger"], r["salesforce"], r["stripe"])
             for r in rows}
    assert found == {
        (edited["Id"], "Quantity__c"): (str(int(edited["Quantity__c"])),
                                        str(int(edited["Quantity__c"]) + 5), None),
        (canceled["Id"], "status"): ("active", None, "canceled"),
    }
    assert {r["ledger_id"] for r in rows} == {edited["Ledger_Id__c"], canceled["Ledger_Id__c"]}
    assert _calls(err)[1] == 1  # every Subscription__c in one IN query (300 ids a query)


def test_a_deleted_record_and_a_subscription_the_ledger_never_saw(
        world: World, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    deleted = _activated(world)[0]
    world.stack.salesforce.delete("Subscription__c", deleted["Id"])
    stripe = world.stack.stripe.client()
    customer = stripe.v1.customers.create({"email": "self-serve@example.com"})
    price = next(iter(world.prices.values()))
    stranger = stripe.v1.subscriptions.create({"customer": customer.id,
                                               "items": [{"price": price}]})

    code, rows, _ = _live(world, monkeypatch, capsys)

    assert code == 1
    assert [(r["ledger_id"], r["salesforce_id"], r["stripe_id"], r["field"], r["ledger"],
             r["salesforce"], r["stripe"]) for r in rows] == [
        (deleted["Ledger_Id__c"], deleted["Id"], deleted["Stripe_Subscription_Id__c"],
         "salesforce_id", "active", "(deleted)", None),
        (None, None, stranger.id, "ledger_id", "(missing)", None, stranger.status),
    ]
