"""Optional ``from`` paths (``X?``) and the org's own values (``$Organization.X``)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from connector.errors import ConfigError
from connector.mapping import DataModel, load_mappings
from connector.schema.sobjects import ObjectInfo
from mapping.conftest import Edit

CURRENCY = 'from = ["Opportunity.CurrencyIsoCode?", "$Organization.DefaultCurrencyIsoCode"]'


def _single_currency(model: DataModel) -> DataModel:
    """``model`` as an org without multiple currencies describes it."""
    objects = {name: ObjectInfo(name, {k: v for k, v in info.fields.items()
                                       if k != "CurrencyIsoCode"})
               for name, info in model.objects.items()}
    return replace(model, objects=objects, of_org=True)


def _problems(directory: Path, model: DataModel) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_mappings(directory, model)
    return caught.value.problems


def test_the_shipped_generation_mapping_takes_the_org_currency_where_there_is_no_field(
        mappings_dir: Path, model: DataModel) -> None:
    for org in (model, _single_currency(model)):
        mapping = load_mappings(mappings_dir, org).opportunity_to_subscription
        assert "Opportunity.CurrencyIsoCode" in mapping.optional_paths()
        assert mapping.organization_fields() == ["DefaultCurrencyIsoCode"]
    bound = mapping.with_organization({"DefaultCurrencyIsoCode": "EUR"})
    row = {"Opportunity": {"Id": "006A", "Amount": 10}}
    assert bound.apply(row)["Currency__c"] == "EUR"
    row["Opportunity"]["CurrencyIsoCode"] = "gbp"
    assert bound.apply(row)["Currency__c"] == "GBP"


def test_a_required_currency_path_fails_in_a_single_currency_org_with_the_fix(
        mappings_dir: Path, model: DataModel, edit: Edit) -> None:
    edit("opportunity_to_subscription.toml", CURRENCY, 'from = "Opportunity.CurrencyIsoCode"')

    load_mappings(mappings_dir, model)  # the shipped model has every feature's fields
    problems = _problems(mappings_dir, _single_currency(model))

    assert problems == [
        "mappings/opportunity_to_subscription.toml:49: fields.Currency__c.from: Opportunity has no "
        "field 'CurrencyIsoCode': it exists only in orgs with multiple currencies enabled; "
        "enable it, drop the field, or mark the path optional with a trailing '?' and give "
        "a fallback"]


def test_a_misspelt_optional_path_is_still_caught_offline(
        mappings_dir: Path, model: DataModel, edit: Edit) -> None:
    edit("opportunity_to_subscription.toml", "Opportunity.CurrencyIsoCode?",
         "Opportunity.CurencyIsoCode?")

    problems = _problems(mappings_dir, model)

    assert len(problems) == 1
    assert "Opportunity has no field 'CurencyIsoCode' (did you mean 'CurrencyIsoCode'?)" \
        in problems[0]


def test_an_unknown_organization_field_is_named(
        mappings_dir: Path, model: DataModel, edit: Edit) -> None:
    edit("opportunity_to_subscription.toml", "$Organization.DefaultCurrencyIsoCode",
         "$Organization.DefaultCurrency")

    problems = _problems(mappings_dir, model)

    assert len(problems) == 1
    assert "fields.Currency__c.from[1]: the Organization record has no field " \
        "'DefaultCurrency'" in problems[0]
    assert "did you mean 'DefaultCurrencyIsoCode'?" in problems[0]
