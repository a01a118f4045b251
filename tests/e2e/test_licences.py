"""Licences: read from the LMA's sfLma__License__c, summarised per account with billing,
written back to the Account, facts recorded once; bad licences dead-lettered."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from connector.cli import main
from connector.ledger import daemon_state
from connector.ledger.licences import AccountSummary, LicenceFact
from connector.ledger.models import DeadLetter, JournalEntry, Link
from e2e.world import REPO, START, World, start

LICENCE = "sfLma__License__c"


@pytest.fixture
def lma(tmp_path: Path) -> Iterator[World]:
    """The sample org with the License Management App installed."""
    world = start(tmp_path, packages=("sfLma",))
    try:
        yield world
    finally:
        world.stack.stop()


def _activate_seats(world: World) -> None:
    """The first cycle reads the accounts; the CSM activates Acme's 25 analytics seats."""
    world.cycle()
    seat = next(s for s in world.subscriptions()
                if s["Product__r"]["ProductCode"] == "ANALYTICS-SEAT-ANNUAL")
    world.set_status(seat["Id"], "Active")
    world.cycle()


def _licence(world: World, account: str, **fields: object) -> str:
    values = {"sfLma__Account__c": account, "sfLma__Status__c": "Active",
              "sfLma__Seats__c": 25, "sfLma__Used_Licenses__c": 30, **fields}
    return world.stack.salesforce.insert(LICENCE, values)


def _account(world: World, key: str = "acme") -> dict[str, object]:
    return dict(world.stack.salesforce.get("Account", world.org.accounts[key]))


def _count(world: World, model: type[object]) -> int:
    with world.engine.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_the_summary_reaches_the_account_and_an_idle_cycle_writes_nothing(lma: World) -> None:
    _activate_seats(lma)
    _licence(lma, lma.org.accounts["acme"],
             sfLma__Expiration__c=(START.date() + timedelta(days=300)).isoformat())

    report = lma.cycle()
    account = _account(lma)
    writes = report.written.records
    idle = lma.cycle()
    acme = _ledger_account(lma)

    assert (account["Licence_Status__c"], account["Seats__c"], account["Used_Seats__c"],
            account["Licence_Utilisation__c"]) == ("Active", 25, 30, 120.0)
    assert account["Licence_Expiration__c"] == (START.date() + timedelta(days=300)).isoformat()
    assert account["MRR__c"] == 500.0  # 25 seats x 240.00 a year, per month
    assert writes >= 1
    assert (idle.written.records, idle.summaries.changed) == (0, 0)
    with lma.engine.sessions() as session:
        summary = session.get(AccountSummary, acme)
        assert summary is not None
        assert summary.discrepancies == ["30 seats used of 25 bought"]
        [fact] = session.scalars(select(LicenceFact))
        assert (fact.kind, fact.event, fact.payload["state"]) == (
            "license_discrepancy", "license.discrepancy", "opened")


def _ledger_account(world: World) -> str:
    with world.engine.sessions() as session:
        return str(session.scalar(select(Link.entity_id).where(
            Link.object_type == "Account", Link.external_id == world.org.accounts["acme"])))


def test_seats_added_and_the_discrepancy_resolved_are_facts_with_history(lma: World) -> None:
    _activate_seats(lma)
    licence = _licence(lma, lma.org.accounts["acme"])
    lma.cycle()
    lma.stack.salesforce.update(LICENCE, licence, {"sfLma__Seats__c": 40,
                                                   "sfLma__Used_Licenses__c": 20})
    lma.cycle()
    lma.cycle()

    with lma.engine.sessions() as session:
        facts = [(f.kind, f.payload.get("state"), f.payload.get("seats_after"))
                 for f in session.scalars(select(LicenceFact).order_by(LicenceFact.id))]
        history = [e.diff.get("utilisation") for e in session.scalars(
            select(JournalEntry).where(JournalEntry.entity_type == "account_summary")
            .order_by(JournalEntry.id))]
    assert facts == [("license_discrepancy", "opened", None),
                     ("license_changes", None, 40)]
    assert history == [[None, "120.0"], ["120.0", "80.0"]]
    # 40 licensed against 25 billed is still a discrepancy: it stays open, reported once
    assert _account(lma)["Used_Seats__c"] == 20


