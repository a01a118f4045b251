"""API calls per record for the core flow, counted against the bundled emulators.

    .venv/bin/python bench/api_calls.py [--opportunities N] [--lines M]

Seeds N won opportunities with M line items each, runs one cycle (potential subscriptions),
activates every subscription through the API, runs another cycle (Stripe), and one more that
should write nothing; prints the Salesforce and Stripe calls each cycle made and per record.
The counts are deterministic: a change that adds calls per record shows up here.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from connector.clock import ManualClock
from connector.config import load_config
from connector.retry import NO_WAIT
from connector.secrets import Secrets
from connector.sync.wiring import build_engine
from crm_emulators.stack import EmulatorStack

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    """Run the benchmark and print one JSON object per cycle."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opportunities", type=int, default=250)
    parser.add_argument("--lines", type=int, default=2)
    args = parser.parse_args()
    clock = ManualClock(datetime(2026, 11, 23, 9, tzinfo=UTC))
    stack = EmulatorStack.start(clock)
    try:
        with tempfile.TemporaryDirectory() as folder:
            _run(stack, clock, Path(folder), args.opportunities, args.lines)
    finally:
        stack.stop()


def _run(stack: EmulatorStack, clock: ManualClock, folder: Path, opportunities: int,
         lines: int) -> None:
    _seed(stack, opportunities, lines)
    config = load_config(stack.write_config(folder, REPO / "mappings", REPO / "templates"))
    engine = build_engine(config, Secrets(stack.environment()), clock, retry=NO_WAIT)
    records = opportunities * lines
    for name in ("generate potential subscriptions", "activate in Stripe", "nothing changed"):
        if name == "activate in Stripe":
            _activate_all(stack)
        stack.salesforce.reset_counters()
        stack.stripe.reset_counters()
        clock.advance(timedelta(seconds=2))
        engine.run_cycle()
        salesforce = stack.salesforce.request_count()
        stripe = stack.stripe.request_count()
        print(json.dumps({
            "cycle": name, "records": records, "salesforce_calls": salesforce,
            "stripe_calls": stripe, "salesforce_per_record": round(salesforce / records, 4),
            "stripe_per_record": round(stripe / records, 4),
        }))


def _seed(stack: EmulatorStack, opportunities: int, lines: int) -> None:
    emu = stack.salesforce
    owner = emu.add_user("owner@example.com", "pw", name="Owner", email="owner@example.com")
    product = emu.insert("Product2", {"Name": "Platform", "ProductCode": "PLATFORM-MONTHLY"})
    book = emu.insert("Pricebook2", {"Name": "Standard Price Book", "IsActive": True})
    entry = emu.insert("PricebookEntry", {"Pricebook2Id": book, "Product2Id": product,
                                          "UnitPrice": 499.0, "IsActive": True})
    stack.stripe.seed_price("Platform", "PLATFORM-MONTHLY", 49900)
    for n in range(opportunities):
        account = emu.insert("Account", {"Name": f"Account {n}", "OwnerId": owner})
        opp = emu.insert("Opportunity", {"Name": f"Deal {n}", "AccountId": account,
                                         "StageName": "Closed Won", "CloseDate": "2026-11-23",
                                         "OwnerId": owner})
        for _ in range(lines):
            emu.insert("OpportunityLineItem", {"OpportunityId": opp, "PricebookEntryId": entry,
                                               "Product2Id": product, "Quantity": 1.0,
                                               "UnitPrice": 499.0})


def _activate_all(stack: EmulatorStack) -> None:
    for record in stack.salesforce.records("Subscription__c"):
        stack.salesforce.update("Subscription__c", record["Id"], {"Status__c": "Active"})


if __name__ == "__main__":
    main()
