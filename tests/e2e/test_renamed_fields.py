"""An org whose Subscription__c fields have other names: the mappings alone adapt the daemon.

The org's data model (SFDX source) renames five fields the daemon keeps — the status, the
quantity, a lookup (and so its relationship), the external id it upserts by and a Stripe
fact — and the mapping files say so. Nothing else changes, and the whole flow works: no
request to the org names a shipped field that the org does not have.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from currency_orgs import in_both_currency_orgs, multi_currency

from connector.plan import plan_next_sync
from e2e.world import REPO, World, start

RENAMES = {
    "Status__c": "Stage__c",
    "Quantity__c": "Seats__c",
    "Account__c": "Customer_Account__c",
    "Ledger_Id__c": "Connector_Key__c",
    "MRR__c": "Monthly_Revenue__c",
}
FIELDS_DIR = Path("force-app/main/default/objects/Subscription__c/fields")
QUERY = ("SELECT Id, Stage__c, Seats__c, Customer_Account__c, Connector_Key__c, "
         "Monthly_Revenue__c, Stripe_Subscription_Id__c, Sync_Error__c, Product__r.ProductCode "
         "FROM Subscription__c")
WRITE_METHODS = ("POST", "PATCH", "DELETE")


def _org_data_model(folder: Path) -> Path:
    """The shipped SFDX source with the five fields renamed."""
    metadata = folder / "org-metadata"
    shutil.copytree(REPO / "salesforce", metadata)
    for old, new in RENAMES.items():
        path = metadata / FIELDS_DIR / f"{old}.field-meta.xml"
        text = path.read_text(encoding="utf-8").replace(f"<fullName>{old}</fullName>",
                                                        f"<fullName>{new}</fullName>")
        (metadata / FIELDS_DIR / f"{new}.field-meta.xml").write_text(text, encoding="utf-8")
        path.unlink()
    return metadata


def _org_mappings(folder: Path) -> Path:
    """The shipped mappings, every Subscription__c field in the org's names."""
    mappings = folder / "org-mappings"
    shutil.copytree(REPO / "mappings", mappings)
    names = {**RENAMES, "Account__r": "Customer_Account__r"}
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, names)) + r")\b")
    for name in ("opportunity_to_subscription.toml", "subscription_to_stripe.toml",
                 "stripe_to_subscription.toml", "subscription_fields.toml"):
        path = mappings / name
        path.write_text(pattern.sub(lambda m: names[m.group(1)], path.read_text("utf-8")),
                        encoding="utf-8")
    return mappings


@pytest.fixture
def org(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[World]:
    started = start(tmp_path, _org_mappings(tmp_path), _org_data_model(tmp_path),
                    multi_currency=multi_currency(request))
    try:
        yield started
    finally:
        started.stack.stop()


def _records(world: World) -> dict[str, dict[str, Any]]:
    found = world.admin().query_all(QUERY)["records"]
    return {r["Product__r"]["ProductCode"]: r for r in found}


def _patch(world: World, record_id: str, values: dict[str, Any]) -> None:
    world.as_user("dana.whitfield@example.com").restful(
        f"sobjects/Subscription__c/{record_id}", method="PATCH", data=json.dumps(values))
    world.clock.advance(timedelta(seconds=1))


def _stripe_subscription(world: World, stripe_id: str) -> dict[str, Any]:
    return next(s for s in world.stack.stripe.objects("subscription") if s["id"] == stripe_id)


def _writes(world: World) -> tuple[int, int]:
    salesforce = sum(1 for method, path in world.stack.salesforce.request_log
                     if method in WRITE_METHODS and "/oauth2/" not in path)
    stripe = sum(world.stack.stripe.request_count(method=m) for m in WRITE_METHODS)
    return salesforce, stripe


def test_generation_uses_the_orgs_field_names(org: World) -> None:
    report = org.cycle()

    seat = _records(org)["ANALYTICS-SEAT-ANNUAL"]
    assert (seat["Stage__c"], seat["Seats__c"]) == ("Potential", 25)
    assert seat["Customer_Account__c"] == org.org.accounts["acme"]
    assert seat["Connector_Key__c"]
    assert (report.generated.dead_letters, report.written.dead_letters) == (0, 0)
    assert len(org.stack.smtp.messages) == 3


@in_both_currency_orgs("org")
def test_activation_upsell_and_facts_flow_through_the_renamed_fields(org: World) -> None:
    org.cycle()
    seat = _records(org)["ANALYTICS-SEAT-ANNUAL"]

    _patch(org, seat["Id"], {"Stage__c": "Active"})
    org.cycle()
    org.cycle()  # the write-back of the activation is read once more: nothing to do

    seat = _records(org)["ANALYTICS-SEAT-ANNUAL"]
    stripe_id = seat["Stripe_Subscription_Id__c"]
    assert stripe_id
    assert (seat["Stage__c"], seat["Sync_Error__c"]) == ("Active", None)
    stripe_sub = _stripe_subscription(org, stripe_id)
    assert stripe_sub["items"]["data"][0]["quantity"] == 25
    assert stripe_sub["metadata"]["ledger_id"] == seat["Connector_Key__c"]
    assert stripe_sub["description"] == "Analytics seat (annual) for Acme Robotics"
    assert seat["Monthly_Revenue__c"] == 500.0  # 25 seats x 240.00 a year / 12

    _patch(org, seat["Id"], {"Seats__c": 30})
    org.cycle()
    org.cycle()

    assert _stripe_subscription(org, stripe_id)["items"]["data"][0]["quantity"] == 30
    assert _records(org)["ANALYTICS-SEAT-ANNUAL"]["Monthly_Revenue__c"] == 600.0
    before = _writes(org)
    org.cycle()
    assert _writes(org) == before  # a fixed point: a further cycle writes nothing


def test_plan_shows_the_orgs_field_names(org: World) -> None:
    org.clock.advance(timedelta(seconds=2))

    plan = plan_next_sync(org.engine)

    created = [c for c in plan.of("salesforce") if c.object == "Subscription__c"]
    assert created
    names = {f.name for c in created for f in c.fields}
    assert {"Stage__c", "Seats__c", "Customer_Account__c"} <= names
    assert not names & set(RENAMES)
    assert all(c.key.startswith("Connector_Key__c=") for c in created)