def test_bad_licences_are_dead_letters_and_the_rest_of_the_batch_goes_on(lma: World) -> None:
    _activate_seats(lma)
    stranger = lma.stack.salesforce.insert("Account", {"Name": "Unknown Ltd"})
    _licence(lma, stranger)
    _licence(lma, lma.org.accounts["globex"], sfLma__Seats__c=-5)
    _licence(lma, lma.org.accounts["initech"], sfLma__Status__c="Frozen")
    _licence(lma, lma.org.accounts["initech"], sfLma__Used_Licenses__c=None)
    _licence(lma, lma.org.accounts["acme"], sfLma__Seats__c=-1, sfLma__Used_Licenses__c=900)

    lma.cycle()
    acme = _ledger_account(lma)

    with lma.engine.sessions() as session:
        codes = sorted(str(d.error_code) for d in session.scalars(select(DeadLetter).where(
            DeadLetter.source == f"salesforce.{LICENCE}")))
        summary = session.get(AccountSummary, acme)
    assert codes == ["BAD_SEAT_COUNT", "BAD_SEAT_COUNT", "UNKNOWN_ACCOUNT",
                     "UNKNOWN_LICENCE_STATUS"]
    assert summary is not None
    assert summary.discrepancies == []  # a site licence never is
    assert _account(lma)["Used_Seats__c"] == 900


def test_an_org_without_the_lma_keeps_working_and_says_why(world: World) -> None:
    report = world.cycle()

    state = daemon_state.get(world.engine.sessions, daemon_state.LICENCES)
    assert state is not None
    assert state["tracked"] is False
    assert "the org has no sfLma__License__c (the License Management App is not installed)" \
        in state["reasons"][0]
    assert report.generated.subscriptions  # the rest of the cycle went on
    assert _count(world, AccountSummary) == 0


def test_status_and_customer_show_the_licence_and_its_facts(
        lma: World, capsys: pytest.CaptureFixture[str]) -> None:
    _activate_seats(lma)
    _licence(lma, lma.org.accounts["acme"])
    lma.cycle()
    config = str(lma.folder / "config.toml")
    capsys.readouterr()

    main(["status", "--config", config])
    status = capsys.readouterr().out
    code = main(["customer", "Acme Robotics", "--config", config])
    text = capsys.readouterr().out
    main(["customer", lma.org.accounts["acme"], "--format", "json", "--config", config])
    view = json.loads(capsys.readouterr().out)
    missing = main(["customer", "Nobody Inc", "--config", config])

    assert "licences:      tracked from sfLma__License__c: 1 licences, 1 accounts " \
        "summarised, 1 open discrepancy" in status
    assert "Acme Robotics: discrepancy: 30 seats used of 25 bought" in status
    assert code == 0
    assert "seats:         30 used of 25 bought (120.0 %)" in text
    assert "DISCREPANCY:   30 seats used of 25 bought" in text
    assert (view["licence"]["utilisation"], view["licence"]["mrr"]) == ("120.0", "500.00")
    assert sorted(s["quantity"] for s in view["subscriptions"]) == [1, 25]
    assert missing == 2
    assert "no account 'Nobody Inc' in the ledger" in capsys.readouterr().err


PRODUCT_LICENSE_TOML = """\
[license]
object = "Product_License__c"

[fields]
account = "Customer__c"
status = "State__c"
seats = "Seat_Count__c"
used_seats = "Seats_In_Use__c"
active_users = "Active_Users__c"

[status]
Paid = "Active"
Evaluation = "Trial"
"""


