"""``plan``: what the next sync would do, read from the live systems, with nothing written.

Each test asserts on the emulators' request counters, the SMTP sink and the ledger's row
counts that planning wrote nothing, then runs the real cycle and checks it did what the plan
said.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import func, select

from connector.cli import main
from connector.ledger.models import (
    Cursor,
    DeadLetter,
    JournalEntry,
    Link,
    Notification,
    OutboxOperation,
    StripeInboxEvent,
    Subscription,
)
from connector.plan import Change, Plan, plan_next_sync
from connector.plan.render import render_text
from crm_emulators.stack import DEMO_STRIPE_KEY
from e2e.world import World

WRITE_METHODS = ("POST", "PATCH", "DELETE")
TABLES = (OutboxOperation, JournalEntry, Cursor, Notification, DeadLetter, Subscription, Link,
          StripeInboxEvent)


def _ledger_rows(world: World) -> dict[str, int]:
    with world.engine.sessions() as session:
        return {t.__tablename__: session.scalar(select(func.count()).select_from(t)) or 0
                for t in TABLES}


def _writes(world: World) -> tuple[int, int, int]:
    # The daemon's only Composite call holds GET subrequests (describes, Organization).
    salesforce = sum(1 for method, path in world.stack.salesforce.request_log
                     if method in WRITE_METHODS and "/oauth2/" not in path
                     and not path.rstrip("/").endswith("/composite"))
    stripe = sum(world.stack.stripe.request_count(method=m) for m in WRITE_METHODS)
    return salesforce, stripe, len(world.stack.smtp.messages)


def _plan_without_writing(world: World) -> Plan:
    world.clock.advance(timedelta(seconds=2))  # reads take only finished seconds
    rows = _ledger_rows(world)
    world.stack.salesforce.reset_counters()
    world.stack.stripe.reset_counters()
    mails = len(world.stack.smtp.messages)

    plan = plan_next_sync(world.engine)

    assert _writes(world) == (0, 0, mails)
    assert _ledger_rows(world) == rows
    return plan


def _new(change: Change) -> dict[str, Any]:
    return {f.name: f.new for f in change.fields}


def test_plan_on_an_empty_ledger_lists_the_potential_subscriptions_and_emails(
        world: World) -> None:
    plan = _plan_without_writing(world)

    creates = plan.of("salesforce")
    assert [(c.action, c.object) for c in creates] == [("create", "Subscription__c")] * 4
    assert sorted(_new(c)["Status__c"] for c in creates) == ["Potential"] * 4
    emails = plan.of("email")
    assert sorted(_new(e)["to"] for e in emails) == [
        "dana.whitfield@example.com", "omar.haddad@example.com", "priya.raman@example.com"]
    assert plan.of("stripe") == []
    assert {c.action for c in plan.of("ledger")} >= {"create"}

    world.engine.run_cycle()

    made = {(r["Opportunity__c"], r["Product__c"]): r for r in world.subscriptions()}
    assert len(made) == 4
    for change in creates:
        planned = _new(change)
        record = made[(planned["Opportunity__c"], planned["Product__c"])]
        assert {name: record[name] for name in planned} == planned
    assert sorted(m.rcpt_tos[0] for m in world.stack.smtp.messages) == sorted(
        _new(e)["to"] for e in emails)


def test_plan_of_an_activation_shows_the_stripe_creates_it_would_send(world: World) -> None:
    world.cycle()
    for sub in world.subscriptions():
        if sub["Account__c"] == world.org.accounts["acme"]:
            world.set_status(sub["Id"], "Active", "dana.whitfield@example.com")

    plan = _plan_without_writing(world)

    stripe = plan.of("stripe")
    assert [(c.action, c.object) for c in stripe] == [
        ("create", "customer"), ("create", "subscription"), ("create", "subscription")]
    assert _new(stripe[0])["name"] == "Acme Robotics"
    planned = {_new(c)["items.0.price"]: _new(c)["items.0.quantity"] for c in stripe[1:]}
    assert plan.of("email") == []

    world.engine.run_cycle()

    created = world.stack.stripe.objects("subscription")
    assert {s["items"]["data"][0]["price"]["id"]: s["items"]["data"][0]["quantity"]
            for s in created} == planned
    assert [c["name"] for c in world.stack.stripe.objects("customer")] == ["Acme Robotics"]


def test_plan_compares_a_salesforce_update_with_the_record_as_it_is(world: World) -> None:
    world.cycle()
    platform = next(s for s in world.subscriptions()
                    if s["Product__r"]["ProductCode"] == "PLATFORM-MONTHLY")
    world.set_status(platform["Id"], "Active")
    world.cycle()
    world.cycle()  # reads back the daemon's own write-back
    stripe_id = world.subscriptions()[0]["Stripe_Subscription_Id__c"] or next(
        s["Stripe_Subscription_Id__c"] for s in world.subscriptions()
        if s["Stripe_Subscription_Id__c"])
    requests.post(f"{world.stack.stripe.url}/v1/subscriptions/{stripe_id}",
                  data={"cancel_at_period_end": "true"}, auth=(DEMO_STRIPE_KEY, ""),
                  timeout=10).raise_for_status()

    plan = _plan_without_writing(world)

    [update] = plan.of("salesforce")
    assert update.action == "update"
    assert update.key.endswith(f"(Id {platform['Id']})")
    changed = {f.name: (f.old, f.new) for f in update.fields if f.changed}
    # A cancellation scheduled in Stripe shows in Salesforce as Canceled with its end date.
    assert list(changed) == ["Status__c", "End_Date__c", "Cancel_At_Period_End__c"]
    assert changed["Status__c"] == ("Active", "Canceled")
    assert changed["Cancel_At_Period_End__c"] == (False, True)
    assert changed["End_Date__c"][0] is None
    text = render_text(plan)
    assert f"End_Date__c: (none) → '{changed['End_Date__c'][1]}'" in text
    assert "fields unchanged" in text

    world.engine.run_cycle()

    after = world.admin().query(
        f"SELECT End_Date__c FROM Subscription__c WHERE Id = '{platform['Id']}'")["records"]
    assert after[0]["End_Date__c"] == changed["End_Date__c"][1]


def test_plan_json_is_a_stable_structure_and_exits_zero(
        world: World, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in world.stack.environment().items():
        monkeypatch.setenv(name, value)
    world.clock.advance(timedelta(seconds=2))
    rows = _ledger_rows(world)

    code = main(["plan", "--format", "json", "--config", str(world.folder / "config.toml")])

    assert code == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"version", "generated_at", "mappings", "summary", "systems"}
    assert out["version"] == 1
    assert out["mappings"] == world.engine.mappings.digest
    assert list(out["systems"]) == ["salesforce", "stripe", "email", "ledger"]
    first = out["systems"]["salesforce"][0]
    assert set(first) == {"action", "object", "key", "note", "fields"}
    assert set(first["fields"][0]) == {"name", "old", "new", "changed"}
    assert len(out["systems"]["email"]) == 3
    assert _ledger_rows(world) == rows


def test_plan_after_an_interrupted_activation_creates_nothing_again(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    world.cycle()
    platform = next(s for s in world.subscriptions()
                    if s["Product__r"]["ProductCode"] == "PLATFORM-MONTHLY")
    world.activate_interrupted(platform["Id"], monkeypatch)
    [created] = world.stack.stripe.objects("subscription")
    world.restart()

    plan = _plan_without_writing(world)

    [stripe] = plan.of("stripe")
    assert stripe.action == "leave"
    assert created["id"] in stripe.note

    world.engine.run_cycle()

    assert [s["id"] for s in world.stack.stripe.objects("subscription")] == [created["id"]]


def test_plan_with_salesforce_unreachable_says_so_and_exits_one(
        world: World, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in world.stack.environment().items():
        monkeypatch.setenv(name, value)
    world.stack.salesforce.faults.fail_next(1000, 503)

    code = main(["plan", "--config", str(world.folder / "config.toml")])

    captured = capsys.readouterr()
    assert code == 1
    assert "salesforce: not known (it could not be read; see below)" in captured.out
    assert "incomplete: salesforce could not be read:" in captured.out
    assert "crm-connector plan: incomplete: salesforce could not be read:" in captured.err
