"""An end-to-end world: the emulators, a seeded org and a daemon engine on one manual clock."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from simple_salesforce.api import Salesforce

from connector.clock import ManualClock
from connector.config import load_config
from connector.dispatch import stripe_activation as activation
from connector.retry import NO_WAIT
from connector.secrets import Secrets
from connector.sync.engine import SyncEngine
from connector.sync.report import CycleReport
from connector.sync.wiring import build_engine
from crm_emulators.seed import SampleOrg, seed_salesforce, seed_stripe
from crm_emulators.stack import EmulatorStack

REPO = Path(__file__).resolve().parents[2]
START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SUBSCRIPTIONS = (
    "SELECT Id, Name, Account__c, Opportunity__c, Product__c, Product__r.ProductCode, "
    "Quantity__c, Unit_Price__c, Currency__c, Start_Date__c, Term_Months__c, CSM__c, Status__c, "
    "Ledger_Id__c, Stripe_Customer_Id__c, Stripe_Subscription_Id__c, Sync_Error__c "
    "FROM Subscription__c ORDER BY Name"
)


@dataclass
class World:
    """What an end-to-end test drives and inspects."""

    clock: ManualClock
    stack: EmulatorStack
    org: SampleOrg
    prices: dict[str, str]
    folder: Path
    engine: SyncEngine
    mappings: Path = REPO / "mappings"
    data_model: Path | None = None
    generate_since: str = "all"

    def cycle(self) -> CycleReport:
        """Let a couple of seconds pass (reads take only finished seconds), then sync once."""
        self.clock.advance(timedelta(seconds=2))
        return self.engine.run_cycle()

    def restart(self) -> SyncEngine:
        """A fresh engine on the same ledger, as after a process restart."""
        self.engine = build(self.stack, self.folder, self.clock, self.mappings, self.data_model,
                            self.generate_since)
        return self.engine

    def admin(self) -> Salesforce:
        """simple-salesforce as the integration user."""
        return self.as_user(None)

    def as_user(self, username: str | None) -> Salesforce:
        """simple-salesforce logged in as ``username`` (a CSM) or the integration user."""
        emulator = self.stack.salesforce
        token = emulator.issue_session_token(username)
        return Salesforce(instance_url=emulator.url, session_id=token,
                          session=emulator.requests_session(), version="62.0")

    def subscriptions(self) -> list[dict[str, Any]]:
        """Every Subscription__c, by name."""
        return list(self.admin().query_all(SUBSCRIPTIONS)["records"])

    def set_status(self, record_id: str, status: str, username: str | None = None) -> None:
        """Change a Subscription__c's status through the REST API, as a CSM would."""
        self.as_user(username).restful(f"sobjects/Subscription__c/{record_id}", method="PATCH",
                                       data=json.dumps({"Status__c": status}))
        self.clock.advance(timedelta(seconds=1))

    def activate_interrupted(self, record_id: str, monkeypatch: pytest.MonkeyPatch,
                             at: str = "_record_activation") -> None:
        """Activate ``record_id`` as a CSM, then cut the power in the cycle that syncs it:
        after Stripe created the subscription (or, with ``at="_record_customer"``, the
        customer), before the ledger recorded it."""
        self.set_status(record_id, "Active")

        def crash(*args: object, **kwargs: object) -> None:
            raise KeyboardInterrupt("power cut after Stripe answered")

        with monkeypatch.context() as patched:
            patched.setattr(activation, at, crash)
            with pytest.raises(KeyboardInterrupt):
                self.cycle()


def build(stack: EmulatorStack, folder: Path, clock: ManualClock,
          mappings: Path = REPO / "mappings", data_model: Path | None = None,
          generate_since: str = "all") -> SyncEngine:
    config = load_config(stack.write_config(folder, mappings, REPO / "templates",
                                            data_model=data_model,
                                            generate_since=generate_since))
    return build_engine(config, Secrets(stack.environment()), clock, retry=NO_WAIT)


def start(folder: Path, mappings: Path = REPO / "mappings",
          data_model: Path | None = None, generate_since: str = "all", *,
          multi_currency: bool = False, currency: str = "USD",
          packages: tuple[str, ...] = ()) -> World:
    """Emulators up, sample org and catalog seeded, an engine on an empty ledger.

    ``mappings`` and ``data_model`` (the org's SFDX source) replace the shipped ones;
    ``generate_since`` is ``[sync] generate_since`` (the sample deals stand for new ones);
    ``multi_currency`` enables multiple currencies in the org (default: one), ``currency``
    is its corporate currency; ``packages`` the managed packages installed in the org
    (``("sfLma",)``: the License Management App).
    """
    clock = ManualClock(START)
    stack = EmulatorStack.start(clock, data_model, multi_currency=multi_currency,
                                currency=currency, packages=packages)
    try:
        org = seed_salesforce(stack.salesforce, START.date())
        prices = seed_stripe(stack.stripe)
        engine = build(stack, folder, clock, mappings, data_model, generate_since)
        return World(clock, stack, org, prices, folder, engine, mappings, data_model,
                     generate_since)
    except BaseException:
        stack.stop()
        raise