def _field(name: str, body: str) -> str:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<CustomField xmlns="http://soap.sforce.com'
            f'/2006/04/metadata">\n<fullName>{name}</fullName>\n{body}</CustomField>\n')


def _custom_licence_org(folder: Path) -> tuple[Path, Path]:
    """An org's SFDX source with a custom Product_License__c, and mappings naming it."""
    metadata, mappings = folder / "org-metadata", folder / "org-mappings"
    shutil.copytree(REPO / "salesforce", metadata)
    shutil.copytree(REPO / "mappings", mappings)
    fields = metadata / "force-app/main/default/objects/Product_License__c/fields"
    fields.mkdir(parents=True)
    number = "<type>Number</type><precision>8</precision><scale>0</scale>\n"
    for name, body in {
        "Customer__c": "<type>Lookup</type><referenceTo>Account</referenceTo>"
                       "<relationshipName>Product_Licenses</relationshipName>\n",
        "State__c": "<type>Picklist</type>\n", "Seat_Count__c": number,
        "Seats_In_Use__c": number, "Active_Users__c": number,
    }.items():
        (fields / f"{name}.field-meta.xml").write_text(_field(name, body), encoding="utf-8")
    (mappings / "license.toml").write_text(PRODUCT_LICENSE_TOML, encoding="utf-8")
    return metadata, mappings


def test_another_licence_object_is_a_change_of_the_mapping_file_only(tmp_path: Path) -> None:
    metadata, mappings = _custom_licence_org(tmp_path)
    world = start(tmp_path, mappings, metadata)
    try:
        _activate_seats(world)
        world.stack.salesforce.insert("Product_License__c", {
            "Customer__c": world.org.accounts["acme"], "State__c": "Evaluation",
            "Seat_Count__c": 25, "Seats_In_Use__c": 5, "Active_Users__c": 4})
        world.cycle()
        account = _account(world)
    finally:
        world.stack.stop()

    assert (account["Licence_Status__c"], account["Used_Seats__c"], account["Active_Users__c"],
            account["Licence_Utilisation__c"]) == ("Trial", 5, 4, 20.0)


def test_plan_shows_the_account_summary_write_field_by_field(
        lma: World, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in lma.stack.environment().items():
        monkeypatch.setenv(name, value)
    _activate_seats(lma)
    _licence(lma, lma.org.accounts["acme"])
    lma.clock.advance(timedelta(seconds=2))
    capsys.readouterr()

    code = main(["plan", "--format", "json", "--config", str(lma.folder / "config.toml")])

    out = json.loads(capsys.readouterr().out)
    [change] = [c for c in out["systems"]["salesforce"] if c["object"] == "Account"]
    fields = {f["name"]: (f["old"], f["new"]) for f in change["fields"]}
    assert code == 0
    assert change["action"] == "update"
    assert change["key"].startswith(f"Id={lma.org.accounts['acme']}")
    assert fields["Licence_Utilisation__c"] == (None, 120.0)
    assert fields["Licence_Status__c"] == (None, "Active")
    assert _account(lma)["Licence_Status__c"] is None  # nothing was written


def test_a_deleted_licence_clears_the_summary_and_resolves_its_discrepancy(lma: World) -> None:
    _activate_seats(lma)
    licence = _licence(lma, lma.org.accounts["acme"])
    lma.cycle()
    lma.stack.salesforce.delete(LICENCE, licence)
    lma.clock.advance(timedelta(seconds=301))  # past deletes_interval

    report = lma.cycle()

    account = _account(lma)
    assert report.deleted == 1
    assert (account["Licence_Status__c"], account["Used_Seats__c"]) == (None, None)
    assert account["Seats__c"] == 25  # billing still says so
    with lma.engine.sessions() as session:
        states = [f.payload.get("state") for f in session.scalars(
            select(LicenceFact).order_by(LicenceFact.id))]
    assert states == ["opened", "resolved"]
