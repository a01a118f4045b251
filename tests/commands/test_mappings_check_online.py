"""``mappings check`` against the org's describe and the Stripe prices (the emulators)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from currency_orgs import in_both_currency_orgs, multi_currency

from connector.cli import main
from crm_emulators.salesforce import SalesforceEmulator
from crm_emulators.seed import seed_salesforce, seed_stripe
from crm_emulators.smtp import SmtpSink
from crm_emulators.stack import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    INTEGRATION_USER,
    EmulatorStack,
)
from crm_emulators.stripe_emulator import StripeEmulator

REPO = Path(__file__).resolve().parents[2]
REMOVED = "objects/Subscription__c/fields/End_Date__c.field-meta.xml"


def _stack(metadata: Path | None = None, *, multi: bool = False) -> EmulatorStack:
    salesforce = SalesforceEmulator(metadata_dir=metadata, multi_currency=multi).start()
    salesforce.add_user(INTEGRATION_USER, "integration-password", name="Integration User",
                        email=INTEGRATION_USER)
    salesforce.add_connected_app(DEMO_CLIENT_ID, DEMO_CLIENT_SECRET,
                                 run_as_username=INTEGRATION_USER)
    stack = EmulatorStack(salesforce, StripeEmulator().start(), SmtpSink().start())
    seed_salesforce(stack.salesforce, date.today())
    seed_stripe(stack.stripe)
    return stack


@pytest.fixture
def org_without_end_date(tmp_path: Path) -> Iterator[EmulatorStack]:
    """An org whose Subscription__c lost End_Date__c (the shipped metadata still has it)."""
    metadata = tmp_path / "org-metadata"
    shutil.copytree(REPO / "salesforce", metadata)
    (metadata / "force-app/main/default" / REMOVED).unlink()
    stack = _stack(metadata)
    yield stack
    stack.stop()


@pytest.fixture
def org(request: pytest.FixtureRequest) -> Iterator[EmulatorStack]:
    """An org with the shipped data model (one currency unless parametrized)."""
    stack = _stack(multi=multi_currency(request))
    yield stack
    stack.stop()


def _check(stack: EmulatorStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
           *extra: str, catalog: tuple[str, str] | None = None) -> tuple[int, str]:
    mappings = tmp_path / "mappings"
    shutil.copytree(REPO / "mappings", mappings)
    if catalog is not None:
        path = mappings / "catalog.toml"
        path.write_text(path.read_text(encoding="utf-8").replace(*catalog), encoding="utf-8")
    config = stack.write_config(tmp_path, mappings, REPO / "templates")
    for name, value in stack.environment().items():
        monkeypatch.setenv(name, value)
    code = main(["mappings", "check", *extra, "--config", str(config)])
    return code, str(mappings)


@in_both_currency_orgs("org")
def test_the_shipped_mappings_are_valid_against_the_org(
        org: EmulatorStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    code, mappings = _check(org, tmp_path, monkeypatch)

    out = capsys.readouterr().out
    assert code == 0, out
    assert f"mappings in {mappings} are valid against the describe of the org at " in out
    assert "and the Stripe prices" in out
    describes = [path for _, path in org.salesforce.request_log
                 if path.rstrip("/").endswith("/describe")]
    assert any("/Subscription__c/" in path for path in describes)
    assert len(describes) == len(set(describes))  # each object once per run
    # The seeded product without a price is worth a warning, not a failure.
    assert ("warning: " + mappings + "/catalog.toml:11: catalog.lookup_key: product "
            "'Legacy on-prem licence' (ProductCode 'LEGACY-ONPREM') has lookup key "
            "'LEGACY-ONPREM', which no active Stripe price has; activating its subscriptions "
            "will fail") in out


def test_a_field_removed_from_the_org_is_reported_only_online(
        org_without_end_date: EmulatorStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    code, mappings = _check(org_without_end_date, tmp_path, monkeypatch)

    out = capsys.readouterr().out
    assert code == 2
    assert (f"{mappings}/stripe_to_subscription.toml:34: fields.End_Date__c: "
            "Subscription__c has no field 'End_Date__c'") in out
    assert "checked against the describe of the org" in out

    offline, _ = _check(org_without_end_date, tmp_path / "offline", monkeypatch, "--offline")
    assert offline == 0


def test_an_override_without_a_stripe_price_is_a_problem(
        org: EmulatorStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    code, mappings = _check(org, tmp_path, monkeypatch, catalog=(
        '# "LEGACY-PRO" = "pro_monthly_2024"', '"LEGACY-ONPREM" = "legacy_onprem_2019"'))

    out = capsys.readouterr().out
    assert code == 2
    assert (f"{mappings}/catalog.toml:15: overrides.LEGACY-ONPREM: no active Stripe price has "
            "lookup_key 'legacy_onprem_2019'") in out.splitlines()


def test_a_currency_field_a_single_currency_org_lacks_is_named_with_the_fix(
        org: EmulatorStack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    optional = '["Opportunity.CurrencyIsoCode?", "$Organization.DefaultCurrencyIsoCode"]'
    mappings = tmp_path / "mappings"
    shutil.copytree(REPO / "mappings", mappings)
    generation = mappings / "opportunity_to_subscription.toml"
    generation.write_text(generation.read_text(encoding="utf-8").replace(
        optional, '"Opportunity.CurrencyIsoCode"'), encoding="utf-8")
    config = org.write_config(tmp_path, mappings, REPO / "templates")
    for name, value in org.environment().items():
        monkeypatch.setenv(name, value)

    code = main(["mappings", "check", "--config", str(config)])

    out = capsys.readouterr().out
    assert code == 2
    assert (f"{mappings}/opportunity_to_subscription.toml:49: fields.Currency__c.from: "
            "Opportunity has no field 'CurrencyIsoCode': it exists only in orgs with multiple "
            "currencies enabled; enable it, drop the field, or mark the path optional with a "
            "trailing '?' and give a fallback") in out
