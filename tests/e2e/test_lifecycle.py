"""Subscription lifecycle after activation, both directions, with echoes and conflicts.

Every change is asserted on the emulators (Stripe's subscription, Salesforce's record), the
number of Stripe writes it took (one), and a fixed point: two more cycles write nothing to
Salesforce or Stripe.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from connector.cli import main
from connector.commands.status_command import EXIT_ATTENTION
from connector.config import load_config
from connector.ledger.history import subscription_history
from connector.ledger.models import OutboxOperation
from connector.retry import NO_WAIT
from connector.secrets import Secrets
from connector.sync.wiring import build_engine, open_ledger
from e2e.world import START, World

WRITES = ("POST", "PATCH", "DELETE")
RECORD = (
    "SELECT Id, Status__c, Quantity__c, Unit_Price__c, Product__c, Product__r.ProductCode, "
    "End_Date__c, Term_Months__c, Cancel_At_Period_End__c, Next_Renewal_Date__c, MRR__c, "
    "ARR__c, Stripe_Subscription_Id__c, Sync_Error__c, Ledger_Id__c FROM Subscription__c "
    "WHERE Product__r.ProductCode = '{code}'"
)


def _record(world: World, code: str = "PLATFORM-MONTHLY") -> dict[str, Any]:
    [record] = world.admin().query_all(RECORD.format(code=code))["records"]
    return dict(record)


def _stripe(world: World, stripe_id: str) -> dict[str, Any]:
    return next(s for s in world.stack.stripe.objects("subscription") if s["id"] == stripe_id)


def _edit(world: World, record_id: str, **values: Any) -> None:
    world.admin().restful(f"sobjects/Subscription__c/{record_id}", method="PATCH",
                          data=json.dumps(values))
    world.clock.advance(timedelta(seconds=1))


def _activated(world: World, code: str = "PLATFORM-MONTHLY") -> dict[str, Any]:
    world.cycle()
    world.set_status(_record(world, code)["Id"], "Active")
    world.cycle()
    world.cycle()  # reads back the activation's write-back
    return _record(world, code)


def _stripe_writes(world: World) -> int:
    return sum(world.stack.stripe.request_count(method=m) for m in ("POST", "DELETE"))


def _salesforce_writes(world: World) -> int:
    return sum(1 for method, path in world.stack.salesforce.request_log
               if method in WRITES and "/oauth2/" not in path)


def _change(world: World, record_id: str, **values: Any) -> int:
    """Edit as a CSM, run the cycle that carries it; return the Stripe writes it made."""
    _edit(world, record_id, **values)
    world.stack.stripe.reset_counters()
    world.cycle()
    return _stripe_writes(world)


def _assert_fixed_point(world: World) -> None:
    world.stack.salesforce.reset_counters()
    world.stack.stripe.reset_counters()
    world.cycle()
    world.cycle()
    assert _salesforce_writes(world) == 0
    assert _stripe_writes(world) == 0


def _midnight(day: date) -> int:
    return int(datetime.combine(day, datetime.min.time(), UTC).timestamp())


def test_an_upsell_updates_the_quantity_with_one_call_and_settles(world: World) -> None:
    sub = _activated(world)

    assert _change(world, sub["Id"], Quantity__c=3) == 1

    stripe_sub = _stripe(world, sub["Stripe_Subscription_Id__c"])
    assert stripe_sub["items"]["data"][0]["quantity"] == 3
    after = _record(world)
    assert (after["Quantity__c"], after["MRR__c"], after["ARR__c"]) == (3, 1497.0, 17964.0)
    _assert_fixed_point(world)


def test_a_downgrade_uses_the_configured_proration_and_a_key_per_change(world: World) -> None:
    sub = _activated(world)
    _change(world, sub["Id"], Quantity__c=4)

    assert _change(world, sub["Id"], Quantity__c=2) == 1

    assert _stripe(world, sub["Stripe_Subscription_Id__c"])["items"]["data"][0]["quantity"] == 2
    assert _record(world)["MRR__c"] == 998.0
    _, sessions = open_ledger(world.engine.config)
    with sessions() as session:
        keys = session.scalars(select(OutboxOperation.key).where(
            OutboxOperation.operation == "update_subscription")).all()
    assert len(keys) == 2
    assert len(set(keys)) == 2
    assert all(k.startswith(f"stripe:update_subscription:{sub['Ledger_Id__c']}:") for k in keys)
    _assert_fixed_point(world)


def test_a_product_change_moves_the_item_to_the_other_price(world: World) -> None:
    sub = _activated(world)
    support = world.org.products["SUPPORT-PREMIUM"]

    assert _change(world, sub["Id"], Product__c=support, Unit_Price__c=1200) == 1

    item = _stripe(world, sub["Stripe_Subscription_Id__c"])["items"]["data"][0]
    assert item["price"]["lookup_key"] == "SUPPORT-PREMIUM"
    [after] = [r for r in world.admin().query_all(RECORD.format(code="SUPPORT-PREMIUM"))[
        "records"] if r["Id"] == sub["Id"]]
    assert after["MRR__c"] == 1200.0
    _assert_fixed_point(world)


def test_a_product_without_a_price_is_dead_lettered_with_the_reason(world: World) -> None:
    sub = _activated(world)

    assert _change(world, sub["Id"], Product__c=world.org.products["LEGACY-ONPREM"]) == 0
    world.cycle()

    assert _stripe(world, sub["Stripe_Subscription_Id__c"])["items"]["data"][0][
        "price"]["lookup_key"] == "PLATFORM-MONTHLY"
    [after] = [r for r in world.admin().query_all(RECORD.format(code="LEGACY-ONPREM"))[
        "records"] if r["Id"] == sub["Id"]]
    assert "lookup_key 'LEGACY-ONPREM'" in after["Sync_Error__c"]


def test_a_unit_price_change_without_a_new_price_is_refused(
        world: World, capsys: pytest.CaptureFixture[str]) -> None:
    sub = _activated(world)

    assert _change(world, sub["Id"], Unit_Price__c=450) == 0

    config = str(world.folder / "config.toml")
    capsys.readouterr()
    assert main(["deadletter", "list", "--config", config]) == 0
    assert "UNIT_PRICE_WITHOUT_PRICE" in capsys.readouterr().out
    assert _stripe(world, sub["Stripe_Subscription_Id__c"])["items"]["data"][0][
        "price"]["unit_amount"] == 49900


def test_canceled_cancels_at_period_end_and_ends_when_the_period_does(world: World) -> None:
    sub = _activated(world)
    period_end = date.fromisoformat(sub["Next_Renewal_Date__c"])

    assert _change(world, sub["Id"], Status__c="Canceled") == 1

    stripe_sub = _stripe(world, sub["Stripe_Subscription_Id__c"])
    assert (stripe_sub["status"], stripe_sub["cancel_at_period_end"]) == ("active", True)
    after = _record(world)
    world.cycle()  # reads the settled values written back
    after = _record(world)
    assert (after["Status__c"], after["End_Date__c"], after["Cancel_At_Period_End__c"]) == (
        "Canceled", period_end.isoformat(), True)
    _assert_fixed_point(world)

    world.stack.stripe.advance(timedelta(days=32))
    world.cycle()

    assert _stripe(world, sub["Stripe_Subscription_Id__c"])["status"] == "canceled"
    ended = _record(world)
    assert (ended["Status__c"], ended["End_Date__c"]) == ("Canceled", period_end.isoformat())
    _assert_fixed_point(world)


def test_reactivating_before_the_end_clears_the_cancellation(world: World) -> None:
    sub = _activated(world)
    _change(world, sub["Id"], Status__c="Canceled")
    world.cycle()

    assert _change(world, sub["Id"], Status__c="Active") == 1

    stripe_sub = _stripe(world, sub["Stripe_Subscription_Id__c"])
    assert (stripe_sub["cancel_at_period_end"], stripe_sub["cancel_at"]) == (False, None)
    world.cycle()
    after = _record(world)
    assert (after["Status__c"], after["End_Date__c"], after["Cancel_At_Period_End__c"]) == (
        "Active", None, False)
    _assert_fixed_point(world)


def test_cancel_immediately_when_configured(world: World) -> None:
    path = world.folder / "config.toml"
    path.write_text(path.read_text().replace("[stripe]\n",
                                             '[stripe]\ncancel_behavior = "immediately"\n'))
    world.engine = build_engine(load_config(path), Secrets(world.stack.environment()),
                                world.clock, retry=NO_WAIT)
    sub = _activated(world)

    assert _change(world, sub["Id"], Status__c="Canceled") == 1

    assert _stripe(world, sub["Stripe_Subscription_Id__c"])["status"] == "canceled"
    assert world.stack.stripe.request_count(method="DELETE") == 1
    after = _record(world)
    assert (after["Status__c"], after["End_Date__c"]) == ("Canceled", START.date().isoformat())
    _assert_fixed_point(world)


def test_a_term_change_sets_the_end_date_in_stripe(world: World) -> None:
    sub = _activated(world)
    end = date(2027, 5, 23)  # starts 2026-11-23, six months

    assert _change(world, sub["Id"], Term_Months__c=6) == 1

    stripe_sub = _stripe(world, sub["Stripe_Subscription_Id__c"])
    assert stripe_sub["cancel_at"] == _midnight(end)
    world.cycle()
    after = _record(world)
    assert (after["Status__c"], after["End_Date__c"], after["Term_Months__c"]) == (
        "Active", end.isoformat(), 6)
    _assert_fixed_point(world)


def test_a_renewal_in_stripe_moves_the_next_renewal_date(world: World) -> None:
    sub = _activated(world)
    before = date.fromisoformat(sub["Next_Renewal_Date__c"])

    world.stack.stripe.advance(timedelta(days=31))
    world.cycle()

    after = _record(world)
    assert date.fromisoformat(after["Next_Renewal_Date__c"]) > before
    assert after["Status__c"] == "Active"
    _assert_fixed_point(world)


def test_a_trial_that_ends_in_stripe_makes_the_subscription_active(world: World) -> None:
    world.cycle()
    record = _record(world, "SUPPORT-PREMIUM")
    _edit(world, record["Id"], Status__c="Trialing",
          Trial_End_Date__c=(START + timedelta(days=7)).date().isoformat())
    world.cycle()
    world.cycle()
    assert _record(world, "SUPPORT-PREMIUM")["Status__c"] == "Trialing"

    world.stack.stripe.advance(timedelta(days=8))
    world.cycle()

    assert _record(world, "SUPPORT-PREMIUM")["Status__c"] == "Active"
    _assert_fixed_point(world)


def test_an_edit_of_a_stripe_owned_field_is_a_conflict_reasserted_once(
        world: World, capsys: pytest.CaptureFixture[str]) -> None:
    sub = _activated(world)
    config = str(world.folder / "config.toml")

    _change(world, sub["Id"], MRR__c=1.0, Next_Renewal_Date__c="2030-01-01")
    world.cycle()

    after = _record(world)
    assert (after["MRR__c"], after["Next_Renewal_Date__c"]) == (
        499.0, sub["Next_Renewal_Date__c"])
    _assert_fixed_point(world)
    capsys.readouterr()
    assert main(["conflicts", "list", "--config", config]) == 0
    listing = capsys.readouterr().out
    assert "MRR__c" in listing
    assert "Next_Renewal_Date__c" in listing
    assert "2030-01-01" in listing
    assert main(["status", "--config", config]) == EXIT_ATTENTION  # open conflicts
    assert "conflicts:     2 open" in capsys.readouterr().out

    conflict_id = listing.split("#", 1)[1].split(" ", 1)[0]
    assert main(["conflicts", "resolve", conflict_id, "--take", "stripe",
                 "--config", config]) == 0
    assert main(["status", "--config", config]) == EXIT_ATTENTION
    assert "conflicts:     1 open" in capsys.readouterr().out


def test_a_status_stripe_cannot_make_is_refused_as_a_conflict(world: World) -> None:
    sub = _activated(world)

    assert _change(world, sub["Id"], Status__c="Past Due") == 0
    world.cycle()

    assert _record(world)["Status__c"] == "Active"
    assert _stripe(world, sub["Stripe_Subscription_Id__c"])["status"] == "active"
    _assert_fixed_point(world)


def _quantity_in_stripe(world: World, stripe_id: str, quantity: int) -> None:
    item = _stripe(world, stripe_id)["items"]["data"][0]
    world.stack.stripe.client().v1.subscriptions.update(
        stripe_id, {"items": [{"id": item["id"], "quantity": quantity}],
                    "proration_behavior": "none"})
    world.clock.advance(timedelta(seconds=1))


def test_a_quantity_changed_in_stripe_is_a_conflict_and_salesforce_wins_once(
        world: World, capsys: pytest.CaptureFixture[str]) -> None:
    sub = _activated(world)
    stripe_id = sub["Stripe_Subscription_Id__c"]

    _quantity_in_stripe(world, stripe_id, 7)
    world.stack.stripe.reset_counters()
    world.cycle()

    assert _stripe(world, stripe_id)["items"]["data"][0]["quantity"] == 1  # re-asserted
    assert world.stack.stripe.request_count(method="POST") == 1
    assert _record(world)["Quantity__c"] == 1
    _assert_fixed_point(world)
    config = str(world.folder / "config.toml")
    capsys.readouterr()
    assert main(["conflicts", "list", "--config", config]) == 0
    listing = capsys.readouterr().out
    assert "Quantity__c (owner salesforce)" in listing
    assert "stripe (" in listing


def test_resolving_a_quantity_conflict_by_taking_stripe_applies_it_everywhere(
        world: World, capsys: pytest.CaptureFixture[str]) -> None:
    sub = _activated(world)
    stripe_id = sub["Stripe_Subscription_Id__c"]
    _quantity_in_stripe(world, stripe_id, 7)
    world.cycle()
    config = str(world.folder / "config.toml")
    capsys.readouterr()
    main(["conflicts", "list", "--config", config])
    conflict_id = capsys.readouterr().out.split("#", 1)[1].split(" ", 1)[0]

    assert main(["conflicts", "resolve", conflict_id, "--take", "stripe",
                 "--config", config]) == 0
    world.cycle()

    assert _stripe(world, stripe_id)["items"]["data"][0]["quantity"] == 7
    assert _record(world)["Quantity__c"] == 7
    _assert_fixed_point(world)
    main(["conflicts", "list", "--config", config])
    assert "no open conflicts" in capsys.readouterr().out


def test_taking_salesforce_for_a_stripe_computed_value_is_refused(
        world: World, capsys: pytest.CaptureFixture[str]) -> None:
    sub = _activated(world)
    _change(world, sub["Id"], MRR__c=1.0)
    config = str(world.folder / "config.toml")
    capsys.readouterr()
    main(["conflicts", "list", "--config", config])
    conflict_id = capsys.readouterr().out.split("#", 1)[1].split(" ", 1)[0]

    assert main(["conflicts", "resolve", conflict_id, "--take", "salesforce",
                 "--config", config]) == 2

    assert "reported by Stripe" in capsys.readouterr().err


def test_the_journal_tells_the_subscription_history(world: World) -> None:
    sub = _activated(world)
    _change(world, sub["Id"], Quantity__c=3)
    world.clock.advance(timedelta(days=40))  # into January: a renewal in between
    world.stack.stripe.advance(timedelta(0))
    world.cycle()
    _change(world, sub["Id"], Quantity__c=2)
    _change(world, sub["Id"], Status__c="Canceled")
    # Past the period end (23 January) but within Stripe's 30-day event window, so the end
    # arrives as its event, stamped when it happened (a longer gap: see the reconciled test).
    world.stack.stripe.advance(timedelta(days=25))
    world.cycle()

    _, sessions = open_ledger(world.engine.config)
    with sessions() as session:
        history = subscription_history(session, sub["Ledger_Id__c"],
                                       until=world.clock.now().date())

    assert history.status_by_month == [
        ("2026-11", "active"), ("2026-12", "active"),
        ("2027-01", "canceled")]  # billing ended with the period, on 23 January
    assert [(e.kind, e.old, e.new) for e in history.quantity_changes] == [
        ("created", None, 1), ("upsell", 1, 3), ("downgrade", 3, 2)]
    assert "cancel_scheduled" in [e.kind for e in history.events]


def test_an_end_reconciled_after_the_event_window_is_dated_when_billing_ended(
        world: World) -> None:
    sub = _activated(world)
    _change(world, sub["Id"], Status__c="Canceled")  # at the period end, 23 December
    world.cycle()
    # The daemon is away 45 days: past Stripe's 30-day event window, so the end is
    # reconciled by listing the subscription in January.
    world.stack.stripe.advance(timedelta(days=45))

    report = world.cycle()

    assert report.events.reconciled > 0
    _, sessions = open_ledger(world.engine.config)
    with sessions() as session:
        history = subscription_history(session, sub["Ledger_Id__c"],
                                       until=world.clock.now().date())
    assert history.status_by_month == [
        ("2026-11", "active"), ("2026-12", "canceled"), ("2027-01", "canceled")]
    [ended] = [e for e in history.events if e.kind == "status" and e.new == "canceled"]
    assert ended.at.date() == date.fromisoformat(sub["Next_Renewal_Date__c"])


def test_a_failed_renewal_is_past_due_and_a_recovered_payment_active_again(
        world: World) -> None:
    sub = _activated(world)
    customer = _stripe(world, sub["Stripe_Subscription_Id__c"])["customer"]
    world.stack.stripe.fail_payments_for(customer)

    world.stack.stripe.advance(timedelta(days=31))
    world.cycle()

    assert _record(world)["Status__c"] == "Past Due"
    _assert_fixed_point(world)
    world.stack.stripe.fail_payments_for(customer, failing=False)
    world.stack.stripe.advance(timedelta(days=4))  # the first automatic retry
    world.cycle()

    assert _record(world)["Status__c"] == "Active"
    _assert_fixed_point(world)


def test_a_cancellation_made_in_stripe_shows_in_salesforce(world: World) -> None:
    sub = _activated(world)

    world.stack.stripe.client().v1.subscriptions.cancel(sub["Stripe_Subscription_Id__c"])
    world.clock.advance(timedelta(seconds=1))
    world.cycle()

    after = _record(world)
    assert (after["Status__c"], after["End_Date__c"]) == ("Canceled", START.date().isoformat())
    _assert_fixed_point(world)


def test_a_cancel_made_after_a_stripe_event_is_not_undone_by_that_event(world: World) -> None:
    sub = _activated(world)
    world.stack.stripe.advance(timedelta(days=31))  # a renewal event, not read yet
    _edit(world, sub["Id"], Status__c="Canceled")
    world.stack.salesforce.reset_counters()

    world.cycle()

    upserts = [p for m, p in world.stack.salesforce.request_log
               if m == "PATCH" and "/composite/sobjects/" in p]
    assert len(upserts) == 1  # the renewal and the settled cancellation, together
    stripe_sub = _stripe(world, sub["Stripe_Subscription_Id__c"])
    assert stripe_sub["cancel_at_period_end"] is True
    world.cycle()
    after = _record(world)
    assert (after["Status__c"], after["Cancel_At_Period_End__c"]) == ("Canceled", True)
    assert after["End_Date__c"] == after["Next_Renewal_Date__c"]
    _assert_fixed_point(world)
    _, sessions = open_ledger(world.engine.config)
    with sessions() as session:
        history = subscription_history(session, sub["Ledger_Id__c"],
                                       until=world.clock.now().date())
    kinds = [e.kind for e in history.events]
    assert kinds.count("cancel_scheduled") == 1  # the older event did not undo it meanwhile
    assert "reactivated" not in kinds


def test_an_edit_racing_a_cancellation_in_stripe_ends_with_stripe_s_last_state(
        world: World) -> None:
    sub = _activated(world)
    world.stack.stripe.client().v1.subscriptions.cancel(sub["Stripe_Subscription_Id__c"])
    world.clock.advance(timedelta(seconds=1))

    _change(world, sub["Id"], Quantity__c=4)  # saved before the daemon saw the cancellation
    world.cycle()

    after = _record(world)
    assert (after["Status__c"], after["Quantity__c"]) == ("Canceled", 1)
    assert after["Sync_Error__c"] is None
    _assert_fixed_point(world)


def test_a_change_stripe_rejects_is_dead_lettered_with_stripe_s_reason(
        world: World, capsys: pytest.CaptureFixture[str]) -> None:
    sub = _activated(world)
    client = world.stack.stripe.client()
    product = client.v1.products.create({"name": "Setup fee"})
    client.v1.prices.create({"product": product.id, "currency": "usd", "unit_amount": 10000,
                             "lookup_key": "SETUP-FEE"})  # one-time: no subscription bills it
    setup = world.stack.salesforce.insert("Product2", {"Name": "Setup fee",
                                                        "ProductCode": "SETUP-FEE",
                                                        "IsActive": True})

    assert _change(world, sub["Id"], Product__c=setup, Unit_Price__c=100) == 1  # refused
    world.cycle()

    assert _stripe(world, sub["Stripe_Subscription_Id__c"])["items"]["data"][0]["price"][
        "lookup_key"] == "PLATFORM-MONTHLY"
    [after] = world.admin().query_all(RECORD.format(code="SETUP-FEE"))["records"]
    assert "type=one_time" in after["Sync_Error__c"]
    config = str(world.folder / "config.toml")
    capsys.readouterr()
    assert main(["deadletter", "list", "--config", config]) == 0
    listing = capsys.readouterr().out
    assert "outbox.stripe" in listing
    assert "type=one_time" in listing


def _price_in_stripe(world: World, stripe_id: str, price_id: str) -> None:
    """Move the first item to another price directly in Stripe, as a Dashboard user would."""
    item = _stripe(world, stripe_id)["items"]["data"][0]
    world.stack.stripe.client().v1.subscriptions.update(
        stripe_id, {"items": [{"id": item["id"], "price": price_id}],
                    "proration_behavior": "none"})
    world.clock.advance(timedelta(seconds=1))


def _only_conflict(world: World, capsys: pytest.CaptureFixture[str]) -> tuple[str, str]:
    config = str(world.folder / "config.toml")
    capsys.readouterr()
    assert main(["conflicts", "list", "--config", config]) == 0
    listing = capsys.readouterr().out
    return listing.split("#", 1)[1].split(" ", 1)[0], listing


def test_a_price_changed_in_stripe_is_a_conflict_and_salesforce_s_price_wins_once(
        world: World, capsys: pytest.CaptureFixture[str]) -> None:
    sub = _activated(world)
    stripe_id = sub["Stripe_Subscription_Id__c"]

    _price_in_stripe(world, stripe_id, world.prices["SUPPORT-PREMIUM"])
    world.stack.stripe.reset_counters()
    world.cycle()

    item = _stripe(world, stripe_id)["items"]["data"][0]
    assert item["price"]["lookup_key"] == "PLATFORM-MONTHLY"  # re-asserted
    assert world.stack.stripe.request_count(method="POST") == 1
    assert _record(world)["Product__r"]["ProductCode"] == "PLATFORM-MONTHLY"
    _assert_fixed_point(world)
    _, listing = _only_conflict(world, capsys)
    assert "Product__c (owner salesforce)" in listing
    row = next(line for line in listing.splitlines() if "Product__c (owner salesforce)" in line)
    assert row.index("PLATFORM-MONTHLY") < row.index("SUPPORT-PREMIUM")  # ledger, then Stripe


def test_resolving_a_price_conflict_by_taking_stripe_moves_the_product_everywhere(
        world: World, capsys: pytest.CaptureFixture[str]) -> None:
    sub = _activated(world)
    stripe_id = sub["Stripe_Subscription_Id__c"]
    _price_in_stripe(world, stripe_id, world.prices["SUPPORT-PREMIUM"])
    world.cycle()
    conflict_id, _ = _only_conflict(world, capsys)

    assert main(["conflicts", "resolve", conflict_id, "--take", "stripe",
                 "--config", str(world.folder / "config.toml")]) == 0
    world.cycle()

    item = _stripe(world, stripe_id)["items"]["data"][0]
    assert item["price"]["lookup_key"] == "SUPPORT-PREMIUM"
    [after] = [r for r in world.admin().query_all(RECORD.format(code="SUPPORT-PREMIUM"))[
        "records"] if r["Id"] == sub["Id"]]
    assert after["Product__c"] == world.org.products["SUPPORT-PREMIUM"]
    _assert_fixed_point(world)
    assert "no open conflicts" in _listing(world, capsys)


def _listing(world: World, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    main(["conflicts", "list", "--config", str(world.folder / "config.toml")])
    return capsys.readouterr().out


def test_taking_stripe_for_a_price_of_no_known_product_is_refused(
        world: World, capsys: pytest.CaptureFixture[str]) -> None:
    sub = _activated(world)
    stripe_id = sub["Stripe_Subscription_Id__c"]
    odd = world.stack.stripe.seed_price("Hand-made price", "HAND-MADE", 777, currency="usd",
                                        interval="month")
    _price_in_stripe(world, stripe_id, odd)
    world.cycle()
    conflict_id, _ = _only_conflict(world, capsys)

    assert main(["conflicts", "resolve", conflict_id, "--take", "stripe",
                 "--config", str(world.folder / "config.toml")]) == 2

    assert "not the price of any known Salesforce product" in capsys.readouterr().err
    assert main(["conflicts", "resolve", conflict_id, "--take", "salesforce",
                 "--config", str(world.folder / "config.toml")]) == 0
    world.cycle()
    assert _stripe(world, stripe_id)["items"]["data"][0]["price"]["lookup_key"] == \
        "PLATFORM-MONTHLY"
    _assert_fixed_point(world)
    assert "no open conflicts" in _listing(world, capsys)
