"""A real org on day one: history is imported, not generated; line items as their own stream.

The sample org is seeded before the first sync, so with ``generate_since = "install"`` its
won deals are the org's history.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from connector.cli import main
from connector.ledger import daemon_state
from connector.ledger.models import Generation, Opportunity
from e2e.world import REPO, START, World, start

WON = "Closed Won"


@pytest.fixture
def installed(tmp_path: Path) -> Iterator[World]:
    """The sample org, and a daemon configured with ``generate_since = "install"``."""
    world = start(tmp_path, generate_since="install")
    try:
        yield world
    finally:
        world.stack.stop()


def _states(world: World) -> dict[str, str | None]:
    with world.engine.sessions() as session:
        return {o.name: o.generation for o in session.scalars(select(Opportunity))}


def _new_won_deal(world: World, name: str, close: date, lines: int = 1) -> str:
    emu = world.stack.salesforce
    opportunity = emu.insert("Opportunity", {
        "Name": name, "AccountId": world.org.accounts["acme"], "StageName": WON,
        "CloseDate": close.isoformat()})
    for _ in range(lines):
        emu.insert("OpportunityLineItem", {
            "OpportunityId": opportunity, "Product2Id": world.org.products["PLATFORM-MONTHLY"],
            "Quantity": 2.0, "UnitPrice": 49.0})
    world.clock.advance(timedelta(seconds=1))
    return opportunity


def test_the_first_sync_imports_won_deals_as_history_and_emails_no_one(
        installed: World) -> None:
    report = installed.cycle()

    assert installed.subscriptions() == []
    assert installed.stack.smtp.messages == []
    assert report.generated.opportunities_read == 4
    assert report.generated.history == 3  # two won, one ticked; the open pilot is not
    states = _states(installed)
    assert states["Acme Robotics - platform rollout"] == Generation.HISTORY
    assert states["Initech - pilot"] is None
    assert daemon_state.get(installed.engine.sessions, daemon_state.INSTALLED) is not None


def test_a_deal_won_after_the_install_generates_and_history_stays_history(
        installed: World) -> None:
    installed.cycle()
    history = installed.org.opportunities["acme_won"]
    installed.stack.salesforce.update("Opportunity", history, {"Description": "renewal talk"})
    pilot = installed.org.opportunities["initech_open"]
    installed.stack.salesforce.update("Opportunity", pilot, {"StageName": WON})
    _new_won_deal(installed, "Acme Robotics - expansion", START.date())

    installed.cycle()

    made = sorted(s["Opportunity__c"] for s in installed.subscriptions())
    assert made == sorted([pilot, _salesforce_id(installed, "Acme Robotics - expansion")])
    assert len(installed.stack.smtp.messages) >= 1


def test_a_date_cut_off_generates_deals_closed_on_or_after_it(tmp_path: Path) -> None:
    world = start(tmp_path, generate_since=START.date().isoformat())
    try:
        old = _new_won_deal(world, "Acme Robotics - 2024 deal", date(2024, 3, 1))
        world.cycle()
        opportunities = {s["Opportunity__c"] for s in world.subscriptions()}
        assert world.org.opportunities["acme_won"] in opportunities  # closes on START
        assert old not in opportunities
        assert _states(world)["Acme Robotics - 2024 deal"] == Generation.HISTORY
    finally:
        world.stack.stop()


def test_a_line_item_added_to_a_generated_deal_gets_its_subscription(world: World) -> None:
    world.cycle()
    before = len(world.subscriptions())
    world.stack.salesforce.insert("OpportunityLineItem", {
        "OpportunityId": world.org.opportunities["globex_ticked"],
        "Product2Id": world.org.products["PLATFORM-MONTHLY"], "Quantity": 3.0,
        "UnitPrice": 49.0})

    report = world.cycle()

    assert report.generated.line_items_read == 1
    assert len(world.subscriptions()) == before + 1
    world.cycle()
    assert len(world.subscriptions()) == before + 1  # nothing twice


def test_backfill_generate_since_shows_the_count_then_creates_with_yes(
        installed: World, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    installed.cycle()
    for name, value in installed.stack.environment().items():
        monkeypatch.setenv(name, value)
    config = str(installed.folder / "config.toml")
    since = START.date().isoformat()

    assert main(["backfill", "--generate-since", since, "--config", config]) == 0
    shown = capsys.readouterr().out
    assert "would create 4 potential subscriptions for 3 opportunities" in shown
    assert "Nothing was written" in shown
    assert installed.subscriptions() == []

    assert main(["backfill", "--generate-since", since, "--yes", "--config", config]) == 0
    assert len(installed.subscriptions()) == 4
    assert main(["backfill", "--generate-since", since, "--yes", "--config", config]) == 0
    assert len(installed.subscriptions()) == 4  # already generated: nothing twice


def test_a_stream_needing_a_field_the_org_lacks_is_refused_and_the_rest_runs(
        world: World) -> None:
    """The admin's SFDX source has ``Opportunity.Fast_Track__c`` and the trigger reads it,
    but the org was never deployed with it."""
    model = world.folder / "org-model"
    shutil.copytree(REPO / "salesforce", model)
    fields = model / "force-app/main/default/objects/Opportunity/fields"
    (fields / "Fast_Track__c.field-meta.xml").write_text(
        (fields / "Create_Potential_Subscription__c.field-meta.xml").read_text()
        .replace("Create_Potential_Subscription__c", "Fast_Track__c"))
    world.data_model = model
    _generate_with(world, 'when = "IsWon or Create_Potential_Subscription__c"',
                   'when = "IsWon or Create_Potential_Subscription__c or Fast_Track__c"')
    subscription = world.admin().restful("sobjects/Subscription__c", method="POST", data=(
        '{"Ledger_Id__c": "sub-unknown", "Status__c": "Potential"}'))

    report = world.cycle()

    assert world.subscriptions()[0]["Id"] == subscription["id"]  # nothing generated
    assert report.refused == [
        "opportunity_to_subscription.toml: trigger.when: Opportunity has no field "
        "'Fast_Track__c': deploy the data model in salesforce/ (or name your org's field in "
        "the mapping)"]
    assert report.edits.read == 1  # Subscription__c was still read
    assert "salesforce" not in report.deferred
    shown = daemon_state.get(world.engine.sessions, daemon_state.STREAMS_REFUSED)
    assert shown is not None
    assert shown["problems"] == report.refused


def _generate_with(world: World, old: str, new: str) -> None:
    """Restart the daemon on a copy of the shipped mappings whose generation file has ``old``
    replaced by ``new``."""
    mappings = world.folder / "mappings"
    shutil.copytree(REPO / "mappings", mappings)
    generation = mappings / "opportunity_to_subscription.toml"
    assert old in generation.read_text()
    generation.write_text(generation.read_text().replace(old, new))
    world.mappings = mappings
    world.restart()


def _salesforce_id(world: World, name: str) -> str:
    rows = world.admin().query(f"SELECT Id FROM Opportunity WHERE Name = '{name}'")["records"]
    return str(rows[0]["Id"])


def test_a_required_currency_field_in_a_single_currency_org_refuses_only_generation(
        world: World) -> None:
    _generate_with(world, '["Opportunity.CurrencyIsoCode?", '
                          '"$Organization.DefaultCurrencyIsoCode"]',
                   '"Opportunity.CurrencyIsoCode"')

    report = world.cycle()

    assert world.subscriptions() == []
    assert report.refused == [
        "opportunity_to_subscription.toml: fields.Currency__c.from: Opportunity has no field "
        "'CurrencyIsoCode': it exists only in orgs with multiple currencies enabled; enable "
        "it, drop the field, or mark the path optional ('?') with a fallback"]
    assert "INVALID_FIELD" not in str(report.summary())
    assert report.deferred == []
