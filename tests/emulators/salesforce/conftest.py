"""Fixtures for the Salesforce emulator's tests: a manual clock, a started emulator with an
integration user and connected app, and a simple-salesforce client bound to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from simple_salesforce.api import Salesforce

from crm_emulators.clock import ManualClock
from crm_emulators.salesforce import SalesforceEmulator

T0 = datetime(2026, 11, 22, 10, 0, 0, tzinfo=UTC)
USER = "integration@example.com"
PASSWORD = "secret-pw"
CLIENT_ID = "client-1"
CLIENT_SECRET = "client-secret"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture
def emulator(clock: ManualClock) -> Iterator[SalesforceEmulator]:
    emu = SalesforceEmulator(clock, daily_api_limit=1000).start()
    emu.add_user(USER, PASSWORD, name="Integration User", email=USER)
    emu.add_connected_app(CLIENT_ID, CLIENT_SECRET, run_as_username=USER)
    try:
        yield emu
    finally:
        emu.stop()


MakeClient = Callable[..., Salesforce]


@pytest.fixture
def make_client(emulator: SalesforceEmulator) -> MakeClient:
    """Builds simple-salesforce clients pointed at the emulator the way users point it at an
    org (with a fresh token unless one is given)."""

    def build(token: str | None = None, emu: SalesforceEmulator | None = None) -> Salesforce:
        target = emu or emulator
        return Salesforce(instance_url=target.url,
                          session_id=token or target.issue_session_token(),
                          session=target.requests_session(), version="62.0")

    return build


@pytest.fixture
def sf(make_client: MakeClient) -> Salesforce:
    return make_client()


@pytest.fixture
def catalog(emulator: SalesforceEmulator) -> dict[str, str]:
    """An account, an opportunity and a priced product; their ids by name."""
    emu = emulator
    account = emu.insert("Account", {"Name": "Acme"})
    book = emu.insert("Pricebook2", {"Name": "Standard", "IsActive": True})
    product = emu.insert("Product2", {"Name": "Platform", "ProductCode": "PLAT"})
    entry = emu.insert("PricebookEntry", {"Pricebook2Id": book, "Product2Id": product,
                                          "UnitPrice": 100, "IsActive": True})
    opportunity = emu.insert("Opportunity", {"Name": "Acme deal", "AccountId": account,
                                             "StageName": "Prospecting",
                                             "CloseDate": "2026-12-01"})
    return {"account": account, "book": book, "product": product, "entry": entry,
            "opportunity": opportunity}
