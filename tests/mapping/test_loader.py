"""The loaded mapping set: what the sync engine calls (apply, source_paths, owners, triggers)."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from connector.errors import SkippableError
from connector.mapping import DataModel, MappingError, MappingSet, load_mappings

from .conftest import REPO, Edit


@pytest.fixture
def mappings(model: DataModel) -> MappingSet:
    return load_mappings(REPO / "mappings", model)


class FakeLinks:
    """A LinkResolver answering from a dict and remembering what it was asked."""

    def __init__(self, ids: dict[tuple[str, str, str], str]) -> None:
        self.ids = ids
        self.asked: list[tuple[str, str, str]] = []

    def external_id(
        self, entity: str, system: str, object_type: str, row: Mapping[str, Any]
    ) -> str | None:
        self.asked.append((entity, system, object_type))
        return self.ids.get((entity, system, object_type))


LINE_ITEM = {
    "attributes": {"type": "OpportunityLineItem", "url": "/services/data/v62.0/sobjects/..."},
    "Id": "00k1",
    "Product2Id": "01t1",
    "Quantity": 3.0,
    "UnitPrice": None,
    "ServiceDate": None,
    "Opportunity": {
        "attributes": {"type": "Opportunity"},
        "Id": "0061",
        "AccountId": "0011",
        "Amount": 1200.0,
        "CloseDate": "2026-11-22",
        "CurrencyIsoCode": "eur",
        "Account": {"attributes": {"type": "Account"}, "CSM__c": None, "OwnerId": "005O"},
    },
}

STRIPE_SUBSCRIPTION = {
    "id": "sub_1Pgc6rB7WZ01zgkWNy0Cn5nw",
    "object": "subscription",
    "customer": "cus_QXg1o8vcGmoR32",
    "currency": "usd",
    "status": "past_due",
    "cancel_at": None,
    "cancel_at_period_end": False,
    "ended_at": None,
    "metadata": {},
    "discounts": [],
    "items": {
        "object": "list",
        "has_more": False,
        "data": [
            {
                "id": "si_QXhVnC2h0Jczwc",
                "object": "subscription_item",
                "quantity": 3,
                "current_period_start": 1764115200,
                "current_period_end": 1795651200,
                "price": {
                    "id": "price_1PgafmB7WZ01zgkW6dKueIc5",
                    "object": "price",
                    "currency": "usd",
                    "lookup_key": "PRO",
                    "unit_amount": 120000,
                    "unit_amount_decimal": "120000",
                    "recurring": {
                        "interval": "year",
                        "interval_count": 1,
                        "usage_type": "licensed",
                    },
                },
            }
        ],
    },
}


def test_a_line_item_falls_back_to_its_opportunity(mappings: MappingSet) -> None:
    values = mappings.opportunity_to_subscription.apply(LINE_ITEM)
    assert values == {
        "Account__c": "0011",
        "Opportunity__c": "0061",
        "Product__c": "01t1",
        "Quantity__c": 3.0,
        "Unit_Price__c": 1200.0,
        "Currency__c": "EUR",
        "Start_Date__c": date(2026, 11, 22),
        "Term_Months__c": 12,
        "CSM__c": "005O",
        "Status__c": "Potential",
    }


def test_line_item_values_win_over_fallbacks(mappings: MappingSet) -> None:
    row = {**LINE_ITEM, "UnitPrice": 99.5, "ServiceDate": "2027-01-01"}
    row["Opportunity"] = {**LINE_ITEM["Opportunity"], "Account": {"CSM__c": "005C"}}  # type: ignore[dict-item]
    values = mappings.opportunity_to_subscription.apply(row)
    assert (values["Unit_Price__c"], values["Start_Date__c"], values["CSM__c"]) == (
        99.5,
        date(2027, 1, 1),
        "005C",
    )


def test_per_opportunity_reads_the_opportunity_row_itself(mappings: MappingSet) -> None:
    generation = dataclasses.replace(mappings.opportunity_to_subscription, per="opportunity")
    generation = generation.with_organization({"DefaultCurrencyIsoCode": "USD"})
    opportunity = {
        "attributes": {"type": "Opportunity"},
        "Id": "0062",
        "AccountId": "0012",
        "Amount": 500.0,
        "CloseDate": "2026-12-01",
        "CurrencyIsoCode": None,
        "Account": {"CSM__c": "005C", "OwnerId": "005O"},
    }
    assert generation.source_object == "Opportunity"
    assert generation.apply(opportunity) == {
        "Account__c": "0012",
        "Opportunity__c": "0062",
        "Product__c": None,
        "Quantity__c": 1,
        "Unit_Price__c": 500.0,
        "Currency__c": "USD",  # no CurrencyIsoCode: the org's default currency
        "Start_Date__c": date(2026, 12, 1),
        "Term_Months__c": 12,
        "CSM__c": "005C",
        "Status__c": "Potential",
    }
    assert generation.source_paths() == [
        "AccountId",
        "Id",
        "Amount",
        "CurrencyIsoCode",
        "CloseDate",
        "Account.CSM__c",
        "Account.OwnerId",
    ]


def test_per_opportunity_is_a_setting_of_the_file(
    mappings_dir: Path, edit: Edit, model: DataModel
) -> None:
    edit("opportunity_to_subscription.toml", 'per = "line_item"', 'per = "opportunity"')
    generation = load_mappings(mappings_dir, model).opportunity_to_subscription
    assert generation.per == "opportunity"
    assert generation.apply({"Id": "0063", "Amount": 10.0})["Opportunity__c"] == "0063"


def test_source_paths_list_every_read_once_in_file_order(mappings: MappingSet) -> None:
    assert mappings.opportunity_to_subscription.source_paths() == [
        "Opportunity.AccountId",
        "Opportunity.Id",
        "Product2Id",
        "Quantity",
        "UnitPrice",
        "Opportunity.Amount",
        "Opportunity.CurrencyIsoCode",
        "ServiceDate",
        "Opportunity.CloseDate",
        "Opportunity.Account.CSM__c",
        "Opportunity.Account.OwnerId",
    ]
    assert mappings.subscription_to_stripe.source_paths() == [
        "Product__r.ProductCode",
        "Quantity__c",
        "Trial_End_Date__c",
        "Cancel_At_Period_End__c",
        "Product__r.Name",
        "Account__r.Name",
        "Id",
        "Ledger_Id__c",
        "End_Date__c",
    ]
    assert mappings.account_to_customer.source_paths() == ["Name", "Id"]


def test_the_trigger_fires_on_won_or_ticked_opportunities(mappings: MappingSet) -> None:
    trigger = mappings.opportunity_to_subscription.trigger
    assert trigger is not None
    assert trigger.source_paths() == ["IsWon", "Create_Potential_Subscription__c"]
    assert trigger.matches({"IsWon": True, "Create_Potential_Subscription__c": False})
    assert trigger.matches({"IsWon": False, "Create_Potential_Subscription__c": True})
    assert not trigger.matches({"IsWon": False})
    assert not trigger.matches({})


def test_a_failing_trigger_is_a_skippable_mapping_error(
    mappings_dir: Path, edit: Edit, model: DataModel
) -> None:
    edit(
        "opportunity_to_subscription.toml",
        '"IsWon or Create_Potential_Subscription__c"',
        '"len(Amount) > 0"',
    )
    trigger = load_mappings(mappings_dir, model).opportunity_to_subscription.trigger
    assert trigger is not None
    with pytest.raises(MappingError) as caught:
        trigger.matches({"Amount": 5})
    assert str(caught.value) == (
        "opportunity_to_subscription.toml: trigger.when: "
        "'len(Amount) > 0' failed: object of type 'int' has no len()"
    )


def test_a_filter_selects_rows(mappings_dir: Path, edit: Edit, model: DataModel) -> None:
    edit(
        "opportunity_to_subscription.toml",
        'per = "line_item"',
        'per = "line_item"\nfilter = "Quantity > 0 and Opportunity.Amount != None"',
    )
    generation = load_mappings(mappings_dir, model).opportunity_to_subscription
    assert generation.accepts(LINE_ITEM)
    assert not generation.accepts({**LINE_ITEM, "Quantity": 0})
    assert "Quantity" in generation.source_paths()


def test_stripe_subscription_to_salesforce(mappings: MappingSet) -> None:
    values = mappings.stripe_to_subscription.apply(STRIPE_SUBSCRIPTION)
    assert values == {
        "Stripe_Subscription_Id__c": "sub_1Pgc6rB7WZ01zgkWNy0Cn5nw",
        "Stripe_Customer_Id__c": "cus_QXg1o8vcGmoR32",
        "Status__c": "Past Due",
        "Next_Renewal_Date__c": date(2026, 11, 26),
        "End_Date__c": None,
        "MRR__c": Decimal("300.00"),
        "ARR__c": Decimal("3600.00"),
        "Cancel_At_Period_End__c": False,
    }
    assert mappings.stripe_to_subscription.owner_of("MRR__c") == "stripe"
    assert mappings.stripe_to_subscription.owner_of("Cancel_At_Period_End__c") == "latest"
    assert mappings.stripe_to_subscription.owner_of("Status__c") == "latest"


def test_an_unknown_stripe_status_is_a_mapping_error_naming_file_and_field(
    mappings: MappingSet,
) -> None:
    with pytest.raises(MappingError) as caught:
        mappings.stripe_to_subscription.apply({**STRIPE_SUBSCRIPTION, "status": "frozen"})
    assert isinstance(caught.value, SkippableError)
    assert (caught.value.file, caught.value.field) == ("stripe_to_subscription.toml", "Status__c")
    assert str(caught.value).startswith(
        "stripe_to_subscription.toml: fields.Status__c: 'frozen' is not one of the mapped values"
    )


def test_salesforce_subscription_to_stripe_parameters(mappings: MappingSet) -> None:
    row = {
        "attributes": {"type": "Subscription__c"},
        "Id": "a001",
        "Ledger_Id__c": "led_1",
        "Quantity__c": 5.0,
        "Trial_End_Date__c": "2026-12-01",
        "Cancel_At_Period_End__c": None,
        "Product__r": {"attributes": {"type": "Product2"}, "ProductCode": "PRO", "Name": "Pro"},
        "Account__r": {"Name": "Acme"},
    }
    links = FakeLinks({("account", "stripe", "customer"): "cus_1"})
    assert mappings.subscription_to_stripe.apply(row, links) == {
        "customer": "cus_1",
        "items": [{"price": "PRO", "quantity": 5}],
        "trial_end": 1796083200,
        "cancel_at_period_end": False,
        "description": "Pro for Acme",
        "metadata": {"salesforce_id": "a001", "ledger_id": "led_1"},
        "cancel_at": None,  # no End_Date__c: renews until canceled
    }
    assert links.asked == [("account", "stripe", "customer")]
    assert mappings.subscription_to_stripe.owner_of("items.0.quantity") == "salesforce"
    assert mappings.subscription_to_stripe.owner_of("customer") == "ledger"


def test_a_product_without_code_cannot_be_billed(mappings: MappingSet) -> None:
    row = {"Id": "a001", "Quantity__c": 1, "Product__r": {"ProductCode": None}}
    with pytest.raises(MappingError, match=r"fields\.items\.0\.price: is required"):
        mappings.subscription_to_stripe.apply(row, FakeLinks({}))


def test_a_fractional_quantity_is_never_truncated(mappings: MappingSet) -> None:
    row = {"Id": "a001", "Quantity__c": 2.5, "Product__r": {"ProductCode": "PRO"}}
    with pytest.raises(MappingError) as caught:
        mappings.subscription_to_stripe.apply(row, FakeLinks({}))
    assert str(caught.value) == (
        "subscription_to_stripe.toml: fields.items.0.quantity: 2.5 is not a whole number"
    )


def test_a_link_without_resolver_is_a_mapping_error(mappings: MappingSet) -> None:
    with pytest.raises(MappingError, match="no link resolver"):
        mappings.account_to_customer.apply({"Id": "0011", "Name": "Acme"})


def test_account_to_customer(mappings: MappingSet) -> None:
    links = FakeLinks({("account", "ledger", "account"): "L-7"})
    assert mappings.account_to_customer.apply({"Id": "0011", "Name": "Acme "}, links) == {
        "name": "Acme",
        "description": "Acme  (Salesforce account 0011)",
        "metadata": {"salesforce_account_id": "0011", "ledger_id": "L-7"},
    }
    assert [f.target for f in mappings.account_to_customer.fields] == [
        "name",
        "description",
        "metadata.salesforce_account_id",
        "metadata.ledger_id",
    ]


def test_catalog_lookup_keys_and_overrides(
    mappings_dir: Path, edit: Edit, model: DataModel
) -> None:
    edit("catalog.toml", '# "LEGACY-PRO" = "pro_monthly_2024"', '"LEGACY-PRO" = "pro_monthly_2024"')
    edit("catalog.toml", '"{ProductCode}"', '"{ProductCode}_{Family}"')
    catalog = load_mappings(mappings_dir, model).catalog
    assert catalog.lookup_key({"ProductCode": "PRO", "Family": "Core"}) == "PRO_Core"
    assert catalog.lookup_key({"ProductCode": "LEGACY-PRO"}) == "pro_monthly_2024"
    with pytest.raises(MappingError, match="the product has no Family"):
        catalog.lookup_key({"ProductCode": "PRO"})


def test_a_catalog_template_adds_the_product_fields_to_the_select_list(
    mappings_dir: Path, edit: Edit, model: DataModel
) -> None:
    edit("catalog.toml", '"{ProductCode}"', '"{ProductCode}_{Family}"')
    mapping = load_mappings(mappings_dir, model).subscription_to_stripe
    assert mapping.source_paths()[:2] == ["Product__r.ProductCode", "Product__r.Family"]
    row = {"Id": "a", "Quantity__c": 1, "Product__r": {"ProductCode": "PRO", "Family": "Core"}}
    assert mapping.apply(row, FakeLinks({}))["items"][0]["price"] == "PRO_Core"


def test_the_digest_changes_with_any_file(mappings_dir: Path, edit: Edit, model: DataModel) -> None:
    before = load_mappings(mappings_dir, model).digest
    assert before == load_mappings(mappings_dir, model).digest
    edit("catalog.toml", "# Products", "# The products")
    after = load_mappings(mappings_dir, model).digest
    assert len(after) == 64
    assert after != before
