"""Won deal → potential subscriptions → CSM digest → activation → Stripe → ids written back.

Everything is asserted on the emulators' state, their request counters and the SMTP sink.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from currency_orgs import in_both_currency_orgs
from simple_salesforce.format import format_soql

from connector.cli import main
from connector.commands.status_command import EXIT_ATTENTION
from e2e.world import START, World, start

WRITE_METHODS = ("POST", "PATCH", "DELETE")


def _salesforce_writes(world: World) -> int:
    return sum(1 for method, path in world.stack.salesforce.request_log
               if method in WRITE_METHODS and "/oauth2/" not in path)


def _by_code(world: World) -> dict[str, dict[str, object]]:
    return {r["Product__r"]["ProductCode"]: r for r in world.subscriptions()}


@in_both_currency_orgs()
def test_won_and_ticked_opportunities_get_one_potential_subscription_per_line_item(
        world: World) -> None:
    world.cycle()

    subs = world.subscriptions()
    opportunities = world.org.opportunities
    assert sorted(s["Opportunity__c"] for s in subs) == sorted([
        opportunities["acme_won"], opportunities["acme_won"], opportunities["globex_ticked"],
        opportunities["initech_legacy"]])  # the open Initech pilot yields nothing
    by_code = _by_code(world)
    seat = by_code["ANALYTICS-SEAT-ANNUAL"]
    assert (seat["Status__c"], seat["Quantity__c"], seat["Unit_Price__c"], seat["Currency__c"],
            seat["Term_Months__c"]) == ("Potential", 25, 240.0, "USD", 12)
    assert seat["Start_Date__c"] == (START.date() + timedelta(days=14)).isoformat()  # ServiceDate
    platform = by_code["PLATFORM-MONTHLY"]
    assert platform["Start_Date__c"] == START.date().isoformat()  # no ServiceDate: CloseDate
    assert platform["Account__c"] == world.org.accounts["acme"]
    assert platform["Product__c"] == world.org.products["PLATFORM-MONTHLY"]
    assert platform["CSM__c"] == world.org.users["dana"]  # the account's CSM
    assert by_code["LEGACY-ONPREM"]["CSM__c"] == world.org.users["priya"]  # no CSM: the owner
    assert all(s["Ledger_Id__c"] for s in subs)


def test_potential_subscriptions_are_written_in_one_collections_call(world: World) -> None:
    world.cycle()

    upserts = [path for method, path in world.stack.salesforce.request_log
               if method == "PATCH" and "/composite/sobjects/Subscription__c/" in path]
    assert len(upserts) == 1


def test_running_again_or_resaving_the_opportunity_creates_nothing(world: World) -> None:
    world.cycle()
    world.admin().restful(f"sobjects/Opportunity/{world.org.opportunities['acme_won']}",
                          method="PATCH", data='{"Description": "re-saved"}')
    world.cycle()
    world.cycle()

    assert len(world.subscriptions()) == 4
    assert len(world.stack.smtp.messages) == 3


def test_a_line_item_added_to_a_generated_opportunity_gets_its_own_subscription(
        world: World) -> None:
    world.cycle()
    emu, won = world.stack.salesforce, world.org.opportunities["acme_won"]
    entry = next(e for e in emu.records("PricebookEntry")
                 if e["Product2Id"] == world.org.products["PLATFORM-MONTHLY"])
    emu.insert("OpportunityLineItem", {"OpportunityId": won, "PricebookEntryId": entry["Id"],
                                       "Quantity": 3.0, "UnitPrice": 499.0})
    world.cycle()
    world.cycle()

    of_won = [s for s in world.subscriptions() if s["Opportunity__c"] == won]
    assert sorted((s["Product__r"]["ProductCode"], s["Quantity__c"]) for s in of_won) == [
        ("ANALYTICS-SEAT-ANNUAL", 25), ("PLATFORM-MONTHLY", 1), ("PLATFORM-MONTHLY", 3)]


def test_each_csm_gets_one_digest_of_their_new_potential_subscriptions(world: World) -> None:
    world.cycle()
    world.cycle()

    mails = {m.rcpt_tos[0]: m for m in world.stack.smtp.messages}
    assert len(world.stack.smtp.messages) == len(mails) == 3  # one per CSM
    assert sorted(mails) == ["dana.whitfield@example.com", "omar.haddad@example.com",
                             "priya.raman@example.com"]
    assert mails["dana.whitfield@example.com"].subject == "2 potential subscriptions to review"
    dana = mails["dana.whitfield@example.com"].text()
    assert "Acme Robotics" in dana
    assert "Acme Robotics - platform rollout" in dana
    assert "Platform (monthly)" in dana
    assert "Analytics seat (annual)" in dana
    assert "6,000.00" in dana  # 25 seats x 240.00
    for sub in world.subscriptions():
        if sub["Opportunity__c"] == world.org.opportunities["acme_won"]:
            assert f"/lightning/r/Subscription__c/{sub['Id']}/view" in dana


@in_both_currency_orgs()
def test_activation_creates_one_customer_and_the_subscriptions_and_writes_ids_back(
        world: World) -> None:
    world.cycle()
    for sub in world.subscriptions():
        if sub["Account__c"] == world.org.accounts["acme"]:
            world.set_status(sub["Id"], "Active", "dana.whitfield@example.com")

    world.cycle()

    customers = world.stack.stripe.objects("customer")
    assert [c["metadata"]["salesforce_account_id"] for c in customers] == [
        world.org.accounts["acme"]]
    stripe_subs = {s["id"]: s for s in world.stack.stripe.objects("subscription")}
    assert len(stripe_subs) == 2
    for code, sub in _by_code(world).items():
        if code not in ("PLATFORM-MONTHLY", "ANALYTICS-SEAT-ANNUAL"):
            assert sub["Stripe_Subscription_Id__c"] is None
            continue
        created = stripe_subs[sub["Stripe_Subscription_Id__c"]]
        item = created["items"]["data"][0]
        assert item["price"]["lookup_key"] == code
        assert item["quantity"] == sub["Quantity__c"]
        assert created["customer"] == sub["Stripe_Customer_Id__c"] == customers[0]["id"]
        assert created["metadata"]["ledger_id"] == sub["Ledger_Id__c"]
        assert sub["Status__c"] == "Active"
    seat = stripe_subs[_by_code(world)["ANALYTICS-SEAT-ANNUAL"]["Stripe_Subscription_Id__c"]]
    two_weeks = int((START + timedelta(days=14)).replace(hour=0).timestamp())
    assert seat["billing_cycle_anchor"] == two_weeks  # billing starts on the ServiceDate


@in_both_currency_orgs()
def test_a_second_sync_writes_nothing_anywhere(world: World) -> None:
    world.cycle()
    for sub in world.subscriptions():
        world.set_status(sub["Id"], "Active")
    world.cycle()
    world.cycle()  # reads back the daemon's own write-backs
    world.stack.salesforce.reset_counters()
    world.stack.stripe.reset_counters()
    mails = len(world.stack.smtp.messages)

    world.cycle()

    assert _salesforce_writes(world) == 0
    assert world.stack.stripe.request_count(method="POST") == 0
    assert len(world.stack.smtp.messages) == mails


def test_a_product_without_a_price_is_dead_lettered_and_flagged_while_others_proceed(
        world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.cycle()
    by_code = _by_code(world)
    world.set_status(by_code["LEGACY-ONPREM"]["Id"], "Active")
    world.set_status(by_code["SUPPORT-PREMIUM"]["Id"], "Active")

    report = world.cycle()

    assert report.activated.dead_letters == 1
    after = _by_code(world)
    assert "LEGACY-ONPREM" in after["LEGACY-ONPREM"]["Sync_Error__c"]
    assert after["LEGACY-ONPREM"]["Stripe_Subscription_Id__c"] is None
    assert after["SUPPORT-PREMIUM"]["Stripe_Subscription_Id__c"].startswith("sub_")
    assert after["SUPPORT-PREMIUM"]["Sync_Error__c"] is None
    assert main(["deadletter", "list", "--config", str(world.folder / "config.toml")]) == 0
    listing = capsys.readouterr().out
    assert "PRICE_NOT_FOUND" in listing
    assert "lookup_key 'LEGACY-ONPREM'" in listing

    config = str(world.folder / "config.toml")
    assert main(["deadletter", "list", "--format", "json", "--config", config]) == 0
    [letter] = json.loads(capsys.readouterr().out)
    record = after["LEGACY-ONPREM"]
    assert (letter["salesforce_id"], letter["error_code"]) == (record["Id"], "PRICE_NOT_FOUND")
    assert letter["name"]  # the account / opportunity a person looks it up by
    assert main(["status", "--format", "json", "--config", config]) == EXIT_ATTENTION
    status = json.loads(capsys.readouterr().out)
    assert status["dead_letters"] == {"open": 1}
    assert status["exit_code"] == EXIT_ATTENTION
    assert status["attention"] == ["1 open dead letter(s): 'crm-connector deadletter list'"]


def test_a_crash_between_stripe_create_and_write_back_repeats_nothing(
        world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    world.cycle()
    platform = _by_code(world)["PLATFORM-MONTHLY"]
    world.activate_interrupted(platform["Id"], monkeypatch)
    assert len(world.stack.stripe.objects("subscription")) == 1  # Stripe did create it
    world.restart()

    world.cycle()

    subs = world.stack.stripe.objects("subscription")
    assert len(subs) == 1
    assert len(world.stack.stripe.objects("customer")) == 1
    assert _by_code(world)["PLATFORM-MONTHLY"]["Stripe_Subscription_Id__c"] == subs[0]["id"]


def test_trialing_with_a_trial_end_starts_a_stripe_trial(world: World) -> None:
    world.cycle()
    seat = _by_code(world)["SUPPORT-PREMIUM"]
    trial_end = (START + timedelta(days=30)).date()
    world.admin().restful(f"sobjects/Subscription__c/{seat['Id']}", method="PATCH",
                          data=f'{{"Status__c": "Trialing", "Trial_End_Date__c": "{trial_end}"}}')
    world.clock.advance(timedelta(seconds=1))

    world.cycle()

    [created] = world.stack.stripe.objects("subscription")
    assert created["status"] == "trialing"
    assert created["trial_end"] == int((START + timedelta(days=30)).replace(hour=0).timestamp())
    assert _by_code(world)["SUPPORT-PREMIUM"]["Status__c"] == "Trialing"


def test_after_the_price_exists_a_retried_dead_letter_activates_and_clears_the_error(
        world: World, capsys: pytest.CaptureFixture[str]) -> None:
    world.cycle()
    legacy = _by_code(world)["LEGACY-ONPREM"]
    world.set_status(legacy["Id"], "Active")
    world.cycle()
    world.stack.stripe.seed_price("Legacy on-prem licence", "LEGACY-ONPREM", 500000,
                                  interval="year")

    config = str(world.folder / "config.toml")
    assert main(["deadletter", "retry", "--all", "--config", config]) == 0
    world.cycle()

    after = _by_code(world)["LEGACY-ONPREM"]
    assert after["Stripe_Subscription_Id__c"].startswith("sub_")
    assert after["Sync_Error__c"] is None
    assert "queued again" in capsys.readouterr().out
    assert main(["deadletter", "list", "--config", config]) == 0
    assert "no open dead letters" in capsys.readouterr().out


def test_a_single_currency_org_s_subscriptions_are_in_its_corporate_currency(
        tmp_path: Path) -> None:
    world = start(tmp_path, currency="EUR")  # no CurrencyIsoCode anywhere in this org
    try:
        world.cycle()

        subs = world.subscriptions()
        assert len(subs) == 4
        assert {s["Currency__c"] for s in subs} == {"EUR"}  # Organization.DefaultCurrencyIsoCode
    finally:
        world.stack.stop()


def test_a_multi_currency_org_s_subscriptions_are_in_their_opportunity_s_currency(
        tmp_path: Path) -> None:
    world = start(tmp_path, multi_currency=True)
    emulator = world.stack.salesforce
    try:
        product = world.org.products["PLATFORM-MONTHLY"]
        entry = emulator.insert("PricebookEntry", {
            "Pricebook2Id": emulator.records("Pricebook2")[0]["Id"], "Product2Id": product,
            "UnitPrice": 450.0, "IsActive": True, "CurrencyIsoCode": "EUR"})
        deal = emulator.insert("Opportunity", {
            "Name": "Globex Health - EU rollout", "AccountId": world.org.accounts["globex"],
            "StageName": "Closed Won", "CloseDate": START.date().isoformat(),
            "CurrencyIsoCode": "EUR"})
        emulator.insert("OpportunityLineItem", {"OpportunityId": deal, "PricebookEntryId": entry,
                                                "Quantity": 2.0, "UnitPrice": 450.0})

        world.cycle()

        currencies = {s["Opportunity__c"]: s["Currency__c"] for s in world.subscriptions()}
        assert currencies[deal] == "EUR"
        assert currencies[world.org.opportunities["acme_won"]] == "USD"
        # The record's own currency follows, so Salesforce shows its amounts in EUR.
        own = world.admin().query(format_soql(
            "SELECT CurrencyIsoCode, Unit_Price__c FROM Subscription__c "
            "WHERE Opportunity__c = {}", deal))["records"]
        assert [(r["CurrencyIsoCode"], r["Unit_Price__c"]) for r in own] == [("EUR", 450.0)]
    finally:
        world.stack.stop()
